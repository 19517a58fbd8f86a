#!/usr/bin/env bash
# Record data-snapshots/ afresh from the replica servers (SQL, legacy databroker, and the writable one): every response the notebooks and lib's
# integration scenarios request, so that both replay with no server and no Python.
# The freshness test (lib/test/freshness.live.test.ts) fails when these no longer match the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
source scripts/progress.sh
bin/replica url >/dev/null 2>&1 || bin/replica start
bin/replica url --layout mongo >/dev/null 2>&1 || bin/replica start --layout mongo
export TILED_URL=$(bin/replica url)
# The legacy replica's responses go to data-snapshots/legacy, the SQL one's to data-snapshots/sql.
export TILED_LEGACY_URL=$(bin/replica url --layout mongo)
# Notebook 08's uploads go to the writable server; its responses to data-snapshots/writable.
bin/replica url --writable >/dev/null 2>&1 || bin/replica start --writable
export TILED_WRITABLE_URL=$(bin/replica url --writable)
# Notebook 07's answers go to data-snapshots/auth/password and auth/proxied-oidc (replica.ts).
source scripts/auth_replicas.sh
trap stop_auth_replicas EXIT
start_auth_replicas record
rm -rf data-snapshots
mkdir -p data-snapshots
TILED_SNAPSHOTS=record npx --no-install vitest run lib/test/integration.live.test.ts
# Notebook 05 follows a run over a websocket as it is written: nothing there to replay.
with_notebook_logins env TILED_SNAPSHOTS=record python scripts/run_notebooks.py --out var/record $(ls notebooks/*.ipynb | grep -v 05_live_run)
echo "recorded $(find data-snapshots -type f -name '*.json' | wc -l) responses into data-snapshots/ ($(du -sh data-snapshots | cut -f1))"
