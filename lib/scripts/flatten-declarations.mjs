// Rewrite the package's declaration files so that none of them imports zod's types.
//
// Why: tslab type-checks a notebook's first cell against every declaration file the imports reach.
// zod's are about a hundred files; loaded for `import { fromUri } from "tiled-client"`, they made
// that first cell 1.6x the kernel's floor on their own (bench/first_cell.py). The library keeps
// using zod at run time, and its types still come from the zod schemas: this script asks the
// TypeScript checker what each `z.infer<…>` type *is* and writes that structure out, and declares
// each exported schema as a `Schema<T>` (lib/parse.ts: parse and safeParse), which is all a user of
// the package calls on one.
//
//   node scripts/flatten-declarations.mjs      (run by `npm run build`, after tsc)
//
// It fails, naming the file and line, if a declaration it rewrote still mentions zod.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const lib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(lib, "dist");
const config = ts.getParsedCommandLineOfConfigFile(path.join(lib, "tsconfig.build.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } });
const program = ts.createProgram(config.fileNames, { ...config.options, noEmit: true, incremental: false });
const checker = program.getTypeChecker();
const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias;

/** A type as plain TypeScript: zod's enum-output alias written as the union it stands for. */
function plain(type) {
  let text = checker.typeToString(type, undefined, FLAGS);
  text = text.replace(/\$InferEnumOutput<\{([^{}]*)\}>/g, (_, body) => {
    const values = [...body.matchAll(/:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)\s*;/g)].map((m) => m[1]);
    return values.length ? `(${values.join(" | ")})` : "never";
  });
  return text;
}

/** What a zod schema value parses to: the return type of its `parse`. */
function outputOf(symbol) {
  const type = checker.getTypeOfSymbol(symbol);
  const parse = type.getProperty("parse");
  if (!parse) return undefined;
  const [signature] = checker.getSignaturesOfType(checker.getTypeOfSymbol(parse), ts.SignatureKind.Call);
  return signature ? plain(checker.getReturnTypeOfSignature(signature)) : undefined;
}

const rewritten = [];
for (const source of program.getSourceFiles()) {
  if (!source.fileName.startsWith(lib + path.sep) || source.fileName.includes(`${path.sep}test${path.sep}`)) continue;
  const relative = path.relative(lib, source.fileName).replace(/\.ts$/, ".d.ts");
  const declarationFile = path.join(dist, relative);
  if (!fs.existsSync(declarationFile)) continue;
  const text = fs.readFileSync(declarationFile, "utf8");
  if (!/from "zod"/.test(text)) continue;

  const exports = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(source)).map((s) => [s.name, s]));
  const declarations = ts.createSourceFile(declarationFile, text, ts.ScriptTarget.ES2022, true);
  const edits = []; // [start, end, replacement]
  for (const statement of declarations.statements) {
    if (ts.isImportDeclaration(statement) && statement.moduleSpecifier.text === "zod") {
      edits.push([statement.getFullStart(), statement.getEnd(), ""]);
    } else if (ts.isTypeAliasDeclaration(statement) && /\bz\./.test(statement.type.getText())) {
      const symbol = exports.get(statement.name.text);
      if (!symbol) throw new Error(`${relative}: no exported type ${statement.name.text} in the source`);
      edits.push([statement.type.getStart(), statement.type.getEnd(), plain(checker.getDeclaredTypeOfSymbol(symbol))]);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (!declaration.type || !/\bz\./.test(declaration.type.getText())) continue;
        const name = declaration.name.getText();
        const symbol = exports.get(name);
        const output = symbol && outputOf(symbol);
        if (!output) throw new Error(`${relative}: cannot tell what the schema ${name} parses to`);
        edits.push([declaration.type.getStart(), declaration.type.getEnd(), `Schema<${output}>`]);
      }
    }
  }
  let out = text;
  for (const [start, end, replacement] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + replacement + out.slice(end);
  if (/Schema</.test(out) && !/import type \{ Schema \}/.test(out) && relative !== "parse.d.ts") {
    const parse = path.relative(path.dirname(relative), "parse.js").replace(/\\/g, "/");
    out = `import type { Schema } from "${parse.startsWith(".") ? parse : `./${parse}`}";\n${out}`;
  }
  const left = out.split("\n").map((line, i) => [i + 1, line]).filter(([, line]) => /\bz\.|from "zod"|\$Infer|\$Zod/.test(line));
  if (left.length) throw new Error(`${relative} still mentions zod after flattening:\n${left.map(([n, l]) => `  ${n}: ${l.trim().slice(0, 160)}`).join("\n")}`);
  fs.writeFileSync(declarationFile, out);
  rewritten.push(relative);
}
console.log(`flatten-declarations: ${rewritten.length} declaration files written without zod's types (${rewritten.join(", ")})`);
