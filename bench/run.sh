#!/usr/bin/env bash
# The benchmark command (npm run bench): generate the data once, compile the TypeScript drivers,
# then time the library against curl and tiled's Python client on a tiled server of its own.
# Options go to bench/bench.py: --reps N (default 5), --cases a,b,c,cpg,e,live,io,auth. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || [ ! -d node_modules/apache-arrow ]; then
  echo "bench: the environment is not set up; run: bash scripts/setup.sh" >&2
  exit 1
fi
# The tslab kernel is registered in the project-local Jupyter path only (case nb needs it).
source scripts/env.sh
mkdir -p var/bench/logs
# Cases live, io and auth write their own runs, arrays and logins: they need no benchmark data.
cases=a,b,c,cpg,e,live,io,auth; prev=""
for arg in "$@"; do
  if [ "$prev" = --cases ]; then cases=$arg; fi
  case "$arg" in --cases=*) cases=${arg#--cases=} ;; esac
  prev=$arg
done
if [ -n "$(echo "$cases" | tr ',' '\n' | grep -vxE 'live|io|auth')" ]; then
  .venv/bin/python bench/generate.py
fi
echo "[bench] compiling bench/*.ts (and the lib files they import) to var/bench/build"
rm -rf var/bench/build
npx --no-install tsc -p bench/tsconfig.json
exec .venv/bin/python bench/bench.py "$@"
