import { describe, expect, test } from "vitest";
import { changedColumns, changesFilter, choiceOf, earlierLabel, CHANGES_CHOICES } from "./changes";
import type { Row } from "./backend";

const row = (changedFields: Row["changedFields"]): Row => ({
  id: 1,
  typeName: "Lease",
  sourceName: "a.pdf",
  startPage: 1,
  endPage: 2,
  pdfPages: 2,
  tagTypes: [],
  reviewedBy: null,
  reviewedAt: null,
  hasPdf: true,
  problems: [],
  columns: [],
  change: "changed",
  changedFields,
});

describe("changes", () => {
  test("each choice makes its filter and is read back from it", () => {
    for (const { id } of CHANGES_CHOICES) {
      expect(choiceOf(changesFilter("/older", id))).toBe(id);
    }
    expect(changesFilter("/older", "newAndChanged")).toEqual({ since: "/older", kinds: ["new", "changed"] });
    expect(changesFilter("/older", "all")).toBeNull();
    expect(changesFilter(null, "gone")).toBeNull();
    expect(choiceOf({ since: "/older", kinds: ["changed", "new"] })).toBe("newAndChanged");
  });

  test("changed fields mark the columns that show them, attributes every attribute column", () => {
    expect([...changedColumns(row(["type", "review"]), ["Serial Number"])]).toEqual(["type", "reviewed"]);
    expect([...changedColumns(row(["attributes"]), ["Serial Number", "Make"])]).toEqual(["attr:Serial Number", "attr:Make"]);
    expect(changedColumns(row(["annotations", "other"]), []).size).toBe(0);
  });

  test("the newest earlier export is named the previous one", () => {
    const earlier = { dir: "/older", readyAt: "2026-11-30T09:00:00Z", instruments: 3 };
    expect(earlierLabel(earlier, 0, () => "30 Nov")).toBe("30 Nov (previous export)");
    expect(earlierLabel(earlier, 1, () => "30 Nov")).toBe("30 Nov");
  });
});
