// The notebooks are the library's showcase: their code must need no type assertion, so a reader
// never learns to fight the types. Every code cell of notebooks/*.ipynb is parsed with the
// TypeScript compiler and checked for `x as T` (`as const` included), `<T>x`, `x!` and `any`.
// Imports such as `import * as fs` are not assertions. Their helper, notebooks/replica.ts, too.
// No server or kernel needed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./replicas";

interface Cast {
  /** What was found: "as", "as const", "<T>", "!" or "any". */
  kind: string;
  /** 1-based line in the cell. */
  line: number;
  /** That line's text, trimmed. */
  text: string;
}

/** Every type assertion, non-null assertion and `any` in one cell's source. */
function castsIn(source: string): Cast[] {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const lines = source.split("\n");
  const found: Cast[] = [];
  // `at` is where the assertion is written: the type after `as`, the `!` (an expression may span lines).
  const add = (at: number, kind: string) => {
    const { line } = file.getLineAndCharacterOfPosition(at);
    found.push({ kind, line: line + 1, text: (lines[line] ?? "").trim() });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node)) {
      const isConst = ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(file) === "const";
      add(node.type.getStart(file), isConst ? "as const" : "as");
    } else if (ts.isTypeAssertionExpression(node)) add(node.getStart(file), "<T>");
    else if (ts.isNonNullExpression(node)) add(node.getEnd() - 1, "!");
    else if (node.kind === ts.SyntaxKind.AnyKeyword) add(node.getStart(file), "any");
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** A code cell's source as one string (nbformat stores it as a list of lines or a string). */
function cellSource(cell: { source?: string | string[] }): string {
  return Array.isArray(cell.source) ? cell.source.join("") : (cell.source ?? "");
}

/** Every cast in every code cell of every notebook in `dir`, one line each: "notebook cell N line L: text". */
function castsInNotebooks(dir: string): string[] {
  const report: string[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".ipynb")).sort()) {
    const notebook = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as { cells: { cell_type: string; source?: string | string[] }[] };
    notebook.cells.forEach((cell, i) => {
      if (cell.cell_type !== "code") return;
      for (const cast of castsIn(cellSource(cell))) report.push(`${name} cell ${i + 1} line ${cast.line} (${cast.kind}): ${cast.text}`);
    });
  }
  return report;
}

describe("the detector", () => {
  it("finds as, as const, <T>, ! and any, each with the line it is written on", () => {
    const source = [
      "const a = x as number;",
      'const b = ["x", "y"] as const;',
      "const c = <string>y;",
      "const d = run.stop!.time;",
      "let e: any = 1;",
      "function f(v: Record<string, any>) { return v; }",
      "const g = (h as unknown) as string[];",
      "for (const [k, q] of [",
      '  ["a", 1],',
      "] as const) use(k,",
      "  q);",
      "const t = table",
      '  .getChild("x")!',
      "  .toArray();",
    ].join("\n");
    expect(castsIn(source)).toEqual([
      { kind: "as", line: 1, text: "const a = x as number;" },
      { kind: "as const", line: 2, text: 'const b = ["x", "y"] as const;' },
      { kind: "<T>", line: 3, text: "const c = <string>y;" },
      { kind: "!", line: 4, text: "const d = run.stop!.time;" },
      { kind: "any", line: 5, text: "let e: any = 1;" },
      { kind: "any", line: 6, text: "function f(v: Record<string, any>) { return v; }" },
      { kind: "as", line: 7, text: "const g = (h as unknown) as string[];" },
      { kind: "as", line: 7, text: "const g = (h as unknown) as string[];" },
      { kind: "as const", line: 10, text: "] as const) use(k," },
      { kind: "!", line: 13, text: '.getChild("x")!' },
    ]);
  });

  it("passes cast-free code: import aliases, !==, !x, definite types, the word 'any' in strings and names", () => {
    const source = [
      'import * as fs from "node:fs";',
      'import { fromUri as connect, Key } from "./lib/index";',
      'export * as lib from "./lib/index";',
      "const anyRuns = runs.length !== 0 && !empty;",
      'console.log("any run as a table", `${x} as ${y}`); // x as y, any',
      "const start = run.startWith({ title: z.string() });",
      "const n: unknown = JSON.parse(text);",
      "if (stop !== null) console.log(stop.exit_status);",
    ].join("\n");
    expect(castsIn(source)).toEqual([]);
  });

  it("reports notebook, cell and line for each cast in a notebook folder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cast-check-"));
    try {
      const cells = [
        { cell_type: "markdown", source: ["Say `x as any` in prose: not code."] },
        { cell_type: "code", source: ['import * as fs from "node:fs";\n', "const ok = 1;"] },
        { cell_type: "code", source: "const n = 1;\nconst s = n as unknown as string;" },
      ];
      fs.writeFileSync(path.join(dir, "a.ipynb"), JSON.stringify({ cells }));
      fs.writeFileSync(path.join(dir, "b.ipynb"), JSON.stringify({ cells: cells.slice(0, 2) }));
      expect(castsInNotebooks(dir)).toEqual([
        "a.ipynb cell 3 line 2 (as): const s = n as unknown as string;",
        "a.ipynb cell 3 line 2 (as): const s = n as unknown as string;",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("notebooks/*.ipynb", () => {
  it("no code cell uses a type assertion (as, as const, <T>), a non-null assertion (!) or any", () => {
    const dir = path.join(PROJECT_ROOT, "notebooks");
    const names = fs.readdirSync(dir).filter((n) => n.endsWith(".ipynb"));
    expect(names.length).toBeGreaterThanOrEqual(6);
    // The real notebooks, not an empty folder: each imports the client by its package name.
    for (const name of names) {
      const notebook = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as { cells: { cell_type: string; source?: string | string[] }[] };
      const code = notebook.cells.filter((c) => c.cell_type === "code").map(cellSource).join("\n");
      expect(code, name).toMatch(/from "tiled-client(\/[a-z]+)?"/);
    }
    const casts = castsInNotebooks(dir);
    expect(casts, `${casts.length} casts in the notebooks (cell numbers count every cell, from 1):\n  ${casts.join("\n  ")}\n`).toEqual([]);
  });

  it("notebooks/replica.ts, the helper every notebook imports, has none either", () => {
    const source = fs.readFileSync(path.join(PROJECT_ROOT, "notebooks", "replica.ts"), "utf8");
    expect(castsIn(source)).toEqual([]);
  });
});
