// Test data shared by the UI's tests (no test runs from here).
import type { JobView } from "./backend";

/** A job's view as the backend sends it: a demo export just requested, with `overrides`. */
export function jobView(overrides: Partial<JobView>): JobView {
  return {
    id: "20261129T120000Z-ab12",
    profile: "demo",
    request: {
      owner: "Group Name owning project",
      project: "Example Project Name",
      tags: { form: "includeExclude", include: ["Airframe Inventory"], exclude: [] },
      source: null,
      includeFiles: true,
    },
    phase: "requested",
    status: "running",
    error: null,
    resumable: true,
    reached: ["requested"],
    requestedAt: "2026-11-29T12:00:00Z",
    polls: 0,
    elapsedMs: 0,
    serverStatus: null,
    bytes: 0,
    total: null,
    bytesPerSec: 0,
    etaSecs: null,
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
    ...overrides,
  };
}
