import { afterEach, describe, expect, test } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { Jobs } from "./jobs.svelte";
import type { JobView } from "./backend";

afterEach(() => clearMocks());

function view(status: JobView["status"]): JobView {
  return {
    id: "20261207T230000Z-ab12",
    profile: "demo",
    request: { owner: "o", project: "p", tags: { form: "none" }, source: null, includeFiles: true },
    phase: "downloading",
    status,
    error: null,
    resumable: status === "running",
    reached: ["requested", "processing", "downloading"],
    requestedAt: "2026-12-07T23:00:00Z",
    polls: 1,
    elapsedMs: 900,
    serverStatus: null,
    bytes: 12_300,
    total: 1_100_000,
    bytesPerSec: 62_000,
    etaSecs: 18,
    checked: 0,
    checkTotal: 0,
    files: 0,
    filesTotal: 0,
    instruments: 0,
    notices: [],
    exportDir: null,
    changes: null,
    waiting: false,
    maxRunning: 3,
  };
}

describe("Jobs", () => {
  test("a cancel whose end the channel reports before the command answers stays cancelled", async () => {
    const jobs = new Jobs();
    jobs.update(view("running"));
    mockIPC((cmd) => {
      if (cmd !== "job_cancel") throw new Error(`unexpected command ${cmd}`);
      // The job stops and its channel says so while the command's answer is on its way; the
      // answer is the view as it was when the cancel was asked.
      jobs.update(view("cancelled"));
      return view("running");
    });

    await jobs.cancel("20261207T230000Z-ab12");

    expect(jobs.list.map((job) => job.status)).toEqual(["cancelled"]);
  });
});
