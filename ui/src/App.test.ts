import { afterEach, expect, test } from "vitest";
import { render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import App from "./App.svelte";

afterEach(() => clearMocks());

test("the header names the product", () => {
  mockIPC(() => ({ state: "starting" }));
  render(App);

  expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("AnnoLab Exporter");
});
