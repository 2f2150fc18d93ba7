import { describe, expect, test } from "vitest";
import { MAX_SCROLL_HEIGHT, layout, scrollTopFor, scrollTopShowing, visibleRows } from "./rows";

const ROW = 36;

describe("rows of a long table", () => {
  test("a small table scrolls one pixel of rows per pixel of the scrollbar", () => {
    const at = layout(1_000, ROW, 720);
    expect(at.height).toBe(36_000);
    expect(at.stretch).toBe(1);
    const shown = visibleRows(at, 3_600, 0);
    expect(shown[0]).toEqual({ index: 100, top: 3_600 });
    expect(shown.at(-1)?.index).toBe(120);
  });

  test("a million rows fit under the web view's height limit and both ends of the scrollbar are the table's", () => {
    const at = layout(1_000_000, ROW, 720);
    expect(at.height).toBe(MAX_SCROLL_HEIGHT);
    // The bottom of the scrollbar shows the last row at the bottom of the view.
    const bottom = visibleRows(at, at.height - at.viewport, 0);
    const last = bottom.at(-1)!;
    expect(last.index).toBe(999_999);
    expect(last.top + ROW).toBeCloseTo(at.height, 6);
    // The top shows the first.
    expect(visibleRows(at, 0, 0)[0]).toEqual({ index: 0, top: 0 });
  });

  test("an empty table lays out nothing", () => {
    expect(visibleRows(layout(0, ROW, 720), 0, 12)).toEqual([]);
  });

  test("on random tables and scroll positions, the rows shown cover the view without gaps or overlaps", () => {
    const random = seeded(18);
    for (let round = 0; round < 2_000; round += 1) {
      const total = Math.floor(random() ** 3 * 5_000_000);
      const viewport = 100 + Math.floor(random() * 1_200);
      const maxHeight = random() < 0.5 ? MAX_SCROLL_HEIGHT : 50_000 + Math.floor(random() * 1_000_000);
      const at = layout(total, ROW, viewport, maxHeight);
      const scrollTop = random() * Math.max(0, at.height - viewport);
      const overscan = Math.floor(random() * 20);
      const shown = visibleRows(at, scrollTop, overscan);
      const context = { total, viewport, maxHeight, scrollTop, overscan };
      expect(at.height, JSON.stringify(context)).toBeLessThanOrEqual(maxHeight);
      if (total === 0) {
        expect(shown).toEqual([]);
        continue;
      }
      // Consecutive rows, each one row below the one before.
      for (let i = 1; i < shown.length; i += 1) {
        expect(shown[i]!.index, JSON.stringify(context)).toBe(shown[i - 1]!.index + 1);
        expect(shown[i]!.top - shown[i - 1]!.top).toBeCloseTo(ROW, 6);
      }
      // The view, from scrollTop down, is covered, except past the last row.
      const viewEnd = Math.min(scrollTop + viewport, total * ROW, at.height);
      expect(shown[0]!.top, JSON.stringify(context)).toBeLessThanOrEqual(scrollTop + 1e-6);
      expect(shown.at(-1)!.top + ROW, JSON.stringify(context)).toBeGreaterThanOrEqual(viewEnd - 1e-6);
      // Every row laid out is at least partly inside the scroll area: none is made for nothing.
      expect(shown[0]!.top + ROW, JSON.stringify(context)).toBeGreaterThan(0);
      expect(shown.at(-1)!.top, JSON.stringify(context)).toBeLessThan(at.height);
      // Only what is on screen and the overscan, never the table.
      expect(shown.length).toBeLessThanOrEqual(Math.ceil(viewport / ROW) + 2 * overscan + 2);

      // Scrolling to any row shows it at the top, or as near as the end of the table allows.
      const wanted = Math.floor(random() * total);
      const top = scrollTopFor(at, wanted);
      const there = visibleRows(at, top, 0);
      const row = there.find((r) => r.index === wanted);
      expect(row, JSON.stringify({ ...context, wanted })).toBeDefined();
      expect(row!.top - top).toBeGreaterThanOrEqual(-1e-6);
      // And bringing it into view from anywhere shows all of it.
      const from = random() * Math.max(0, at.height - viewport);
      const moved = scrollTopShowing(at, from, wanted);
      const seen = visibleRows(at, moved, 0).find((r) => r.index === wanted);
      expect(seen, JSON.stringify({ ...context, wanted, from })).toBeDefined();
      if (viewport >= ROW) {
        expect(seen!.top - moved).toBeGreaterThanOrEqual(-1e-6);
        expect(seen!.top + ROW - moved).toBeLessThanOrEqual(viewport + 1e-6);
      }
    }
  });

  test("bringing a row into view leaves the scroll alone when it is already shown", () => {
    const at = layout(1_000_000, ROW, 720);
    const scrollTop = scrollTopFor(at, 500_000);
    expect(scrollTopShowing(at, scrollTop, 500_005)).toBe(scrollTop);
    expect(scrollTopShowing(at, scrollTop, 499_999)).toBeLessThan(scrollTop);
    expect(scrollTopShowing(at, scrollTop, 500_030)).toBeGreaterThan(scrollTop);
  });
});

/** A small deterministic generator, so a failing case can be run again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
