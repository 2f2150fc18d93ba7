import { afterEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import BrowserView from "./BrowserView.svelte";
import type { ExportOverview, Page, Query } from "../lib/backend";

const overview: ExportOverview = {
  dir: "/library/Group/Project/export",
  owner: "Group Name owning project",
  project: "Example Project Name",
  includeFiles: true,
  facets: {
    instruments: 240,
    types: [{ value: "Lease", count: 31 }, { value: "Bill of Sale", count: 40 }],
    tagTypes: [{ value: "Airframe Inventory", count: 200 }],
    sources: { groups: [{ value: "Test_PDF.pdf", count: 5 }], total: 22280 },
    attributes: ["Make", "Serial Number"],
  },
  earlier: [
    { dir: "/library/Group/Project/older", readyAt: "2026-11-30T09:00:00Z", instruments: 236 },
    { dir: "/library/Group/Project/oldest", readyAt: "2026-11-23T09:00:00Z", instruments: 230 },
  ],
};

/** A backend whose table has 240 rows, or 31 when filtered to leases; records the queries. */
function backend(queries: Query[]): void {
  mockIPC((cmd, args) => {
    const a = args as { query: Query };
    switch (cmd) {
      case "browse_open":
        return overview;
      case "browse_page":
        queries.push(a.query);
        return { total: a.query.changes ? 12 : a.query.types.includes("Lease") ? 31 : 240, offset: 0, rows: [] } satisfies Page;
      case "browse_groups":
        return { groups: [{ value: "MC-453", count: 3 }], total: 1 };
      case "browse_sources": {
        // Two sources hold "n809": the one named exactly so comes first, as the engine sends it.
        const { containing } = args as { containing: string };
        const names = ["N809ZO_Aircraft_Records.pdf", "N809ZO_Engine_Logs.pdf"].filter((n) => n.toLowerCase().includes(containing.toLowerCase()));
        names.sort((a, b) => Number(b === containing) - Number(a === containing));
        return { groups: names.map((value) => ({ value, count: 7 })), total: names.length };
      }
      case "browse_timeline":
        return {
          fields: [{ name: "Recording Date", withValue: 3, dated: 3, unparseable: 0, inAttributes: true, inAnnotations: false }],
          timeline: {
            group: (args as { group: { name: string; value: string | null } }).group,
            orderBy: "Recording Date",
            entries: [7, 3, 9].map((id, i) => ({
              id,
              typeName: "Bill of Sale",
              sourceName: "N809ZO_Aircraft_Records.pdf",
              startPage: 1,
              endPage: 2,
              pdfPages: 2,
              hasPdf: true,
              dating: "dated",
              date: `199${i}-01-05`,
              value: null,
              possibleDuplicates: [],
            })),
            undated: 0,
            unparseable: 0,
            possibleDuplicates: 0,
          },
        };
      case "browse_save_csv":
        throw { code: "io_error", message: "could not write saved/instruments.csv: disk full" };
      default:
        throw new Error(`unexpected ${cmd}`);
    }
  });
}

afterEach(() => clearMocks());

describe("BrowserView", () => {
  test("opens with the whole table and narrows it with the type filter", async () => {
    const queries: Query[] = [];
    backend(queries);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    await waitFor(() => expect(screen.getByTestId("instrument-count").textContent).toContain("240"));
    await fireEvent.change(screen.getByTestId("instrument-filter-type"), { target: { value: "Lease" } });

    await waitFor(() => expect(screen.getByTestId("instrument-count").textContent).toContain("31"));
    expect(queries.at(-1)?.types).toEqual(["Lease"]);
  });

  test("grouping by an attribute lists the groups with their counts", async () => {
    backend([]);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    await screen.findByText("Example Project Name");
    await fireEvent.change(screen.getByTestId("group-by"), { target: { value: "attr:Serial Number" } });

    const group = await screen.findByTestId("group");
    expect(group.dataset.value).toBe("MC-453");
    expect(group.dataset.count).toBe("3");
  });

  test("a group opened shows its timeline in place of the table, and the table comes back", async () => {
    const queries: Query[] = [];
    backend(queries);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    await screen.findByText("Example Project Name");
    expect(screen.queryByTestId("open-timeline")).toBeNull();
    await fireEvent.change(screen.getByTestId("group-by"), { target: { value: "attr:Serial Number" } });
    await fireEvent.click(await screen.findByTestId("group"));
    await waitFor(() => expect(queries.at(-1)?.attribute).toEqual({ name: "Serial Number", value: "MC-453" }));

    await fireEvent.click(await screen.findByTestId("open-timeline"));
    const timeline = await screen.findByTestId("timeline");
    await waitFor(() => expect(timeline.dataset.count).toBe("3"));
    expect(screen.getAllByTestId("timeline-entry").map((e) => e.dataset.id)).toEqual(["7", "3", "9"]);
    expect(screen.queryByTestId("instrument-count")).toBeNull();

    await fireEvent.click(screen.getByTestId("timeline-close"));
    expect(await screen.findByTestId("instrument-count")).toBeTruthy();
    expect(screen.queryByTestId("timeline")).toBeNull();
  });

  test("a source is found by part of its name and filters once picked", async () => {
    const queries: Query[] = [];
    backend(queries);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    const source = (await screen.findByTestId("instrument-filter-source")) as HTMLInputElement;
    expect(source.placeholder).toBe("All 22,280 sources");
    await fireEvent.input(source, { target: { value: "n809" } });
    await waitFor(() => expect(document.querySelectorAll("#source-names option")).toHaveLength(2));
    expect(queries.at(-1)?.sources).toEqual([]);

    // Picking a suggestion puts its whole name in the field.
    await fireEvent.input(source, { target: { value: "N809ZO_Engine_Logs.pdf" } });
    await waitFor(() => expect(queries.at(-1)?.sources).toEqual(["N809ZO_Engine_Logs.pdf"]));

    await fireEvent.keyDown(source, { key: "Escape" });
    await waitFor(() => expect(queries.at(-1)?.sources).toEqual([]));
    expect(source.value).toBe("");
  });

  test("a source name that does not exist is named, and the table is left as it was", async () => {
    const queries: Query[] = [];
    backend(queries);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    const source = (await screen.findByTestId("instrument-filter-source")) as HTMLInputElement;
    await fireEvent.input(source, { target: { value: "N809" } });
    await fireEvent.change(source);
    expect((await screen.findByTestId("source-problem")).textContent).toContain("No source is named “N809”; 2 contain it");
    await fireEvent.input(source, { target: { value: "Z999" } });
    await fireEvent.change(source);
    await waitFor(() => expect(screen.getByTestId("source-problem").textContent).toContain("No source name contains “Z999”"));
    expect(queries.every((q) => q.sources.length === 0)).toBe(true);
  });

  test("a search is sent as typed, and the clear button or Escape takes it back", async () => {
    const queries: Query[] = [];
    backend(queries);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    const search = (await screen.findByTestId("instrument-search")) as HTMLInputElement;
    expect(screen.queryByTestId("search-clear")).toBeNull();
    await fireEvent.input(search, { target: { value: "lease" } });
    await waitFor(() => expect(queries.at(-1)?.search).toBe("lease"));

    await fireEvent.click(await screen.findByRole("button", { name: "Clear the search" }));
    await waitFor(() => expect(queries.at(-1)?.search).toBe(""));
    expect(search.value).toBe("");
    expect(screen.queryByTestId("search-clear")).toBeNull();

    await fireEvent.input(search, { target: { value: "n12" } });
    await waitFor(() => expect(queries.at(-1)?.search).toBe("n12"));
    await fireEvent.keyDown(search, { key: "Escape" });
    await waitFor(() => expect(queries.at(-1)?.search).toBe(""));
    expect(search.value).toBe("");
  });

  test("a failed save says why and the table stays", async () => {
    backend([]);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    await screen.findByText("Example Project Name");
    await fireEvent.click(screen.getByTestId("csv-export"));

    expect((await screen.findByTestId("browser-error")).textContent).toContain("disk full");
    expect(screen.getByTestId("instrument-count").textContent).toContain("240");
  });

  test("changes since the previous export: new and changed, then gone, then another export", async () => {
    const queries: Query[] = [];
    backend(queries);
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    await waitFor(() => expect(screen.getByTestId("instrument-count").textContent).toContain("240"));
    expect((screen.getByTestId("changes-since") as HTMLSelectElement).value).toBe("/library/Group/Project/older");
    await fireEvent.click(screen.getByTestId("changes-newAndChanged"));
    await waitFor(() => expect(screen.getByTestId("instrument-count").textContent).toContain("12"));
    expect(queries.at(-1)?.changes).toEqual({ since: "/library/Group/Project/older", kinds: ["new", "changed"] });
    expect(screen.getByTestId("changes-newAndChanged").getAttribute("aria-pressed")).toBe("true");

    await fireEvent.click(screen.getByTestId("changes-gone"));
    await waitFor(() => expect(queries.at(-1)?.changes?.kinds).toEqual(["gone"]));
    expect(screen.getByText(/shown as they were in the older export/)).toBeTruthy();

    await fireEvent.change(screen.getByTestId("changes-since"), { target: { value: "/library/Group/Project/oldest" } });
    await waitFor(() => expect(queries.at(-1)?.changes).toEqual({ since: "/library/Group/Project/oldest", kinds: ["gone"] }));

    await fireEvent.click(screen.getByTestId("changes-all"));
    await waitFor(() => expect(screen.getByTestId("instrument-count").textContent).toContain("240"));
    expect(queries.at(-1)?.changes).toBeNull();
  });

  test("opened from a card's changes line, it shows what is new and changed since that export", async () => {
    const queries: Query[] = [];
    backend(queries);
    render(BrowserView, { dir: overview.dir, since: "/library/Group/Project/oldest", onBack: vi.fn() });

    await waitFor(() => expect(screen.getByTestId("instrument-count").textContent).toContain("12"));
    expect(queries.at(-1)?.changes).toEqual({ since: "/library/Group/Project/oldest", kinds: ["new", "changed"] });
    expect((screen.getByTestId("changes-since") as HTMLSelectElement).value).toBe("/library/Group/Project/oldest");
  });

  test("an export with no earlier one has no changes bar", async () => {
    mockIPC((cmd) => {
      if (cmd === "browse_open") return { ...overview, earlier: [] };
      if (cmd === "browse_page") return { total: 240, offset: 0, rows: [] };
      throw new Error(`unexpected ${cmd}`);
    });
    render(BrowserView, { dir: overview.dir, onBack: vi.fn() });

    await waitFor(() => expect(screen.getByTestId("instrument-count").textContent).toContain("240"));
    expect(screen.queryByTestId("changes-bar")).toBeNull();
  });
});
