import { afterEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import UpdateNotice from "./UpdateNotice.svelte";
import SettingsView from "./SettingsView.svelte";
import type { UpdateCheck } from "../lib/backend";

afterEach(() => clearMocks());

const newer: UpdateCheck = {
  current: "0.1.0",
  update: { version: "0.2.0", notes: "Title packages open in the viewer.\nFaster search.", date: "2026-12-07T09:00:00Z" },
};

describe("UpdateNotice", () => {
  test("shows the new version's notes, and installs only when asked", async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      return null;
    });
    render(UpdateNotice, { check: newer, onClose: vi.fn() });

    expect(screen.getByText("AnnoLab Exporter 0.2.0 is available")).toBeTruthy();
    expect(screen.getByTestId("update-notes").textContent).toContain("Faster search.");
    expect(asked).toEqual([]);
    await fireEvent.click(screen.getByTestId("update-install"));
    expect(asked).toEqual(["update_install"]);
  });

  test("a refused signature is said in words and nothing is installed", async () => {
    mockIPC(() => {
      throw { code: "update_signature_invalid", message: "The update's signature does not match AnnoLab's release key, so it was not installed." };
    });
    render(UpdateNotice, { check: newer, onClose: vi.fn() });
    await fireEvent.click(screen.getByTestId("update-install"));
    expect((await screen.findByTestId("update-error")).textContent).toContain("was not installed");
    expect((screen.getByTestId("update-install") as HTMLButtonElement).disabled).toBe(false);
  });

  test("up to date says so", () => {
    const onClose = vi.fn();
    render(UpdateNotice, { check: { current: "0.1.0", update: null }, onClose });
    expect(screen.getByTestId("update-none").textContent).toBe("You have the latest version (0.1.0).");
  });
});

describe("SettingsView", () => {
  test("the daily look can be turned off, and a check asked for", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "preferences") return { notifications: true, theme: "system", exportsAtOnce: 3 };
      if (cmd === "library_list") return { root: "/home/me/library", items: [] };
      if (cmd !== "update_settings") throw new Error(cmd);
      const daily = (args as { daily?: boolean }).daily;
      sent.push(daily);
      return { current: "0.1.0", daily: daily ?? true };
    });
    const onCheckUpdates = vi.fn();
    render(SettingsView, { onCheckUpdates });

    const daily = (await screen.findByTestId("settings-daily-updates")) as HTMLInputElement;
    expect(daily.checked).toBe(true);
    await fireEvent.click(daily);
    await vi.waitFor(() => expect(sent).toEqual([undefined, false]));
    expect(((await screen.findByTestId("settings-daily-updates")) as HTMLInputElement).checked).toBe(false);
    await fireEvent.click(screen.getByTestId("settings-check-updates"));
    expect(onCheckUpdates).toHaveBeenCalled();
  });
});

describe("SettingsView preferences", () => {
  test("each choice is saved as it is made, and the theme is applied at once", async () => {
    const saved: unknown[] = [];
    let current = { notifications: true, theme: "system", exportsAtOnce: 3 };
    mockIPC((cmd, args) => {
      if (cmd === "update_settings") return { current: "0.1.0", daily: true };
      if (cmd === "library_list") return { root: "/home/me/library", items: [] };
      if (cmd !== "preferences") throw new Error(cmd);
      const change = (args as { change?: typeof current }).change;
      if (change) {
        saved.push(change);
        current = change;
      }
      return current;
    });
    render(SettingsView, { onCheckUpdates: vi.fn() });

    const theme = (await screen.findByTestId("settings-theme")) as HTMLSelectElement;
    expect(theme.value).toBe("system");
    await fireEvent.change(theme, { target: { value: "dark" } });
    await vi.waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
    await fireEvent.change(screen.getByTestId("settings-exports-at-once"), { target: { value: "1" } });
    await fireEvent.click(screen.getByTestId("settings-notifications"));
    await vi.waitFor(() => expect(saved).toHaveLength(3));
    expect(saved.at(-1)).toEqual({ notifications: false, theme: "dark", exportsAtOnce: 1 });

    await fireEvent.change(theme, { target: { value: "system" } });
    await vi.waitFor(() => expect(document.documentElement.dataset.theme).toBeUndefined());
  });

  test("a refused number is said in words", async () => {
    mockIPC((cmd, args) => {
      if (cmd === "update_settings") return { current: "0.1.0", daily: true };
      if (cmd === "library_list") return { root: "/home/me/library", items: [] };
      if ((args as { change?: unknown }).change) throw { code: "setting_out_of_range", message: "Between 1 and 6 exports can run at once; 9 is not possible." };
      return { notifications: true, theme: "system", exportsAtOnce: 3 };
    });
    render(SettingsView, { onCheckUpdates: vi.fn() });
    await fireEvent.change(await screen.findByTestId("settings-exports-at-once"), { target: { value: "6" } });
    expect((await screen.findByRole("alert")).textContent).toContain("Between 1 and 6");
  });
});

describe("SettingsView library", () => {
  test("moving the library shows where it is now; a refusal is said in words", async () => {
    let refuse = false;
    mockIPC((cmd) => {
      switch (cmd) {
        case "update_settings":
          return { current: "0.1.0", daily: true };
        case "preferences":
          return { notifications: true, theme: "system", exportsAtOnce: 3 };
        case "library_list":
          return { root: "/home/me/library", items: [] };
        case "library_move":
          if (refuse) throw { code: "job_running", message: "An export is working or waiting: the library can move once it has ended." };
          return { root: "/mnt/big/library", items: [] };
        default:
          throw new Error(cmd);
      }
    });
    render(SettingsView, { onCheckUpdates: vi.fn() });
    expect((await screen.findByTestId("settings-library-root")).textContent).toBe("/home/me/library");
    await fireEvent.click(screen.getByTestId("settings-move-library"));
    expect((await screen.findByTestId("settings-moved")).textContent).toContain("/mnt/big/library");
    expect(screen.getByTestId("settings-library-root").textContent).toBe("/mnt/big/library");

    refuse = true;
    await fireEvent.click(screen.getByTestId("settings-move-library"));
    expect((await screen.findByRole("alert")).textContent).toContain("can move once it has ended");
  });
});
