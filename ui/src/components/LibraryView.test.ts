import { afterEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import LibraryView from "./LibraryView.svelte";
import type { ExportChanges, LibraryItem, LibraryView as Library } from "../lib/backend";

const item: LibraryItem = {
  dir: "/home/pat/.local/share/annolab-exporter/library/Group/Project/20261129T120000Z-job341",
  jobId: "20261129T120000Z-ab12",
  remoteJobId: 341,
  server: "http://127.0.0.1:41234/",
  profile: "demo",
  request: {
    owner: "Group Name owning project",
    project: "Example Project Name",
    tags: { form: "includeExclude", include: ["Engine Inventory"], exclude: [] },
    source: null,
    includeFiles: true,
  },
  input: {
    owner: "Group Name owning project",
    project: "Example Project Name",
    includeTags: ["Engine Inventory"],
    excludeTags: [],
    canonicalTags: [],
    source: null,
    includeFiles: true,
  },
  readyAt: "2026-11-29T12:01:00Z",
  counts: { instruments: 1250, pdfs: 1249, files: 1251, bytes: 7_340_000, problems: 1 },
  zipBytes: 7_000_000,
  problems: [{ kind: "missing_pdf", instrumentId: 402971, message: "Instrument 402971 has no PDF." }],
};

const root = "/home/pat/.local/share/annolab-exporter/library";

afterEach(() => clearMocks());

describe("LibraryView", () => {
  test("lists each export with its counts and problems", async () => {
    mockIPC((cmd) => (cmd === "library_changes" ? null : ({ root, items: [item] } satisfies Library)));
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn() });

    expect((await screen.findByTestId("library-instruments")).textContent).toBe(new Intl.NumberFormat().format(1250));
    expect(screen.getByTestId("library-problems").textContent).toBe("1");
    expect(screen.getByText("Instrument 402971 has no PDF.")).toBeTruthy();
    expect(screen.getByText(/7\.3 MB/)).toBeTruthy();
  });

  test("delete asks once more, then removes the export", async () => {
    const deleted: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "library_delete") {
        deleted.push((args as { dir: string }).dir);
        return { root, items: [] };
      }
      return { root, items: [item] };
    });
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn() });

    await fireEvent.click(await screen.findByTestId("library-delete"));
    expect(deleted).toEqual([]);
    await fireEvent.click(screen.getByTestId("library-delete-confirm"));

    expect(await screen.findByText("No exports yet")).toBeTruthy();
    expect(deleted).toEqual([item.dir]);
  });

  test("export again hands the same settings to the form", async () => {
    mockIPC(() => ({ root, items: [item] }));
    const onExportAgain = vi.fn();
    render(LibraryView, { onExportAgain, onBrowse: vi.fn() });

    await fireEvent.click(await screen.findByTestId("library-export-again"));

    expect(onExportAgain).toHaveBeenCalledWith(item.input);
  });

  test("a failure to open the file manager is shown, not swallowed", async () => {
    mockIPC((cmd) => {
      if (cmd === "library_open") throw { code: "open_failed", message: "Could not open the file manager or default app: no handler" };
      return { root, items: [item] };
    });
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn() });

    await fireEvent.click(await screen.findByText("Open folder"));

    expect((await screen.findByTestId("library-error")).textContent).toContain("no handler");
  });

  test("a card says what changed since the previous export, and the line browses those changes", async () => {
    const changes: ExportChanges = {
      since: "/library/Group/Project/older",
      sinceJobId: "20261130T090000Z-cd34",
      sinceReadyAt: "2026-11-30T09:00:00Z",
      added: 12,
      removed: 3,
      changed: 7,
      sameRequest: true,
      line: "since 2026-11-30: +12 new, \u22123 gone, 7 changed",
    };
    const asked: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "library_changes") {
        asked.push((args as { dir: string }).dir);
        return changes;
      }
      return { root, items: [item] };
    });
    const onBrowse = vi.fn();
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse });

    const line = await screen.findByTestId("library-changes");
    expect(line.textContent).toBe(changes.line);
    expect(asked).toEqual([item.dir]);
    await fireEvent.click(line);
    expect(onBrowse).toHaveBeenCalledWith(item.dir, changes.since);
  });

  test("a first export has no line, and a failed comparison says so without hiding the card", async () => {
    mockIPC((cmd) => (cmd === "library_changes" ? null : { root, items: [item] }));
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn() });
    await screen.findByTestId("library-instruments");
    await vi.waitFor(() => expect(screen.queryByTestId("library-changes-loading")).toBeNull());
    expect(screen.queryByTestId("library-changes")).toBeNull();
    clearMocks();

    mockIPC((cmd) => {
      if (cmd === "library_changes") throw { code: "different_projects", message: "The exports are of different projects." };
      return { root, items: [item] };
    });
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn() });
    expect((await screen.findByTestId("library-changes-error")).textContent).toContain("different projects");
  });
});
