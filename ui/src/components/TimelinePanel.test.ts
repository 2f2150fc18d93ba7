import { afterEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import TimelinePanel from "./TimelinePanel.svelte";
import type { Package, TimelineEntry, TimelineView } from "../lib/backend";

const dir = "/library/Group/Project/export";
const group = { name: "Serial Number", value: "MC-453" };

function entry(id: number, overrides: Partial<TimelineEntry>): TimelineEntry {
  return {
    id,
    typeName: "Bill of Sale",
    sourceName: "N809ZO_Aircraft_Records.pdf",
    startPage: 1,
    endPage: 3,
    pdfPages: 3,
    hasPdf: true,
    dating: "dated",
    date: null,
    value: null,
    possibleDuplicates: [],
    ...overrides,
  };
}

/** MC-453's chain: two bills of sale on one day, a lease, a release with a date that is none, an undated registration. */
function view(orderBy: string): TimelineView {
  return {
    fields: [
      { name: "Recording Date", withValue: 4, dated: 3, unparseable: 1, inAttributes: true, inAnnotations: true },
      { name: "Effective Date", withValue: 2, dated: 2, unparseable: 0, inAttributes: false, inAnnotations: true },
    ],
    timeline: {
      group,
      orderBy,
      entries: [
        entry(12, { date: "1998-01-05", value: "January 5, 1998", possibleDuplicates: [31] }),
        entry(31, { date: "1998-01-05", value: "1/5/1998", possibleDuplicates: [12] }),
        entry(40, { typeName: "Lease", date: "2003-06-30", value: "2003-06-30", hasPdf: false, pdfPages: null }),
        entry(44, { typeName: "Release", dating: "unparseable", value: "13/45/1998" }),
        entry(50, { typeName: "Registration", dating: "undated" }),
      ],
      undated: 1,
      unparseable: 1,
      possibleDuplicates: 2,
    },
  };
}

const built: Package = {
  path: `${dir}/saved/title-package Serial Number MC-453-20261206T010203Z.pdf`,
  pages: 14,
  coverPages: 1,
  instruments: [
    { id: 12, firstPage: 2, pages: 3, title: "1998-01-05 Bill of Sale #12" },
    { id: 40, firstPage: null, pages: 0, title: "2003-06-30 Lease #40" },
  ],
  problems: ["2003-06-30 Lease #40: no PDF in this export; listed here, not included."],
  orderBy: "Recording Date",
};

/** A backend that answers the timeline by the field asked for (Recording Date by default) and records the calls. */
function backend(calls: { cmd: string; args: Record<string, unknown> }[], savePackage: () => Package = () => built): void {
  mockIPC((cmd, args) => {
    const a = args as Record<string, unknown>;
    calls.push({ cmd, args: a });
    switch (cmd) {
      case "browse_timeline":
        return view((a.orderBy as string | null) ?? "Recording Date");
      case "browse_save_package":
        return savePackage();
      default:
        throw new Error(`unexpected ${cmd}`);
    }
  });
}

function props(overrides: Record<string, unknown> = {}) {
  return {
    dir,
    group,
    active: null,
    onActivate: vi.fn(),
    onViewPackage: vi.fn(),
    onOpenFile: vi.fn(),
    onRevealFile: vi.fn(),
    onDragFile: vi.fn(),
    onClose: vi.fn(),
    ...overrides,
  };
}

afterEach(() => clearMocks());

describe("TimelinePanel", () => {
  test("lists the chain in date order with undated, unreadable and duplicate instruments flagged", async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    backend(calls);
    render(TimelinePanel, props());

    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(5));
    expect(calls[0]).toEqual({ cmd: "browse_timeline", args: { dir, group, orderBy: null } });
    const rows = screen.getAllByTestId("timeline-entry");
    expect(rows.map((r) => r.dataset.id)).toEqual(["12", "31", "40", "44", "50"]);
    expect(rows[3]?.textContent).toContain("“13/45/1998” is not a date");
    expect(rows[4]?.textContent).toContain("Undated");
    expect(rows[2]?.textContent).toContain("No PDF");
    expect(screen.getAllByTestId("possible-duplicate").map((p) => p.textContent)).toEqual(["Possible duplicate of #31", "Possible duplicate of #12"]);
    expect(screen.getByTestId("timeline-summary").textContent).toMatch(/5 instruments.*1 undated.*1 with a date that does not read.*2 possible duplicates/s);
    expect(screen.getByTestId("timeline").dataset.orderBy).toBe("Recording Date");
  });

  test("another date field reorders it, and a row opens its instrument", async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    backend(calls);
    const onActivate = vi.fn();
    render(TimelinePanel, props({ onActivate }));

    const select = await screen.findByTestId("timeline-order-by");
    await fireEvent.change(select, { target: { value: "Effective Date" } });
    await waitFor(() => expect(screen.getByTestId("timeline").dataset.orderBy).toBe("Effective Date"));
    expect(calls.at(-1)?.args.orderBy).toBe("Effective Date");

    const first = screen.getAllByTestId("timeline-entry")[0];
    if (!first) throw new Error("no entry");
    await fireEvent.click(first);
    expect(onActivate).toHaveBeenCalledWith(12);
  });

  test("the package is built in the chosen order, its problems shown, and it can be viewed and dragged out", async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    backend(calls);
    const onViewPackage = vi.fn();
    const onDragFile = vi.fn();
    render(TimelinePanel, props({ onViewPackage, onDragFile }));

    await screen.findAllByTestId("timeline-entry");
    await fireEvent.click(screen.getByTestId("build-package"));

    const saved = await screen.findByTestId("package-saved");
    expect(calls.at(-1)).toEqual({ cmd: "browse_save_package", args: { dir, group, orderBy: "Recording Date" } });
    expect(saved.dataset.path).toBe(built.path);
    expect(saved.textContent).toContain("14 pages, 1 of 2 instruments");
    expect(screen.getByTestId("package-problems").textContent).toContain("no PDF in this export");

    await fireEvent.click(screen.getByTestId("view-package"));
    expect(onViewPackage).toHaveBeenCalledWith(built.path, "Title package · Serial Number: MC-453", expect.stringContaining("14 pages"));
    await fireEvent.dragStart(screen.getByTestId("drag-package"));
    expect(onDragFile).toHaveBeenCalledWith(built.path);
  });

  test("a package that cannot be written says why and the timeline stays", async () => {
    backend([], () => {
      throw { code: "disk_full", message: "Not enough space in /library/Group/Project/export/saved: 2.1 MB needed, 0 B free." };
    });
    render(TimelinePanel, props());

    await screen.findAllByTestId("timeline-entry");
    await fireEvent.click(screen.getByTestId("build-package"));

    expect((await screen.findByTestId("timeline-error")).textContent).toContain("Not enough space");
    expect(screen.queryByTestId("package-saved")).toBeNull();
    expect(screen.getAllByTestId("timeline-entry")).toHaveLength(5);
    expect((screen.getByTestId("build-package") as HTMLButtonElement).disabled).toBe(false);
  });
});
