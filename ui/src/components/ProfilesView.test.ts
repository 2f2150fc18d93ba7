import { afterEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import ProfilesView from "./ProfilesView.svelte";
import type { ProfileInput, ProfilesView as Profiles } from "../lib/backend";

const demoOnly: Profiles = { profiles: [{ name: "demo", server: "", demo: true, hasKey: true }], selected: "demo" };
const withWork: Profiles = {
  profiles: [...demoOnly.profiles, { name: "work", server: "https://api.annolab.ai/", demo: false, hasKey: true }],
  selected: "work",
};

afterEach(() => clearMocks());

async function fillForm(name: string, key: string): Promise<void> {
  await fireEvent.input(screen.getByTestId("profile-name"), { target: { value: name } });
  await fireEvent.input(screen.getByTestId("profile-key"), { target: { value: key } });
}

describe("ProfilesView", () => {
  test("Test key shows the groups the key sees", async () => {
    const sent: ProfileInput[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "profile_test") throw new Error(`unexpected ${cmd}`);
      sent.push((args as { input: ProfileInput }).input);
      return { keyName: "CI key", permissions: ["Read"], groups: ["Acme Title", "Hangar Group"], canExport: true };
    });
    render(ProfilesView, { profiles: demoOnly, onChange: vi.fn(), onSelect: vi.fn(), adding: true });

    await fillForm("work", "s3cret-key");
    await fireEvent.click(screen.getByTestId("profile-test"));

    const result = await screen.findByTestId("profile-test-result");
    expect(result.textContent).toContain("Groups it sees: Acme Title, Hangar Group");
    expect(result.textContent).toContain("It can export.");
    expect(sent).toEqual([{ name: "work", server: "https://api.annolab.ai", key: "s3cret-key" }]);
  });

  test("a refused key is shown at the key field, and the form stays open", async () => {
    mockIPC(() => {
      throw { code: "malformed_key", message: "The API key contains spaces or control characters; paste it again.", field: "key" };
    });
    const onChange = vi.fn();
    render(ProfilesView, { profiles: demoOnly, onChange, onSelect: vi.fn(), adding: true });

    await fillForm("work", "two words");
    await fireEvent.click(screen.getByTestId("profile-save"));

    expect(await screen.findByText(/paste it again/)).toBeTruthy();
    expect(screen.getByTestId("profile-key").getAttribute("aria-invalid")).toBe("true");
    expect(onChange).not.toHaveBeenCalled();
  });

  test("saving clears the key and reports the new profiles", async () => {
    mockIPC((cmd) => {
      if (cmd !== "profile_save") throw new Error(`unexpected ${cmd}`);
      return withWork;
    });
    const onChange = vi.fn();
    render(ProfilesView, { profiles: demoOnly, onChange, onSelect: vi.fn(), adding: true });

    await fillForm("work", "s3cret-key");
    await fireEvent.click(screen.getByTestId("profile-save"));

    await vi.waitFor(() => expect(onChange).toHaveBeenCalledWith(withWork));
    expect(screen.queryByTestId("profile-key")).toBeNull();
  });

  test("the demo is offered as one click, and a saved profile is listed without its key", async () => {
    const onSelect = vi.fn();
    render(ProfilesView, { profiles: withWork, onChange: vi.fn(), onSelect });

    expect(screen.getByText(/key saved in the keychain/)).toBeTruthy();
    await fireEvent.click(screen.getByTestId("profile-demo"));
    expect(onSelect).toHaveBeenCalledWith("demo");
  });
});
