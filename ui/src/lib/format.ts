// How numbers, sizes, speeds and times read in the UI.
import type { ExportRequest, Phase } from "./backend";

const numbers = new Intl.NumberFormat();

export function count(n: number): string {
  return numbers.format(n);
}

/** 1536 -> "1.5 KB" (decimal units, as file managers show them). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function speed(bytesPerSec: number): string {
  return `${bytes(Math.round(bytesPerSec))}/s`;
}

/** 75 -> "1 min 15 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function dateTime(rfc3339: string | null | undefined): string {
  if (!rfc3339) return "";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** The tag and source filters of a request in a few words. */
export function filterSummary(request: ExportRequest): string {
  const parts: string[] = [];
  const tags = request.tags;
  if (tags.form === "includeExclude") {
    if (tags.include.length) parts.push(`tags: ${tags.include.join(", ")}`);
    if (tags.exclude.length) parts.push(`without: ${tags.exclude.join(", ")}`);
  } else if (tags.form === "canonical") {
    parts.push(`canonical tags: ${tags.types.join(", ")}`);
  }
  if (request.source) parts.push(`source: ${request.source}`);
  parts.push(request.includeFiles ? "with PDFs" : "without PDFs");
  return parts.length === 1 ? `All instruments, ${parts[0]}` : parts.join(" · ");
}

export const PHASES: { phase: Phase; label: string }[] = [
  { phase: "requested", label: "Requested" },
  { phase: "processing", label: "Processing" },
  { phase: "downloading", label: "Downloading" },
  { phase: "verifying", label: "Verifying" },
  { phase: "extracting", label: "Extracting" },
  { phase: "indexing", label: "Indexing" },
  { phase: "ready", label: "Ready" },
];

/** A menu shortcut as this OS writes it: `⌘L` on macOS, `Ctrl+L` elsewhere. */
export function shortcut(key: string, options: { shift?: boolean; mac?: boolean } = {}): string {
  const mac = options.mac ?? /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? "");
  if (mac) return `${options.shift ? "\u21e7" : ""}\u2318${key}`;
  return `Ctrl+${options.shift ? "Shift+" : ""}${key}`;
}
