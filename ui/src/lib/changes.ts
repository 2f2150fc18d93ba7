// "Changes since": what the browser's changes filter offers, the query it makes, and which of
// the table's columns a changed instrument's fields fall in.
import type { ChangeKind, ChangesFilter, EarlierExport, Field, Row } from "./backend";

/** The choices of the changes filter, in the order shown. */
export type ChangesChoice = "all" | "newAndChanged" | "new" | "changed" | "gone";

export const CHANGES_CHOICES: { id: ChangesChoice; label: string }[] = [
  { id: "all", label: "All instruments" },
  { id: "newAndChanged", label: "New and changed" },
  { id: "new", label: "New" },
  { id: "changed", label: "Changed" },
  { id: "gone", label: "Gone" },
];

const KINDS: Record<Exclude<ChangesChoice, "all">, ChangeKind[]> = {
  newAndChanged: ["new", "changed"],
  new: ["new"],
  changed: ["changed"],
  gone: ["gone"],
};

/** The query's `changes` for a choice against the older export `since` (null: no filter). */
export function changesFilter(since: string | null, choice: ChangesChoice): ChangesFilter | null {
  if (!since || choice === "all") return null;
  return { since, kinds: KINDS[choice] };
}

/** The choice a query's `changes` stands for. */
export function choiceOf(changes: ChangesFilter | null): ChangesChoice {
  if (!changes) return "all";
  const kinds = [...changes.kinds].sort().join(",");
  const found = (Object.keys(KINDS) as Exclude<ChangesChoice, "all">[]).find((choice) => [...KINDS[choice]].sort().join(",") === kinds);
  return found ?? "all";
}

/** How an older export is named in the "since" menu: when it was ready; the newest is the previous export. */
export function earlierLabel(earlier: EarlierExport, index: number, formatDate: (iso: string | null) => string): string {
  const when = formatDate(earlier.readyAt);
  return index === 0 ? `${when} (previous export)` : when;
}

const FIELD_LABELS: Record<Field, string> = {
  type: "Type",
  pages: "Pages",
  source: "Source",
  tags: "Tag types",
  attributes: "Tag attributes",
  annotations: "Annotations",
  review: "Review",
  other: "Other fields",
};

export function fieldLabel(field: Field): string {
  return FIELD_LABELS[field];
}

/** The table's column keys (InstrumentGrid's) that show a field that changed in `row`. */
export function changedColumns(row: Row, attributeColumns: string[]): Set<string> {
  const keys = new Set<string>();
  for (const field of row.changedFields) {
    if (field === "type") keys.add("type");
    if (field === "pages") keys.add("pages");
    if (field === "source") keys.add("source");
    if (field === "tags") keys.add("tags");
    if (field === "review") keys.add("reviewed");
    if (field === "attributes") for (const name of attributeColumns) keys.add(`attr:${name}`);
  }
  return keys;
}

/** The words a row's change mark says, for its badge and its screen-reader label. */
export function changeLabel(kind: ChangeKind): string {
  return { new: "New", changed: "Changed", gone: "Gone" }[kind];
}
