import { describe, expect, test, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import DetailsPane from "./DetailsPane.svelte";
import type { Details } from "../lib/backend";

const raw = JSON.stringify({
  id: 402970,
  typeName: "Bill of Sale",
  canonicalTags: [{ typeName: "Airframe Inventory", attributes: [{ name: "Serial Number", value: "MC-453" }, { name: "Year", value: 1977 }] }],
  annotations: [{ typeName: "Registration Number", value: "N453MC" }],
});

function details(overrides: Partial<Details>): Details {
  return {
    row: {
      id: 402970,
      typeName: "Bill of Sale",
      sourceName: "Test_PDF.pdf",
      startPage: 1,
      endPage: 2,
      pdfPages: 3,
      tagTypes: ["Airframe Inventory"],
      reviewedBy: null,
      reviewedAt: null,
      hasPdf: true,
      problems: ["page_count_mismatch"],
      columns: [],
      change: null,
      changedFields: [],
    },
    raw,
    pdf: "/library/Group/Project/export/pdfs/Test_PDF_402970.pdf",
    problems: ["The PDF pdfs/Test_PDF_402970.pdf has 3 pages, but the instrument covers pages 1-2 (2)."],
    changes: [],
    ...overrides,
  };
}

const handlers = () => ({ onViewPdf: vi.fn(), onOpenPdf: vi.fn(), onRevealPdf: vi.fn() });

describe("DetailsPane", () => {
  test("shows tags with attributes, annotations and integrity warnings", async () => {
    const on = handlers();
    render(DetailsPane, { details: details({}), includeFiles: true, ...on });

    const pane = screen.getByTestId("details-pane");
    expect(pane.textContent).toContain("MC-453");
    expect(pane.textContent).toContain("1977");
    expect(pane.textContent).toContain("N453MC");
    expect(screen.getByRole("alert").textContent).toContain("has 3 pages, but the instrument covers pages 1-2");
    await fireEvent.click(screen.getByTestId("view-pdf"));
    expect(on.onViewPdf).toHaveBeenCalled();
  });

  test("an export made without PDFs says so instead of offering a viewer", () => {
    render(DetailsPane, { details: details({ pdf: null, problems: [] }), includeFiles: false, ...handlers() });

    expect(screen.queryByTestId("view-pdf")).toBeNull();
    expect(screen.getByText(/made without PDFs/)).toBeTruthy();
  });

  test("a missing PDF in an export with PDFs is called missing", () => {
    render(DetailsPane, { details: details({ pdf: null }), includeFiles: true, ...handlers() });

    expect(screen.getByText(/PDF is missing from the export/)).toBeTruthy();
  });

  test("a raw line that is not JSON is still shown, not a crash", () => {
    render(DetailsPane, { details: details({ raw: "{ not json" }), includeFiles: true, ...handlers() });

    expect(screen.getByText("{ not json")).toBeTruthy();
    expect(screen.getByText("No tags.")).toBeTruthy();
  });

  test("a changed instrument lists its fields before and after", () => {
    const base = details({});
    render(DetailsPane, {
      details: {
        ...base,
        row: { ...base.row, change: "changed", changedFields: ["type", "review"] },
        changes: [
          { field: "type", before: "Lease", after: "Bill of Sale" },
          { field: "review", before: "", after: "ana@example.com at 2027-01-01T09:00:00Z" },
        ],
      },
      includeFiles: true,
      ...handlers(),
    });

    const rows = screen.getAllByTestId("details-change");
    expect(rows.map((r) => r.dataset.field)).toEqual(["type", "review"]);
    expect(rows[0]?.textContent).toContain("Type");
    expect(rows[0]?.querySelector("[data-testid=change-before]")?.textContent).toBe("Lease");
    expect(rows[0]?.querySelector("[data-testid=change-after]")?.textContent).toBe("Bill of Sale");
    expect(rows[1]?.querySelector("[data-testid=change-before]")?.textContent).toBe("—");
  });

  test("a PDF-only change, a new and a gone instrument say so", async () => {
    const base = details({});
    const { rerender } = render(DetailsPane, {
      details: { ...base, row: { ...base.row, change: "changed" } },
      includeFiles: true,
      ...handlers(),
    });
    expect(screen.getByTestId("details-changes").textContent).toContain("Only its PDF");

    await rerender({ details: { ...base, row: { ...base.row, change: "new" } } });
    expect(screen.getByTestId("details-new")).toBeTruthy();
    await rerender({ details: { ...base, row: { ...base.row, change: "gone" } } });
    expect(screen.getByTestId("details-gone").textContent).toContain("earlier export");
    expect(screen.queryByTestId("details-changes")).toBeNull();
  });
});
