import { afterEach, describe, expect, test } from "vitest";
import { render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import SandboxStatus from "./SandboxStatus.svelte";
import type { SandboxStatus as Status } from "../lib/backend";

const running: Status = {
  state: "running",
  apiUrl: "http://127.0.0.1:41234",
  project: {
    owner: "Group Name owning project",
    name: "Example Project Name",
    instrumentCount: 1250,
  },
};

/** Answers `sandbox_status` with each status in turn, repeating the last one. */
function backendReporting(...statuses: Status[]): { calls: () => number } {
  let calls = 0;
  mockIPC((cmd) => {
    if (cmd !== "sandbox_status") throw new Error(`unexpected command ${cmd}`);
    const status = statuses[Math.min(calls, statuses.length - 1)];
    calls += 1;
    return status;
  });
  return { calls: () => calls };
}

afterEach(() => clearMocks());

describe("SandboxStatus", () => {
  test("shows the running demo project", async () => {
    backendReporting(running);
    render(SandboxStatus);

    expect(await screen.findByText("Example Project Name")).toBeTruthy();
    expect(screen.getByText("Group Name owning project")).toBeTruthy();
    expect(screen.getByText("http://127.0.0.1:41234")).toBeTruthy();
    expect(screen.getByTestId("instrument-count").textContent).toBe(
      new Intl.NumberFormat().format(1250),
    );
    expect(screen.getByTestId("sandbox-state").textContent?.trim()).toBe("Running");
  });

  test("shows starting, then running once the sandbox is up", async () => {
    const backend = backendReporting({ state: "starting" }, { state: "starting" }, running);
    render(SandboxStatus, { pollMs: 5 });

    expect(screen.getByText("Starting the demo workspace…")).toBeTruthy();
    expect(await screen.findByText("Example Project Name")).toBeTruthy();
    expect(backend.calls()).toBe(3);
  });

  test("shows why the sandbox failed, with its stable code", async () => {
    backendReporting({
      state: "failed",
      error: { code: "sandbox_start_failed", message: "No free port on 127.0.0.1." },
    });
    render(SandboxStatus);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("No free port on 127.0.0.1.");
    expect(alert.textContent).toContain("sandbox_start_failed");
    expect(screen.getByTestId("sandbox-state").textContent?.trim()).toBe("Failed");
  });

  test("reports a backend that does not answer", async () => {
    mockIPC(() => {
      throw new Error("IPC is down");
    });
    render(SandboxStatus);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("IPC is down");
    expect(alert.textContent).toContain("ipc_failed");
  });
});
