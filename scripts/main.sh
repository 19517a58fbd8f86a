#!/usr/bin/env bash
# The main job: set everything up, start the replica tiled server, execute every notebook against
# it (outputs written back into notebooks/), and export them to an offline HTML site in site/.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh
source scripts/env.sh

# The replica: generated on first use (and whenever the generator changes), then served.
if bin/replica url >/dev/null 2>&1; then  # fails when no server of ours is running
  echo "[main] the replica server is already running at $(bin/replica url)"
else
  bin/replica start
fi
export TILED_URL=${TILED_URL:-$(bin/replica url)}
# The legacy (databroker MongoAdapter) replica, which notebooks 01 and 06 compare with the SQL one.
bin/replica url --layout mongo >/dev/null 2>&1 || bin/replica start --layout mongo
export TILED_LEGACY_URL=${TILED_LEGACY_URL:-$(bin/replica url --layout mongo)}

echo "[main] executing notebooks against $TILED_URL"
python scripts/run_notebooks.py
echo "[main] exporting HTML"
python scripts/export_html.py --site site
node scripts/check_html.mjs site --screenshot docs/plot.png --screenshot-page 04_usaxs_tour.html

cat <<MSG

[main] done in $(( $(date +%s) - started )) s.
  Open the site:         site/index.html  (works offline; e.g. xdg-open site/index.html)
  Notebooks in JupyterLab: bash scripts/lab.sh
  The replica servers are still running at $TILED_URL and $TILED_LEGACY_URL; stop them with: bin/replica stop; bin/replica stop --layout mongo
MSG
