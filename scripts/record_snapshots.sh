#!/usr/bin/env bash
# Record data-snapshots/ afresh from the replica server: every response the notebooks and lib's
# integration scenarios request, so that both replay with no server and no Python.
# The freshness test (lib/test/freshness.test.ts) fails when these no longer match the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
bin/replica url >/dev/null 2>&1 || bin/replica start
export TILED_URL=$(bin/replica url)
rm -rf data-snapshots
mkdir -p data-snapshots
TILED_SNAPSHOTS=record npx --no-install vitest run lib/test/integration.test.ts
TILED_SNAPSHOTS=record python scripts/run_notebooks.py --out var/record
echo "recorded $(find data-snapshots -type f -name '*.json' | wc -l) responses into data-snapshots/ ($(du -sh data-snapshots | cut -f1))"
