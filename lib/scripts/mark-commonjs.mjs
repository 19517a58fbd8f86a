// dist/cjs holds CommonJS (tsconfig.cjs.json) inside a "type": "module" package: a package.json
// there tells Node so. Run by `npm run build`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const cjs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "cjs");
fs.mkdirSync(cjs, { recursive: true });
fs.writeFileSync(path.join(cjs, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
