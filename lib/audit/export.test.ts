import { describe, expect, it } from "vitest";
import { csvCell, csvLine, exportStream } from "@/lib/audit/export";

describe("CSV export cells", () => {
  it("quotes separators, quotes and line breaks (RFC 4180)", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(42)).toBe("42");
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
    expect(csvLine(["x", 1, null])).toBe("x,1,\r\n");
  });

  it("neutralises formulas: a cell starting with = + - @ tab or CR opens as text", () => {
    for (const v of ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]) {
      const cell = csvCell(v);
      expect(cell.startsWith('"\'')).toBe(true);
      expect(cell).toContain(v.replace(/"/g, '""'));
    }
  });
});

describe("export streams", () => {
  it("pages through every row and writes a valid JSON array and a CSV with one header", async () => {
    const all = Array.from({ length: 2500 }, (_, i) => ({ id: `r${String(i).padStart(5, "0")}`, n: i }));
    const pages = (after: { id?: unknown } | null) => Promise.resolve(all.filter((r) => !after || r.id > String(after.id)).slice(0, 1000));
    const json = JSON.parse(await new Response(exportStream("json", ["id", "n"], pages)).text());
    expect(json).toHaveLength(2500);
    expect(json[2499]).toEqual({ id: "r02499", n: 2499 });
    const csv = await new Response(exportStream("csv", ["id", "n"], pages)).text();
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,n");
    expect(lines).toHaveLength(2501);
    const empty = JSON.parse(await new Response(exportStream("json", ["id"], () => Promise.resolve([]))).text());
    expect(empty).toEqual([]);
  });
});
