// The page's colours as the Settings tab chose them: "system" follows the OS (the CSS's
// prefers-color-scheme), "light" and "dark" set data-theme on the document, which app.css reads.
import type { Theme } from "./backend";

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}
