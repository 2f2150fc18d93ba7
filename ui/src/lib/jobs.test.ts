import { afterEach, describe, expect, test } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { Jobs } from "./jobs.svelte";
import type { JobView } from "./backend";
import { jobView } from "./fixtures.test-support";

afterEach(() => clearMocks());

function view(status: JobView["status"]): JobView {
  return jobView({ id: "20261207T230000Z-ab12", phase: "downloading", status, resumable: status === "running", bytes: 12_300, total: 1_100_000 });
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
