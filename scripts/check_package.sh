#!/usr/bin/env bash
# The tiled-client package, used outside this repository as a user would: `npm pack` the library,
# install the tarball into an empty folder, and use it there from
#   (a) a plain Node script (ESM import, and CommonJS require),
#   (b) a TypeScript file run with `npx tsx script.ts`,
#   (c) a tslab notebook, with a kernel registered in that folder only.
# Each reads the SQL replica at TILED_URL (default http://127.0.0.1:8000) and must print the demo's
# figures (shared/reference/replica-facts.md): 125 push_images runs, the last one scan_id 1960.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
URL=${TILED_URL:-http://127.0.0.1:8000}
OUT=$ROOT/var/test/package
say() { printf '[package] %s\n' "$*"; }

rm -rf "$OUT"
mkdir -p "$OUT/consumer"
say "npm pack (lib/ -> a tarball, built by its prepack script)"
tarball=$(cd lib && npm pack --silent --pack-destination "$OUT" | tail -1)
say "packed $tarball ($(du -k "$OUT/$tarball" | cut -f1) KiB, $(tar tzf "$OUT/$tarball" | wc -l) files)"
# Only the built JavaScript, its types and the README ship: no TypeScript sources, no test suites.
if tar tzf "$OUT/$tarball" | grep -E '\.ts$' | grep -vE '\.d\.ts$' | grep -q . || tar tzf "$OUT/$tarball" | grep -q '/test/'; then
  echo "FAILED: the tarball holds sources or tests:" >&2; tar tzf "$OUT/$tarball" | grep -E '/test/|[^d]\.ts$' >&2; exit 1
fi

# No declaration file imports zod's types: a notebook's first cell type-checks every one the import
# reaches, and zod's hundred made it 1.6x the kernel's floor (lib/scripts/flatten-declarations.mjs).
mkdir -p "$OUT/unpacked" && tar xzf "$OUT/$tarball" -C "$OUT/unpacked"
if grep -rl 'from "zod"' "$OUT/unpacked/package/dist" --include='*.d.ts' | grep -q .; then
  echo "FAILED: declaration files import zod:" >&2; grep -rl 'from "zod"' "$OUT/unpacked/package/dist" --include='*.d.ts' >&2; exit 1
fi

cd "$OUT/consumer"
npm init -y >/dev/null
npm pkg set type=module   # so .ts files may use top-level await, as the README shows
say "npm install the tarball, tsx and tslab into an empty folder"
npm install --no-audit --no-fund --loglevel=error "../$tarball" tsx@4.23.15 tslab@1.0.22 >/dev/null

expect() { # expect <what> <output>: the output must hold the demo's figures
  if ! grep -q '"pushImages":125' <<<"$2" || ! grep -q '"lastScanId":1960' <<<"$2"; then
    echo "FAILED ($1): expected 125 push_images runs, the last with scan_id 1960; got: $2" >&2
    exit 1
  fi
  say "ok ($1): $2"
}

cat > script.mjs <<'EOF'
import { fromUri, Key } from "tiled-client";
const client = await fromUri(process.env.TILED_URL);
const bdp = await client.get("bdp2022", { kind: "catalog" });
const pushes = bdp.search(Key("plan_name").eq("push_images")).sort("start.time");
const last = await pushes.values({ kind: "run" }).last();
console.log(JSON.stringify({ pushImages: await pushes.count(), lastScanId: last.start.scan_id }));
EOF
expect "node script.mjs" "$(TILED_URL=$URL node script.mjs)"

cat > script.cjs <<'EOF'
const { fromUri, Key } = require("tiled-client");
(async () => {
  const bdp = await fromUri(`${process.env.TILED_URL}/bdp2022`);
  const pushes = bdp.search(Key("plan_name").eq("push_images")).sort("start.time");
  const last = await pushes.values().last();
  console.log(JSON.stringify({ pushImages: await pushes.count(), lastScanId: last.metadata.start.scan_id }));
})();
EOF
expect "node script.cjs (require)" "$(TILED_URL=$URL node script.cjs)"

cat > script.ts <<'EOF'
import { fromUri, Key } from "tiled-client";
import type { BlueskyRun, StreamData } from "tiled-client";

const client = await fromUri(process.env.TILED_URL ?? "http://127.0.0.1:8000");
const bdp = await client.get("bdp2022", { kind: "catalog" });
const pushes = bdp.search(Key("plan_name").eq("push_images")).sort("start.time");
const last: BlueskyRun = await pushes.values({ kind: "run" }).last();
const primary = await last.stream("primary");
const data: StreamData = await primary.read();
console.log(JSON.stringify({ pushImages: await pushes.count(), lastScanId: last.start.scan_id, events: data.table?.numRows }));
EOF
expect "npx tsx script.ts" "$(TILED_URL=$URL npx --no-install tsx script.ts)"

say "registering a tslab kernel in this folder only, and running a notebook with it"
npx --no-install tslab install --python="$ROOT/.venv/bin/python" --binary="$PWD/node_modules/.bin/tslab" --prefix="$PWD/.jupyter" >/dev/null
nbout=$(TILED_URL=$URL JUPYTER_PATH="$PWD/.jupyter/share/jupyter" JUPYTER_CONFIG_DIR="$PWD/.jupyter/config" JUPYTER_DATA_DIR="$PWD/.jupyter/data" \
JUPYTER_RUNTIME_DIR="$PWD/.jupyter/runtime" "$ROOT/.venv/bin/python" - <<'EOF'
import json, os, sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
nb.cells = [
    nbformat.v4.new_code_cell(
        'import { fromUri, Key } from "tiled-client";\n'
        'import { showTable } from "tiled-client/notebook";\n'
        "const client = await fromUri(process.env.TILED_URL);\n"
        'const bdp = await client.get("bdp2022", { kind: "catalog" });'
    ),
    nbformat.v4.new_code_cell(
        'const pushes = bdp.search(Key("plan_name").eq("push_images")).sort("start.time");\n'
        'const last = await pushes.values({ kind: "run" }).last();\n'
        "console.log(JSON.stringify({ pushImages: await pushes.count(), lastScanId: last.start.scan_id }));\n"
        "showTable([{ scan_id: last.start.scan_id, plan_name: last.start.plan_name }]);"
    ),
]
NotebookClient(nb, timeout=300, kernel_name="tslab", resources={"metadata": {"path": os.getcwd()}}).execute()
outputs = nb.cells[1].outputs
text = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
html = [o for o in outputs if "text/html" in o.get("data", {})]
errors = "".join(o.get("text", "") for c in nb.cells for o in c.outputs if o.get("name") == "stderr")
if errors:
    sys.exit(f"FAILED (tslab notebook): stderr: {errors}")
if not html:
    sys.exit(f"FAILED (tslab notebook): showTable sent no text/html output: {outputs}")
print(text.strip())
nbformat.write(nb, "notebook.ipynb")
EOF
)
expect "a tslab notebook outside the repository" "$nbout"
say "the package works in an empty folder in all three ways"
