// Where the rows of a long table sit in its scroll area: rows of one height, only the ones on
// screen laid out. Pure functions of the scroll position, so the arithmetic is tested here and
// the grid only reads them.
//
// Two things a general virtualizer did not give us at a million rows:
// - Its layout was a pass over every row (a measurement each) whenever the count changed, about
//   20 ms at a million on every keystroke. Here everything is arithmetic on the row height.
// - Web engines stop laying out at about 33.5 million pixels (WebKit's and Chromium's layout
//   units are 1/64 px in 32 bits), and a million 36 px rows are 36 million: the last 70,000
//   rows could not be scrolled to. Past `MAX_SCROLL_HEIGHT` the scroll area keeps that height
//   and the scrollbar's range is stretched over the rows, so both of its ends are the table's.

/** The scroll area's largest height, under every web view's limit with room to spare. */
export const MAX_SCROLL_HEIGHT = 30_000_000;

/** A table of `total` rows of `rowHeight` px, in a scroll area `viewport` px high. */
export interface RowLayout {
  total: number;
  rowHeight: number;
  viewport: number;
  /** The scroll area's height (at most `maxHeight`). */
  height: number;
  /** Pixels of rows scrolled past per pixel of the scrollbar: 1 until the rows pass `maxHeight`. */
  stretch: number;
}

export function layout(total: number, rowHeight: number, viewport: number, maxHeight = MAX_SCROLL_HEIGHT): RowLayout {
  const rows = Math.max(0, total) * rowHeight;
  const height = Math.min(rows, maxHeight);
  // The distance the rows scroll over against the one the scrollbar does; a viewport taller
  // than the scroll area scrolls neither.
  const stretch = rows > maxHeight && height > viewport ? (rows - viewport) / (height - viewport) : 1;
  return { total: Math.max(0, total), rowHeight, viewport, height, stretch };
}

/** A row to lay out: its index and its top in the scroll area's pixels. */
export interface PlacedRow {
  index: number;
  top: number;
}

/** The rows on screen at `scrollTop`, and `overscan` more on each side. */
export function visibleRows(at: RowLayout, scrollTop: number, overscan: number): PlacedRow[] {
  if (at.total === 0) return [];
  const scrolled = Math.max(0, scrollTop);
  // Where the rows are scrolled to, in the rows' own pixels.
  const offset = scrolled * at.stretch;
  const first = Math.max(0, Math.floor(offset / at.rowHeight) - overscan);
  const last = Math.min(at.total - 1, Math.ceil((offset + at.viewport) / at.rowHeight) + overscan);
  const placed: PlacedRow[] = [];
  for (let index = first; index <= last; index += 1) {
    const top = scrolled + index * at.rowHeight - offset;
    // Stretched, overscan rows near an end can fall outside the scroll area, where they could
    // never be seen (the grid clips its rows to the area, so they would not lengthen it).
    if (top + at.rowHeight > 0 && top < at.height) placed.push({ index, top });
  }
  return placed;
}

/** The scroll position that shows row `index` at the top (as near as the end allows). */
export function scrollTopFor(at: RowLayout, index: number): number {
  const row = Math.min(Math.max(0, index), Math.max(0, at.total - 1));
  return withinScroll(at, row * at.rowHeight / at.stretch);
}

/** `scrollTop` kept between the top and the furthest the scroll area scrolls. */
function withinScroll(at: RowLayout, scrollTop: number): number {
  return Math.min(Math.max(0, scrollTop), Math.max(0, at.height - at.viewport));
}

/** The scroll position that brings row `index` fully into view from `scrollTop`: unchanged when
 * it is already, else the nearest one that shows it at the top or the bottom. */
export function scrollTopShowing(at: RowLayout, scrollTop: number, index: number): number {
  const offset = Math.max(0, scrollTop) * at.stretch;
  const top = index * at.rowHeight;
  if (top < offset) return scrollTopFor(at, index);
  if (top + at.rowHeight > offset + at.viewport) {
    return withinScroll(at, (top + at.rowHeight - at.viewport) / at.stretch);
  }
  return scrollTop;
}
