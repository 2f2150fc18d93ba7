// The UI's only door to the Rust backend: every command is wrapped here with its types, so
// components never call `invoke` and never see an untyped error.
import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type { CommandError } from "./bindings/CommandError";
import type { SandboxStatus } from "./bindings/SandboxStatus";

export type { CommandError, SandboxStatus };
export type { DemoProject } from "./bindings/DemoProject";
export type { ErrorCode } from "./bindings/ErrorCode";

/** An error as the UI sees it: one the backend reported, or a call that never reached it. */
export type BackendError = CommandError | { code: "ipc_failed"; message: string };

/** Thrown by every wrapper below; `error.code` is stable, `error.message` is for people. */
export class BackendCallError extends Error {
  readonly error: BackendError;

  constructor(error: BackendError) {
    super(error.message);
    this.name = "BackendCallError";
    this.error = error;
  }
}

/** The demo workspace's sandbox server: starting, running (with its project) or failed. */
export function sandboxStatus(): Promise<SandboxStatus> {
  return call<SandboxStatus>("sandbox_status");
}

/**
 * Reports the sandbox status to `onStatus` until it settles (running or failed), asking again
 * every `intervalMs` while it is starting. Returns a function that stops watching.
 */
export function watchSandboxStatus(
  onStatus: (status: SandboxStatus) => void,
  onError: (error: BackendError) => void,
  intervalMs = 250,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const poll = async (): Promise<void> => {
    try {
      const status = await sandboxStatus();
      if (stopped) return;
      onStatus(status);
      if (status.state === "starting") {
        timer = setTimeout(() => void poll(), intervalMs);
      }
    } catch (e) {
      if (!stopped) onError(toBackendError(e));
    }
  };
  void poll();

  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw new BackendCallError(toBackendError(e));
  }
}

function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendCallError) return e.error;
  if (isCommandError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return { code: "ipc_failed", message: `The app's backend did not answer: ${message}` };
}

function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}
