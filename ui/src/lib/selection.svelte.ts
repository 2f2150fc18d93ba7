// The instruments picked in the browser's table, shared by the table (its checkboxes), the
// toolbar (what it merges and copies) and the drag of rows out of the window.

export class Selection {
  /** The picked ids in the order they were picked: a merged PDF follows it. */
  order = $state<number[]>([]);
  /** The same ids, for asking whether a row is picked. */
  // Rebuilt from `order` on every change, never mutated: a plain Set is enough.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly ids = $derived(new Set(this.order));

  get size(): number {
    return this.order.length;
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** Picks the id if it was not picked, else drops it. */
  toggle(id: number): void {
    this.order = this.has(id) ? this.order.filter((x) => x !== id) : [...this.order, id];
  }

  clear(): void {
    this.order = [];
  }

  /** What a drag that starts on this row carries: the selection if the row is part of it,
   * else just the row. */
  dragged(id: number): number[] {
    return this.has(id) ? this.order : [id];
  }
}
