import { afterEach, describe, expect, test } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
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
  week: 0,
  lastWeek: 52,
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

  test("simulates a week of new records and shows the week the demo is at", async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      if (cmd === "sandbox_status") return running;
      if (cmd === "demo_next_week") return { ...running, week: 1, apiUrl: "http://127.0.0.1:41999" } satisfies Status;
      throw new Error(`unexpected command ${cmd}`);
    });
    render(SandboxStatus);

    expect((await screen.findByTestId("demo-week")).textContent).toBe("as generated");
    await fireEvent.click(screen.getByTestId("demo-next-week"));

    expect(await screen.findByTestId("demo-week-moved")).toBeTruthy();
    expect(screen.getByTestId("demo-week").textContent).toBe("week 1");
    expect(screen.getByText("http://127.0.0.1:41999")).toBeTruthy();
    expect(asked.filter((c) => c === "demo_next_week")).toHaveLength(1);
  });

  test("a refused week says why", async () => {
    mockIPC((cmd) => {
      if (cmd === "sandbox_status") return running;
      throw { code: "demo_week_refused", message: "An export of the demo workspace is running; wait for it to finish." };
    });
    render(SandboxStatus);
    await fireEvent.click(await screen.findByTestId("demo-next-week"));
    expect((await screen.findByTestId("demo-week-error")).textContent).toContain("wait for it to finish");
  });

  test("the last week cannot be passed", async () => {
    mockIPC(() => ({ ...running, week: 52 }) satisfies Status);
    render(SandboxStatus);
    const button = (await screen.findByTestId("demo-next-week")) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByTestId("demo-week").textContent).toBe("week 52");
  });
});
