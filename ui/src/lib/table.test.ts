import { afterEach, describe, expect, test } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { InstrumentTable, emptyQuery, highlight } from "./table.svelte";
import type { Page } from "./backend";

afterEach(() => clearMocks());

describe("InstrumentTable", () => {
  test("a fast scroll loads the rows it stops on, not every block it passed", async () => {
    // A backend that answers only when told to, like a slow query at a million rows.
    const asked: number[] = [];
    const answers: (() => void)[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "browse_page") throw new Error(`unexpected ${cmd}`);
      const { offset, limit } = args as { offset: number; limit: number };
      asked.push(offset);
      const rows = Array.from({ length: limit }, (_, i) => ({ id: offset + i }) as Page["rows"][number]);
      return new Promise<Page>((resolve) => answers.push(() => resolve({ total: 1_000_000, offset, rows })));
    });
    const table = new InstrumentTable("/library/export");
    const opened = table.setQuery(emptyQuery());
    await waitUntil(() => answers.length === 1);
    answers.shift()!();
    await opened;

    // The view passes rows 1,000, 2,000, ... 50,000 while the first of them is on its way.
    for (let start = 1_000; start <= 50_000; start += 1_000) table.ensure(start, start + 30);
    await waitUntil(() => answers.length === 1);
    answers.shift()!();
    await waitUntil(() => answers.length === 1);
    answers.shift()!();
    await waitUntil(() => table.row(50_000) !== undefined);

    expect(asked).toEqual([0, 1_000, 50_000]);
    expect(table.row(50_010)?.id).toBe(50_010);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe("highlight", () => {
  test("marks each searched word where a word starts with it, any case", () => {
    expect(highlight("Airframe Inventory, airframe", "air inv")).toEqual([
      { text: "Air", mark: true },
      { text: "frame ", mark: false },
      { text: "Inv", mark: true },
      { text: "entory, ", mark: false },
      { text: "air", mark: true },
      { text: "frame", mark: false },
    ]);
  });

  test("does not mark inside a word, and takes search syntax literally", () => {
    expect(highlight("Repair", "air")).toEqual([{ text: "Repair", mark: false }]);
    expect(highlight("N12 (a+b)", "(a+b")).toEqual([
      { text: "N12 (", mark: false },
      { text: "a", mark: true },
      { text: "+", mark: false },
      { text: "b", mark: true },
      { text: ")", mark: false },
    ]);
    expect(highlight("anything", "  ")).toEqual([{ text: "anything", mark: false }]);
  });
});
