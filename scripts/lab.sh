#!/usr/bin/env bash
# Start JupyterLab on notebooks/ with the project's tslab kernel and the replica server running.
# Uses the project-local Jupyter path (.jupyter/); your own Jupyter configuration is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
bin/replica url >/dev/null 2>&1 || bin/replica start
export TILED_URL=${TILED_URL:-$(bin/replica url)}
bin/replica url --layout mongo >/dev/null 2>&1 || bin/replica start --layout mongo
export TILED_LEGACY_URL=${TILED_LEGACY_URL:-$(bin/replica url --layout mongo)}
exec jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$ROOT/notebooks" \
  $( [ "$(id -u)" = 0 ] && echo --allow-root ) "$@"
