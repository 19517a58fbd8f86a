#!/usr/bin/env bash
# Every test: strict tsc, vitest, pytest (replica servers and project checks), every notebook run
# headless against the live replicas and again from data-snapshots/ with no server, the
# documentation site built from the live run and checked in headless Chromium, the plots in
# JupyterLab, the snapshots' freshness, and the tiled-client package installed in an empty folder.
# Long steps say how far they are.
# Each step runs even when an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
source scripts/env.sh
source scripts/progress.sh

passed=(); failed=()
# Each step's output also goes to var/test/logs/, so that the end of the run can say what failed
# inside a failed step (CI shows only the tail of a long run).
logs=var/test/logs
rm -rf "$logs" var/test/vitest.json; mkdir -p "$logs"
step() {
  local name=$1; shift
  local t0=$(date +%s) log="$logs/$(( ${#passed[@]} + ${#failed[@]} + 1 ))-${name//[^A-Za-z0-9]/_}.log" code
  printf '\n\033[1m=== %s\033[0m\n' "$name"
  "$@" 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  if [ "$code" = 0 ]; then passed+=("$name"); status=ok; else failed+=("$name"); failed_logs+=("$log"); status=FAILED; fi
  printf '=== %s: %s (%d s)\n' "$name" "$status" $(( $(date +%s) - t0 ))
}
failed_logs=()

# The replica servers the TypeScript tests and notebooks talk to: the SQL catalog (TiledWriter's
# layout) and the legacy databroker MongoAdapter. Each is started here unless one of ours is
# already running, and stopped at the end only if started here.
started_sql=0; started_mongo=0
# `bin/replica url` fails when no server of ours is running (`status` always exits 0: it reports).
if ! bin/replica url >/dev/null 2>&1; then
  start_replica test || { echo "the replica server did not start; see the message above"; exit 1; }
  started_sql=1
fi
if ! bin/replica url --layout mongo >/dev/null 2>&1; then
  start_replica test --layout mongo || { echo "the legacy replica server did not start; see the message above"; exit 1; }
  started_mongo=1
fi
# The writable server (issue 20: export, raw files, uploads): an empty catalog, wiped at each start.
started_writable=0
if ! bin/replica url --writable >/dev/null 2>&1; then
  start_replica test --writable || { echo "the writable tiled server did not start; see the message above"; exit 1; }
  started_writable=1
fi
# And the authenticated ones notebook 07 logs in to (scripts/auth_replicas.sh), stopped likewise.
source scripts/auth_replicas.sh
trap 'stop_auth_replicas; [ $started_writable = 1 ] && bin/replica stop --writable >/dev/null; [ $started_mongo = 1 ] && bin/replica stop --layout mongo >/dev/null; [ $started_sql = 1 ] && bin/replica stop >/dev/null' EXIT
export TILED_URL=$(bin/replica url) || { echo "no replica server answers; see the messages above"; exit 1; }
export TILED_LEGACY_URL=$(bin/replica url --layout mongo) || { echo "no legacy replica server answers"; exit 1; }
export TILED_WRITABLE_URL=$(bin/replica url --writable) || { echo "no writable tiled server answers"; exit 1; }
start_auth_replicas test || { echo "the authenticated replicas did not start; see the messages above"; exit 1; }

# tsc prints nothing until it is done: say every 5 s that it is still checking.
step "tsc (strict)" bash -c 'source scripts/progress.sh; ticking tsc "type-checking (tsconfig.json)" "" -- npx --no-install tsc -p tsconfig.json'
step "vitest" npx --no-install vitest run --reporter=default --reporter=json --outputFile.json=var/test/vitest.json
step "pytest" python -m pytest -q server/tests tests
# Notebook 07 logs in: its password and the device-code approver reach the notebooks' kernels only.
step "notebooks (live server)" with_notebook_logins python scripts/run_notebooks.py --out var/test/live
# One client for both layouts: the tiled-client notebook, unchanged, against the legacy replica.
step "notebook 02 on the legacy replica" env TILED_URL="$TILED_LEGACY_URL" \
  python scripts/run_notebooks.py --out var/test/legacy notebooks/02_tiled_client.ipynb
# Replay points TILED_URL at a closed port: any request that escaped the snapshots would fail. Notebook
# 07's login answers come from its recordings; a password must still be given, and none is checked.
step "notebooks (replayed snapshots, no server)" env TILED_URL=http://127.0.0.1:9 TILED_LEGACY_URL=http://127.0.0.1:10 TILED_WRITABLE_URL=http://127.0.0.1:11 TILED_SNAPSHOTS=replay \
  TILED_AUTH_URL=http://127.0.0.1:12 TILED_DEVICE_URL=http://127.0.0.1:13 TILED_PASSWORD=replayed-not-checked TILED_CACHE_DIR="$PWD/var/test/replay-tokens" \
  python scripts/run_notebooks.py --out var/test/replay $(ls notebooks/*.ipynb | grep -v 05_live_run)
step "documentation site in Chromium" bash -c 'python scripts/build_site.py var/test/live var/test/site && node scripts/check_html.mjs var/test/site'
step "plots in JupyterLab" with_notebook_logins node scripts/check_jupyterlab.mjs var/test/live/*.ipynb
# The library as users install it: npm pack, then used from an empty folder (node, npx tsx, a tslab notebook).
step "the tiled-client package outside the repository" bash scripts/check_package.sh

printf '\n'
if [ ${#failed[@]} -gt 0 ]; then
  echo "what failed (whole output: $logs/):"
  node scripts/failures.mjs var/test/vitest.json "${failed_logs[@]}"
  printf '\n'
fi
for s in "${passed[@]}"; do echo "  ok      $s"; done
for s in "${failed[@]}"; do echo "  FAILED  $s"; done
echo "steps: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
