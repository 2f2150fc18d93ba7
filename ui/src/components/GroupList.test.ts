import { afterEach, describe, expect, test, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import GroupList from "./GroupList.svelte";
import type { Groups } from "../lib/backend";

afterEach(() => cleanup());

function groups(n: number, total = n): Groups {
  return { groups: Array.from({ length: n }, (_, i) => ({ value: `N${i}`, count: n - i })), total };
}

describe("GroupList", () => {
  test("the largest groups show at once and the rest of the 500 a frame later", async () => {
    render(GroupList, { groups: groups(500, 215_437), onOpen: () => undefined });
    const first = screen.getAllByTestId("group");
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(500);
    expect(first[0]!.dataset.value).toBe("N0");

    await new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
    await tick();
    expect(screen.getAllByTestId("group")).toHaveLength(500);
    expect(screen.getByText(/214,937 smaller groups/)).toBeTruthy();
  });

  test("picking a group opens it", async () => {
    const onOpen = vi.fn();
    render(GroupList, { groups: groups(3), onOpen });
    await fireEvent.click(screen.getAllByTestId("group")[1]!);
    expect(onOpen).toHaveBeenCalledWith({ value: "N1", count: 2 });
  });
});
