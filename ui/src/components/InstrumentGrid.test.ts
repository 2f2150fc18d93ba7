import { afterEach, describe, expect, test } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { flushSync } from "svelte";
import InstrumentGrid from "./InstrumentGrid.svelte";
import { InstrumentTable, emptyQuery } from "../lib/table.svelte";
import type { Page } from "../lib/backend";

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("InstrumentGrid", () => {
  test("other rows start at the top; adding a column keeps the place", async () => {
    mockIPC((cmd, args) => {
      if (cmd !== "browse_page") throw new Error(`unexpected ${cmd}`);
      const { offset, limit } = args as { offset: number; limit: number };
      const rows = Array.from({ length: limit }, (_, i) => ({ id: offset + i, tagTypes: [], problems: [], columns: [], changedFields: [] }) as unknown as Page["rows"][number]);
      return { total: 1_000_000, offset, rows } satisfies Page;
    });
    const table = new InstrumentTable("/library/export");
    await table.setQuery(emptyQuery());
    render(InstrumentGrid, { table, selected: new Set<number>(), active: null, onActivate: () => {}, onToggle: () => {}, onSort: () => {}, onDragOut: () => {} });
    const body = screen.getByTestId("instrument-table");

    body.scrollTop = 36_000;
    body.dispatchEvent(new Event("scroll"));
    table.query = { ...table.query, columns: ["Make"] };
    flushSync();
    expect(body.scrollTop).toBe(36_000);

    table.query = { ...table.query, search: "cessna" };
    flushSync();
    expect(body.scrollTop).toBe(0);
  });
});
