import { afterEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import LibraryView from "./LibraryView.svelte";
import type { ExportChanges, ImportProposal, LibraryItem, LibraryView as Library } from "../lib/backend";

const root = "/home/pat/.local/share/annolab-exporter/library";

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
  importedFrom: null,
};

const proposal: ImportProposal = { zip: "/home/pat/Downloads/example_export.zip", owner: "Imported", project: "example_export" };
const imported: LibraryItem = {
  ...item,
  dir: `${root}/Skyline Title/example_export/20261207T100000Z-imported`,
  request: { ...item.request, owner: "Skyline Title", project: "example_export" },
  remoteJobId: 0,
  server: "",
  importedFrom: "example_export.zip",
};

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

  test("open export zip asks for the file, lets the names be changed, and lists it marked imported", async () => {
    const opened: ImportProposal[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "library_pick_zip") return proposal;
      if (cmd === "library_import") {
        opened.push((args as { proposal: ImportProposal }).proposal);
        return { root, items: [imported, item] } satisfies Library;
      }
      return cmd === "library_changes" ? null : { root, items: [item] };
    });
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn() });

    await fireEvent.click(await screen.findByTestId("library-open-zip"));
    expect((await screen.findByTestId("import-zip")).textContent).toBe(proposal.zip);
    const owner = screen.getByTestId("import-owner") as HTMLInputElement;
    expect(owner.value).toBe("Imported");
    await fireEvent.input(owner, { target: { value: " Skyline Title " } });
    await fireEvent.click(screen.getByTestId("import-start"));

    expect((await screen.findByTestId("library-imported")).textContent).toContain("imported from example_export.zip");
    expect(opened).toEqual([{ ...proposal, owner: "Skyline Title" }]);
    expect(screen.queryByTestId("import-form")).toBeNull();
    // An imported export has no request to repeat: only the downloaded one offers Export again.
    expect(screen.getAllByTestId("library-export-again")).toHaveLength(1);
  });

  test("a dropped zip opens the form; a refused zip keeps it open with the reason", async () => {
    mockIPC((cmd) => {
      if (cmd === "library_import") throw { code: "not_an_export_zip", message: '"/tmp/photos.zip" cannot be imported: it holds no instruments.json' };
      return cmd === "library_changes" ? null : { root, items: [] };
    });
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn(), dropped: { ...proposal, zip: "/tmp/photos.zip" } });

    expect((await screen.findByTestId("import-zip")).textContent).toBe("/tmp/photos.zip");
    await fireEvent.click(screen.getByTestId("import-start"));

    expect((await screen.findByTestId("library-error")).textContent).toContain("holds no instruments.json");
    expect(screen.getByTestId("import-form")).toBeTruthy();
    expect(screen.getByText("No exports yet")).toBeTruthy();
  });

  test("cancelling the dialog changes nothing", async () => {
    mockIPC((cmd) => (cmd === "library_pick_zip" ? null : cmd === "library_changes" ? null : { root, items: [item] }));
    render(LibraryView, { onExportAgain: vi.fn(), onBrowse: vi.fn() });
    await fireEvent.click(await screen.findByTestId("library-open-zip"));
    await screen.findByTestId("library-instruments");
    expect(screen.queryByTestId("import-form")).toBeNull();
    expect(screen.queryByTestId("library-error")).toBeNull();
  });
});
