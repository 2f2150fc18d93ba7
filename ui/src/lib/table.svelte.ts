// The instrument table of one export: fetched from the index a block at a time, for the rows on
// screen only, so a million rows cost no more than a hundred.
import { tick } from "svelte";
import { browsePage, type Query, type Row } from "./backend";

const BLOCK = 200;

export class InstrumentTable {
  readonly dir: string;
  query = $state<Query>(emptyQuery());
  total = $state(0);
  /** Bumped whenever rows arrive, so views re-read `row(i)`. */
  version = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);

  // Caches, not state: views re-read rows when `version` is bumped, so a reactive Map or Set
  // here would only add tracking to every row read.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private blocks = new Map<number, Row[]>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private pending = new Set<number>();
  /** Where the view was asked to be while blocks were on their way; loaded when they arrive. */
  private wanted: [number, number] | null = null;
  private generation = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Replaces the query and loads the first block (with the new total). */
  async setQuery(query: Query): Promise<void> {
    this.query = query;
    this.generation += 1;
    this.blocks.clear();
    this.pending.clear();
    this.wanted = null;
    await this.load(0);
  }

  row(index: number): Row | undefined {
    // Reading `version` makes a view that shows this row update when rows arrive.
    void this.version;
    return this.blocks.get(Math.floor(index / BLOCK))?.[index % BLOCK];
  }

  /** Makes sure rows `start..end` are loaded or loading. While blocks are on their way, only
   * the latest range is remembered and loaded when they arrive: a fast scroll then asks for the
   * rows it stops on, not for every block it passed. (Each block is a query; at a million rows
   * a deep one takes about 100 ms, and a queue of the blocks scrolled past kept the rows on
   * screen blank for seconds.) */
  ensure(start: number, end: number): void {
    if (this.pending.size > 0) {
      this.wanted = [start, end];
      return;
    }
    for (let block = Math.floor(start / BLOCK); block <= Math.floor(Math.max(start, end) / BLOCK); block += 1) {
      if (!this.blocks.has(block) && !this.pending.has(block) && block * BLOCK < Math.max(this.total, 1)) {
        void this.load(block);
      }
    }
  }

  private async load(block: number): Promise<void> {
    const generation = this.generation;
    this.pending.add(block);
    this.loading = true;
    try {
      const asked = performance.now();
      const page = await browsePage(this.dir, $state.snapshot(this.query) as Query, block * BLOCK, BLOCK);
      if (generation !== this.generation) return;
      const answered = performance.now();
      this.blocks.set(block, page.rows);
      this.total = page.total;
      this.error = null;
      this.version += 1;
      await tick();
      // User Timing entries (the WebKit inspector shows them; bench/browse-e2e.sh reads them):
      // where a table update spends its time.
      performance.measure(`table ${block}: query`, { start: asked, end: answered });
      performance.measure(`table ${block}: redraw`, { start: answered, end: performance.now() });
    } catch (e) {
      if (generation === this.generation) this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (generation === this.generation) {
        this.pending.delete(block);
        this.loading = this.pending.size > 0;
        const wanted = this.wanted;
        if (wanted && this.pending.size === 0) {
          this.wanted = null;
          this.ensure(...wanted);
        }
      }
    }
  }
}

export function emptyQuery(): Query {
  return {
    search: "",
    types: [],
    tagTypes: [],
    sources: [],
    reviewed: null,
    hasPdf: null,
    hasProblems: null,
    attribute: null,
    sort: { by: { column: "id" }, descending: false },
    columns: [],
    changes: null,
  };
}

/** `text` cut into pieces, the ones starting a searched word marked, for highlighting. */
export function highlight(text: string, search: string): { text: string; mark: boolean }[] {
  const pattern = searchPattern(search);
  if (!pattern || !text) return [{ text, mark: false }];
  const pieces: { text: string; mark: boolean }[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index ?? 0;
    if (at > last) pieces.push({ text: text.slice(last, at), mark: false });
    pieces.push({ text: match[0], mark: true });
    last = at + match[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), mark: false });
  return pieces;
}

// Every visible cell is highlighted on each redraw: the pattern is compiled once per search,
// not once per cell (a Unicode-aware RegExp costs far more to build than to run).
let lastSearch = "";
let lastPattern: RegExp | null = null;

function searchPattern(search: string): RegExp | null {
  if (search !== lastSearch) {
    const words = search
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    lastSearch = search;
    lastPattern = words.length ? new RegExp(`(?<![\\p{L}\\p{N}])(${words.join("|")})`, "giu") : null;
  }
  return lastPattern;
}
