// notebook/html-table.ts: HTML and text tables of metadata, escaped (metadata text is user-supplied),
// never dropping rows silently.
import { describe, expect, it } from "vitest";
import { cellText, escapeHtml, htmlTable, textTable } from "../notebook/html-table";

describe("html-table", () => {
  it("escapes metadata text, which is user-supplied", () => {
    expect(escapeHtml(`<img src=x onerror="a">&'`)).toBe("&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;");
    expect(htmlTable([{ title: "<script>" }])).not.toContain("<script>");
  });
  it("shows nested values as JSON and never drops rows silently", () => {
    expect(cellText({ a: [1, 2n] })).toBe('{"a":[1,"2"]}');
    const rows = Array.from({ length: 5 }, (_, i) => ({ i }));
    expect(htmlTable(rows, { maxRows: 2 })).toContain("… 3 more rows");
    expect(textTable(rows, { maxRows: 2 })).toContain("… 3 more rows");
  });
  it("uses the union of the rows' keys as columns by default", () => {
    expect(textTable([{ a: 1 }, { b: 2 }]).split("\n")[0]).toMatch(/^a\s+b$/);
  });
});
