import { describe, expect, test } from "vitest";
import { Selection } from "./selection.svelte";

describe("Selection", () => {
  test("keeps the picked ids in the order they were picked, and a drag carries them", () => {
    const selection = new Selection();
    selection.toggle(7);
    selection.toggle(3);
    selection.toggle(9);
    selection.toggle(7);

    expect(selection.order).toEqual([3, 9]);
    expect(selection.size).toBe(2);
    expect(selection.has(7)).toBe(false);
    expect([...selection.ids]).toEqual([3, 9]);
    expect(selection.dragged(9)).toEqual([3, 9]);
    expect(selection.dragged(7)).toEqual([7]);
  });
});
