import { afterEach, describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import ExportForm from "./ExportForm.svelte";
import type { ExportInput, ProfileView } from "../lib/backend";

const demo: ProfileView = { name: "demo", server: "", demo: true, hasKey: true };
const demoProject = { owner: "Group Name owning project", name: "Example Project Name", instrumentCount: 240 };

/** The backend's rules for the fields this test breaks, and a project check. */
function backend(): void {
  mockIPC((cmd, args) => {
    const input = (args as { input?: ExportInput }).input;
    switch (cmd) {
      case "export_suggestions":
        return { owners: ["Group Name owning project", "sandbox-user"], projects: [] };
      case "export_validate":
        if (!input?.owner.trim()) throw { code: "invalid_request", message: "The project owner is required.", field: "owner" };
        if (input.includeTags.some((t) => input.excludeTags.includes(t)))
          throw { code: "invalid_request", message: "The tag is both included and excluded.", field: "tags" };
        return null;
      case "export_check_project":
        throw { code: "not_found", message: "Not found (404): Project 'Nope' was not found." };
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
}

afterEach(() => clearMocks());

describe("ExportForm", () => {
  test("the demo profile starts filled in, and Start sends the typed filter", async () => {
    backend();
    const onStart = vi.fn(async () => undefined);
    render(ExportForm, { profile: demo, demoProject, prefill: null, onStart });

    expect((screen.getByTestId("export-owner") as HTMLInputElement).value).toBe("Group Name owning project");
    const include = screen.getByTestId("export-include-tag");
    await fireEvent.input(include, { target: { value: "Airframe Inventory" } });
    await fireEvent.keyDown(include, { key: "Enter" });
    await fireEvent.input(screen.getByTestId("export-exclude-tag"), { target: { value: "Privileged" } });
    await fireEvent.click(screen.getByTestId("export-files"));
    await fireEvent.click(screen.getByTestId("export-start"));

    await waitFor(() => expect(onStart).toHaveBeenCalled());
    expect(onStart).toHaveBeenCalledWith({
      owner: "Group Name owning project",
      project: "Example Project Name",
      includeTags: ["Airframe Inventory"],
      excludeTags: ["Privileged"],
      canonicalTags: [],
      source: null,
      includeFiles: false,
    });
  });

  test("a tag both included and excluded is shown at the tags before anything is sent", async () => {
    backend();
    const onStart = vi.fn(async () => undefined);
    render(ExportForm, { profile: demo, demoProject, prefill: null, onStart });

    for (const id of ["export-include-tag", "export-exclude-tag"]) {
      const field = screen.getByTestId(id);
      await fireEvent.input(field, { target: { value: "Lease" } });
      await fireEvent.keyDown(field, { key: "Enter" });
    }
    await fireEvent.click(screen.getByTestId("export-start"));

    expect(await screen.findByText("The tag is both included and excluded.")).toBeTruthy();
    expect(onStart).not.toHaveBeenCalled();
  });

  test("Check project shows what the server said", async () => {
    backend();
    render(ExportForm, { profile: demo, demoProject, prefill: null, onStart: vi.fn() });

    await fireEvent.input(screen.getByTestId("export-project"), { target: { value: "Nope" } });
    await fireEvent.click(screen.getByTestId("export-check"));

    expect((await screen.findByTestId("export-check-result")).textContent).toContain("404");
  });

  test("export again fills in the older canonical form", async () => {
    backend();
    const prefill: ExportInput = {
      owner: "Acme Title",
      project: "Hangar 9",
      includeTags: [],
      excludeTags: [],
      canonicalTags: ["Engine Inventory"],
      source: "Test_PDF.pdf",
      includeFiles: true,
    };
    render(ExportForm, { profile: demo, demoProject, prefill, onStart: vi.fn() });

    expect((screen.getByTestId("export-owner") as HTMLInputElement).value).toBe("Acme Title");
    expect((screen.getByTestId("export-source") as HTMLInputElement).value).toBe("Test_PDF.pdf");
    expect(screen.getByTestId("export-canonical-tag-chip").textContent).toContain("Engine Inventory");
  });
});
