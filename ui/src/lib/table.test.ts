import { describe, expect, test } from "vitest";
import { highlight } from "./table.svelte";

describe("highlight", () => {
  test("marks each searched word where a word starts with it, any case", () => {
    expect(highlight("Airframe Inventory, airframe", "air inv")).toEqual([
      { text: "Air", mark: true },
      { text: "frame ", mark: false },
      { text: "Inv", mark: true },
      { text: "entory, ", mark: false },
      { text: "air", mark: true },
      { text: "frame", mark: false },
    ]);
  });

  test("does not mark inside a word, and takes search syntax literally", () => {
    expect(highlight("Repair", "air")).toEqual([{ text: "Repair", mark: false }]);
    expect(highlight("N12 (a+b)", "(a+b")).toEqual([
      { text: "N12 (", mark: false },
      { text: "a", mark: true },
      { text: "+", mark: false },
      { text: "b", mark: true },
      { text: ")", mark: false },
    ]);
    expect(highlight("anything", "  ")).toEqual([{ text: "anything", mark: false }]);
  });
});
