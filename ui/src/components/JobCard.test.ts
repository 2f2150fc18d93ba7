import { describe, expect, test, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import JobCard from "./JobCard.svelte";
import type { JobView } from "../lib/backend";
import { jobView as job } from "../lib/fixtures.test-support";

function renderJob(view: JobView) {
  const handlers = {
    onCancel: vi.fn(),
    onRetry: vi.fn(),
    onShowProfiles: vi.fn(),
    onShowLibrary: vi.fn(),
    onDismiss: vi.fn(),
    onDiscard: vi.fn(),
  };
  render(JobCard, { job: view, ...handlers });
  return handlers;
}

describe("JobCard", () => {
  test("a download shows bytes, total, speed and time left on a real progress bar", () => {
    renderJob(
      job({
        phase: "downloading",
        reached: ["requested", "processing", "downloading"],
        bytes: 2_500_000,
        total: 10_000_000,
        bytesPerSec: 1_250_000,
        etaSecs: 6,
      }),
    );

    const card = screen.getByTestId("job");
    expect(card.dataset.phase).toBe("downloading");
    expect(card.dataset.status).toBe("running");
    const bar = screen.getByTestId("job-progress") as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([2_500_000, 10_000_000]);
    expect(screen.getByTestId("job-detail").textContent).toBe("2.5 MB of 10.0 MB · 1.3 MB/s · 6 s left");
    expect(screen.getByText("Downloading").closest("li")?.getAttribute("aria-current")).toBe("step");
  });

  test("an export waiting for its turn says so and why, not that it is sending", () => {
    renderJob(job({ waiting: true }));

    expect(screen.getByTestId("job-status").textContent).toBe("Waiting");
    expect(screen.getByTestId("job-detail").textContent).toBe("Waiting for its turn: at most 3 exports run at once");
  });

  test("processing on the server shows the elapsed time and polls", () => {
    renderJob(job({ phase: "processing", reached: ["requested", "processing"], polls: 3, elapsedMs: 75_000, serverStatus: "started" }));

    expect(screen.getByTestId("job-detail").textContent).toBe(
      "Preparing the export on the server · 1 min 15 s · checked 3 times · server says “started”",
    );
  });

  test("a running job can be cancelled", async () => {
    const handlers = renderJob(job({ phase: "extracting", filesTotal: 40, files: 10 }));

    await fireEvent.click(screen.getByTestId("job-cancel"));

    expect(handlers.onCancel).toHaveBeenCalledWith("20261129T120000Z-ab12");
    expect(screen.getByTestId("job-detail").textContent).toBe("Extracted 10 of 40 files");
  });

  test("a 401 shows the server's message and leads to Profiles", async () => {
    const handlers = renderJob(
      job({
        status: "failed",
        error: { code: "unauthorized", message: "AnnoLab rejected the API key (401): Invalid API key." },
      }),
    );

    const error = screen.getByTestId("job-error");
    expect(error.textContent).toContain("(401): Invalid API key.");
    expect(error.textContent).toContain("Check the key in Profiles.");
    await fireEvent.click(screen.getByRole("button", { name: "Open Profiles" }));
    expect(handlers.onShowProfiles).toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("job-retry"));
    expect(handlers.onRetry).toHaveBeenCalledWith("20261129T120000Z-ab12");
    expect(screen.queryByTestId("job-cancel")).toBeNull();
  });

  test("a folder that went away or cannot be written says what to do about it", () => {
    renderJob(job({ status: "failed", error: { code: "folder_gone", message: 'The folder "/media/usb/Exports" disappeared while the export ran.' } }));
    expect(screen.getByTestId("job-error").textContent).toContain("Reconnect the disk");
    cleanup();
    renderJob(job({ status: "failed", error: { code: "folder_not_writable", message: 'Cannot write to "/Volumes/CD" (it is on a read-only disk).' } }));
    expect(screen.getByTestId("job-error").textContent).toContain("Library → Change folder…");
  });

  test("a finished job marks every step and points to the library", async () => {
    const handlers = renderJob(
      job({
        phase: "ready",
        status: "done",
        instruments: 125,
        reached: ["requested", "processing", "downloading", "verifying", "extracting", "indexing", "ready"],
      }),
    );

    const steps = screen.getAllByRole("listitem");
    expect(steps.map((s) => s.dataset.reached)).toEqual(Array(7).fill("true"));
    expect(screen.getByTestId("job-detail").textContent).toBe("125 instruments in the library");
    await fireEvent.click(screen.getByTestId("job-open-library"));
    expect(handlers.onShowLibrary).toHaveBeenCalled();
  });

  test("a finished job says what changed since the previous export, and only then", () => {
    const done = { phase: "ready", status: "done", instruments: 125 } as const;
    renderJob(job({ ...done, changes: "since 2026-11-30: +12 new, \u22123 gone, 7 changed" }));
    expect(screen.getByTestId("job-changes").textContent).toBe("since 2026-11-30: +12 new, \u22123 gone, 7 changed");
  });

  test("a first export has no changes line", () => {
    renderJob(job({ phase: "ready", status: "done", instruments: 125, changes: null }));
    expect(screen.queryByTestId("job-changes")).toBeNull();
  });

  test("a finished job can be dismissed; a running one cannot", async () => {
    const handlers = renderJob(job({ phase: "ready", status: "done", instruments: 125 }));
    await fireEvent.click(screen.getByTestId("job-dismiss"));
    expect(handlers.onDismiss).toHaveBeenCalledWith("20261129T120000Z-ab12");
    cleanup();
    renderJob(job({}));
    expect(screen.queryByTestId("job-dismiss")).toBeNull();
    expect(screen.queryByTestId("job-discard")).toBeNull();
  });

  test("a job refused before the server took it has nothing to resume and is dismissed at once", async () => {
    const refused = { phase: "requested", status: "failed", resumable: false, error: { code: "unauthorized", message: "The API key was refused." } } as const;
    const handlers = renderJob(job(refused));
    expect(screen.queryByTestId("job-discard")).toBeNull();
    await fireEvent.click(screen.getByTestId("job-dismiss"));
    expect(handlers.onDismiss).toHaveBeenCalledWith("20261129T120000Z-ab12");
  });

  test("a failed job, which can resume, is discarded only on a second, explicit click", async () => {
    const failed = { phase: "downloading", status: "failed", resumable: true, error: { code: "network_gave_up", message: "Could not reach the host." } } as const;
    const handlers = renderJob(job(failed));
    expect(screen.queryByTestId("job-dismiss")).toBeNull();
    await fireEvent.click(screen.getByTestId("job-discard"));
    expect(handlers.onDiscard).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByText("Keep"));
    expect(screen.queryByTestId("job-discard-confirm")).toBeNull();
    await fireEvent.click(screen.getByTestId("job-discard"));
    await fireEvent.click(screen.getByTestId("job-discard-confirm"));
    expect(handlers.onDiscard).toHaveBeenCalledWith("20261129T120000Z-ab12");
  });
});
