// The UI's only door to the Rust backend: every command is wrapped here with its types, so
// components never call `invoke` and never see an untyped error.
import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { startDrag } from "@crabnebula/tauri-plugin-drag";
import type { CommandError } from "./bindings/CommandError";
import type { Count } from "./bindings/Count";
import type { Details } from "./bindings/Details";
import type { DragItems } from "./bindings/DragItems";
import type { ExportChanges } from "./bindings/ExportChanges";
import type { ExportOverview } from "./bindings/ExportOverview";
import type { GroupBy } from "./bindings/GroupBy";
import type { Groups } from "./bindings/Groups";
import type { Package } from "./bindings/Package";
import type { Page } from "./bindings/Page";
import type { Query } from "./bindings/Query";
import type { Saved } from "./bindings/Saved";
import type { ExportInput } from "./bindings/ExportInput";
import type { JobView } from "./bindings/JobView";
import type { KeyCheck } from "./bindings/KeyCheck";
import type { ImportProposal } from "./bindings/ImportProposal";
import type { LibraryView } from "./bindings/LibraryView";
import type { MenuAction } from "./bindings/MenuAction";
import type { UpdateCheck } from "./bindings/UpdateCheck";
import type { UpdateSettings } from "./bindings/UpdateSettings";
import type { Preferences } from "./bindings/Preferences";
import type { Theme } from "./bindings/Theme";
import type { MoveProgress } from "./bindings/MoveProgress";
import type { ProfileInput } from "./bindings/ProfileInput";
import type { ProfilesView } from "./bindings/ProfilesView";
import type { ProjectCheck } from "./bindings/ProjectCheck";
import type { SandboxStatus } from "./bindings/SandboxStatus";
import type { Suggestions } from "./bindings/Suggestions";
import type { TimelineView } from "./bindings/TimelineView";
import type { AttributeValue } from "./bindings/AttributeValue";

export type {
  CommandError,
  Count,
  Details,
  ExportChanges,
  ExportOverview,
  GroupBy,
  Groups,
  Package,
  Page,
  Query,
  Saved,
  ExportInput,
  JobView,
  ImportProposal,
  KeyCheck,
  LibraryView,
  MenuAction,
  UpdateCheck,
  UpdateSettings,
  Preferences,
  Theme,
  MoveProgress,
  ProfileInput,
  ProfilesView,
  ProjectCheck,
  SandboxStatus,
  Suggestions,
  TimelineView,
  AttributeValue,
};
export type { ChangedField } from "./bindings/ChangedField";
export type { ChangeKind } from "./bindings/ChangeKind";
export type { ChangesFilter } from "./bindings/ChangesFilter";
export type { Code } from "./bindings/Code";
export type { EarlierExport } from "./bindings/EarlierExport";
export type { Field } from "./bindings/Field";
export type { DateField } from "./bindings/DateField";
export type { Dating } from "./bindings/Dating";
export type { DemoProject } from "./bindings/DemoProject";
export type { ExportRequest } from "./bindings/ExportRequest";
export type { LibraryItem } from "./bindings/LibraryItem";
export type { Phase } from "./bindings/Phase";
export type { ProfileView } from "./bindings/ProfileView";
export type { Row } from "./bindings/Row";
export type { SortBy } from "./bindings/SortBy";
export type { TagFilter } from "./bindings/TagFilter";
export type { TimelineEntry } from "./bindings/TimelineEntry";

/** An error as the UI sees it: one the backend reported, or a call that never reached it. */
export type BackendError = CommandError | { code: "ipc_failed"; message: string; field?: string };

/** Thrown by every wrapper below; `error.code` is stable, `error.message` is for people. */
export class BackendCallError extends Error {
  readonly error: BackendError;

  constructor(error: BackendError) {
    super(error.message);
    this.name = "BackendCallError";
    this.error = error;
  }
}

// --- Demo workspace -------------------------------------------------------------------------

/** The demo workspace's sandbox server: starting, running (with its project) or failed. */
export function sandboxStatus(): Promise<SandboxStatus> {
  return call<SandboxStatus>("sandbox_status");
}

/**
 * Reports the sandbox status to `onStatus` until it settles (running or failed), asking again
 * every `intervalMs` while it is starting. Returns a function that stops watching.
 */
export function watchSandboxStatus(
  onStatus: (status: SandboxStatus) => void,
  onError: (error: BackendError) => void,
  intervalMs = 250,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const poll = async (): Promise<void> => {
    try {
      const status = await sandboxStatus();
      if (stopped) return;
      onStatus(status);
      if (status.state === "starting") {
        timer = setTimeout(() => void poll(), intervalMs);
      }
    } catch (e) {
      if (!stopped) onError(toBackendError(e));
    }
  };
  void poll();

  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

/**
 * "Simulate a week of new records": restarts the demo server serving its project a week later
 * (instruments added, corrected and removed), so exporting it again shows what changed.
 */
export function demoNextWeek(): Promise<SandboxStatus> {
  return call("demo_next_week");
}

// --- Profiles -------------------------------------------------------------------------------

/** Every profile (the built-in demo first) and the selected one. */
export function profilesList(): Promise<ProfilesView> {
  return call("profiles_list");
}

/** Adds or updates a profile; a given key goes to the OS keychain and never comes back. */
export function profileSave(input: ProfileInput): Promise<ProfilesView> {
  return call("profile_save", { input });
}

export function profileRemove(name: string): Promise<ProfilesView> {
  return call("profile_remove", { name });
}

export function profileSelect(name: string): Promise<ProfilesView> {
  return call("profile_select", { name });
}

/** Checks a key (the typed one, or the profile's stored one) and lists the groups it sees. */
export function profileTest(input: ProfileInput): Promise<KeyCheck> {
  return call("profile_test", { input });
}

// --- Exports --------------------------------------------------------------------------------

/** Checks form input locally, sending nothing; rejects with the field at fault. */
export function exportValidate(input: ExportInput): Promise<void> {
  return call("export_validate", { input });
}

export function exportSuggestions(profile: string): Promise<Suggestions> {
  return call("export_suggestions", { profile });
}

export function exportCheckProject(
  profile: string,
  owner: string,
  project: string,
): Promise<ProjectCheck> {
  return call("export_check_project", { profile, owner, project });
}

/** Starts an export; `onUpdate` receives the job's view at every change until it ends. */
export function exportStart(
  profile: string,
  input: ExportInput,
  onUpdate: (job: JobView) => void,
): Promise<JobView> {
  return call("export_start", { profile, input, onEvent: channel(onUpdate) });
}

/** Every job, newest first. */
export function jobsList(): Promise<JobView[]> {
  return call("jobs_list");
}

/** Follows a running job (for example one resumed at launch). */
export function jobWatch(id: string, onUpdate: (job: JobView) => void): Promise<JobView> {
  return call("job_watch", { id, onEvent: channel(onUpdate) });
}

/** Takes an ended job off the list; refused (`job_resumable`) for one that can still resume. */
export function jobDismiss(id: string): Promise<JobView[]> {
  return call("job_dismiss", { id });
}

/** Forgets a failed or interrupted job with what it downloaded. */
export function jobDiscard(id: string): Promise<JobView[]> {
  return call("job_discard", { id });
}

/** Every ended job that cannot resume off the list. */
export function jobsClearFinished(): Promise<JobView[]> {
  return call("jobs_clear_finished");
}

export function jobCancel(id: string): Promise<JobView> {
  return call("job_cancel", { id });
}

/** Resumes a failed job, or exports a cancelled one afresh with the same settings. */
export function jobRetry(id: string, onUpdate: (job: JobView) => void): Promise<JobView> {
  return call("job_retry", { id, onEvent: channel(onUpdate) });
}

// --- Library --------------------------------------------------------------------------------

export function libraryList(): Promise<LibraryView> {
  return call("library_list");
}

/**
 * What changed in the export since the previous export of its project (`null` for its first).
 * Computed once from the two indexes, then kept with the export.
 */
export function libraryChanges(dir: string): Promise<ExportChanges | null> {
  return call("library_changes", { dir });
}

export function libraryOpen(dir: string): Promise<void> {
  return call("library_open", { dir });
}

export function libraryReveal(dir: string): Promise<void> {
  return call("library_reveal", { dir });
}

export function libraryDelete(dir: string): Promise<LibraryView> {
  return call("library_delete", { dir });
}

/** Asks for an export zip with the system dialog; null if the user cancels. */
export function libraryPickZip(): Promise<ImportProposal | null> {
  return call("library_pick_zip");
}

/** Opens an export zip into the library under the proposal's owner and project. */
export function libraryImport(proposal: ImportProposal): Promise<LibraryView> {
  return call("library_import", { proposal });
}

/** Asks the update server whether a newer version exists, with its notes. */
export function updateCheck(): Promise<UpdateCheck> {
  return call("update_check");
}

/** The daily look for a new version: null when it is not due, turned off, or failed. */
export function updateCheckDaily(): Promise<UpdateCheck | null> {
  return call("update_check_daily");
}

/** Installs the update the last check found (its signature verified first) and restarts. */
export function updateInstall(): Promise<void> {
  return call("update_install");
}

/** The update settings; with `daily`, turns the daily look on or off first. */
export function updateSettings(daily?: boolean): Promise<UpdateSettings> {
  return call("update_settings", daily === undefined ? {} : { daily });
}

/** The Settings tab's preferences; with `change`, saved first (how many exports work at once
 * takes effect at once). */
export function preferences(change?: Preferences): Promise<Preferences> {
  return call("preferences", change === undefined ? {} : { change });
}

/** Calls `onAction` for every item of the native menu (or its shortcut) the UI acts on. */
export function watchMenu(onAction: (action: MenuAction) => void): Promise<void> {
  return call("window_menu", { onAction: channel(onAction) });
}

/** Calls `onDrop` with an import proposal for every zip file dropped onto the window. */
export function watchDrops(onDrop: (proposal: ImportProposal) => void): Promise<void> {
  return call("window_drops", { onDrop: channel(onDrop) });
}

/** Asks for a new library folder with the system dialog; unchanged if the user cancels. */
export function libraryChooseFolder(): Promise<LibraryView> {
  return call("library_choose_folder");
}

/** Asks for an empty folder and moves the whole library there, reporting its progress; null if
 * the user cancels the dialog. */
export function libraryMove(onProgress: (progress: MoveProgress) => void): Promise<LibraryView | null> {
  return call("library_move", { onProgress: channel(onProgress) });
}

// --- Browsing one export -------------------------------------------------------------------

/** Opens an export of the library for browsing: its facets and whether it has PDFs. */
export function browseOpen(dir: string): Promise<ExportOverview> {
  return call("browse_open", { dir });
}

/** Rows `offset..offset+limit` of the table the query describes, and the total. */
export function browsePage(dir: string, query: Query, offset: number, limit: number): Promise<Page> {
  return call("browse_page", { dir, query, offset, limit });
}

export function browseGroups(dir: string, query: Query, by: GroupBy, limit: number): Promise<Groups> {
  return call("browse_groups", { dir, query, by, limit });
}

/** Sources whose name contains `containing`: the one named exactly so first, then largest first. */
export function browseSources(dir: string, containing: string, limit: number): Promise<Groups> {
  return call("browse_sources", { dir, containing, limit });
}

export function browseDetails(dir: string, id: number): Promise<Details> {
  return call("browse_details", { dir, id });
}

/** Saves the whole table (as filtered and sorted) as CSV in the export's `saved/` folder. */
export function browseSaveCsv(dir: string, query: Query): Promise<Saved> {
  return call("browse_save_csv", { dir, query });
}

/** Merges the instruments' PDFs, in the order given, into one PDF in the export's `saved/` folder. */
export function browseMerge(dir: string, ids: number[]): Promise<Saved> {
  return call("browse_merge", { dir, ids });
}

export function browseOpenFile(dir: string, file: string): Promise<void> {
  return call("browse_open_file", { dir, file });
}

export function browseRevealFile(dir: string, file: string): Promise<void> {
  return call("browse_reveal_file", { dir, file });
}

/** Copies the instruments' PDFs into a folder the user picks; `null` if they cancel. */
export function browseCopyPdfs(dir: string, ids: number[]): Promise<Saved | null> {
  return call("browse_copy_pdfs", { dir, ids });
}

/**
 * Drags the instruments' PDFs out of the window (to a file manager, a mail, a document system).
 * Call it from the drag gesture's start; the files are the backend's, checked to be the export's.
 */
export async function dragPdfsOut(dir: string, ids: number[]): Promise<void> {
  await dragOut(await call<DragItems>("browse_drag_items", { dir, ids }));
}

/** Drags one file the export holds (a saved title package, CSV or merged PDF) out of the window. */
export async function dragFileOut(dir: string, file: string): Promise<void> {
  await dragOut(await call<DragItems>("browse_drag_file", { dir, file }));
}

/**
 * One group's chain of title: its instruments ordered by `orderBy` (a date field), or by its
 * default date field when `null`, with the fields it can be ordered by.
 */
export function browseTimeline(dir: string, group: AttributeValue, orderBy: string | null): Promise<TimelineView> {
  return call("browse_timeline", { dir, group, orderBy });
}

/** Builds the group's title package, in its timeline's order, into the export's `saved/` folder. */
export function browseSavePackage(dir: string, group: AttributeValue, orderBy: string | null): Promise<Package> {
  return call("browse_save_package", { dir, group, orderBy });
}

async function dragOut(items: DragItems): Promise<void> {
  try {
    await startDrag({ item: items.files, icon: items.icon, mode: "copy" });
  } catch (e) {
    throw new BackendCallError(toBackendError(e));
  }
}

// --- Plumbing -------------------------------------------------------------------------------

function channel<T>(onMessage: (message: T) => void): Channel<T> {
  const channel = new Channel<T>();
  channel.onmessage = onMessage;
  return channel;
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw new BackendCallError(toBackendError(e));
  }
}

/** Any thrown value as a `BackendError`, for components that catch. */
export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendCallError) return e.error;
  if (isCommandError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return { code: "ipc_failed", message: `The app's backend did not answer: ${message}` };
}

function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}
