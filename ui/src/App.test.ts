import { afterEach, expect, test, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import App from "./App.svelte";
import type { ProfilesView } from "./lib/backend";

afterEach(() => clearMocks());

const firstLaunch: ProfilesView = {
  profiles: [{ name: "demo", server: "", demo: true, hasKey: true }],
  selected: "demo",
};

/**
 * A backend on first launch: only the demo profile, no jobs, the demo still starting. `also`
 * answers first the commands a test watches; `undefined` leaves a command to the usual answer.
 */
function firstLaunchBackend(also: (cmd: string, args: unknown) => unknown = () => undefined): void {
  mockIPC((cmd, args) => {
    const answer = also(cmd, args);
    if (answer !== undefined) return answer;
    switch (cmd) {
      case "profiles_list":
        return firstLaunch;
      case "jobs_list":
        return [];
      case "sandbox_status":
        return { state: "starting" };
      case "export_suggestions":
        return { owners: [], projects: [] };
      case "export_validate":
        return null;
      case "window_drops":
      case "window_menu":
      case "update_check_daily":
        return null;
      case "preferences":
        return { notifications: true, theme: "system", exportsAtOnce: 3 };
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

test("the header names the product", () => {
  firstLaunchBackend();
  render(App);

  expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("AnnoLab Exporter");
});

test("the header's logo is drawn inline, not as an image WebKit would open a document for", () => {
  firstLaunchBackend();
  const { container } = render(App);

  const logo = container.querySelector("header .logo");
  expect(logo?.querySelector("svg linearGradient#logo-bg")).toBeTruthy();
  expect(container.querySelector("header img")).toBeNull();
});

test("on first launch the demo is selected, labelled offline, with adding an account one click away", async () => {
  firstLaunchBackend();
  render(App);

  expect((await screen.findByTestId("demo-badge")).textContent).toContain("Offline demo");
  expect((screen.getByTestId("profile-select") as HTMLSelectElement).value).toBe("demo");
  expect(await screen.findByTestId("export-start")).toBeTruthy();

  await fireEvent.click(screen.getByTestId("header-add-account"));
  expect(await screen.findByTestId("profile-key")).toBeTruthy();
});

test("the menu's items and shortcuts reach the app: Library, New export, then Open export zip", async () => {
  let menu: { id: number } | undefined;
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "window_menu":
        menu = (args as { onAction: { id: number } }).onAction;
        return null;
      case "profiles_list":
        return firstLaunch;
      case "jobs_list":
        return [];
      case "sandbox_status":
        return { state: "starting" };
      case "export_suggestions":
        return { owners: [], projects: [] };
      case "library_list":
        return { root: "/library", items: [] };
      case "library_pick_zip":
        return { zip: "C:\\Users\\ann\\Downloads\\N12345 title.zip", owner: "Imported", project: "N12345 title" };
      default:
        return null;
    }
  });
  render(App);
  await vi.waitFor(() => expect(menu).toBeDefined());
  const send = (index: number, message: string) =>
    (window as unknown as { __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void } }).__TAURI_INTERNALS__.runCallback(menu!.id, {
      index,
      message,
    });

  send(0, "library");
  expect(await screen.findByText("No exports yet")).toBeTruthy();
  expect(screen.getByTestId("nav-library").getAttribute("aria-current")).toBe("page");
  expect(screen.getByTestId("nav-library").title).toMatch(/Library \((Ctrl\+|\u2318)L\)/);

  send(1, "new_export");
  expect(await screen.findByTestId("export-start")).toBeTruthy();
  expect(screen.getByTestId("nav-export").getAttribute("aria-current")).toBe("page");

  // The file chosen in the dialog is proposed in the Library, its name the project.
  send(2, "open_zip");
  expect((await screen.findByTestId("import-zip")).textContent).toBe("C:\\Users\\ann\\Downloads\\N12345 title.zip");
  expect((screen.getByTestId("import-project") as HTMLInputElement).value).toBe("N12345 title");
  expect(screen.getByTestId("nav-library").getAttribute("aria-current")).toBe("page");
});

test("an app left open asks every hour whether the daily look for updates is due", async () => {
  vi.useFakeTimers();
  try {
    let looks = 0;
    firstLaunchBackend((cmd) => {
      if (cmd !== "update_check_daily") return undefined;
      looks += 1;
      return null;
    });
    render(App);
    await vi.advanceTimersByTimeAsync(1000);
    expect(looks).toBe(1);
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(looks).toBe(2);
    await vi.advanceTimersByTimeAsync(2 * 60 * 60 * 1000);
    expect(looks).toBe(4);
  } finally {
    vi.useRealTimers();
  }
});
