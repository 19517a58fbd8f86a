#!/usr/bin/env bash
# Refresh what is committed from a run: execute notebooks/*.ipynb in place against the replica
# servers (their outputs are what GitHub and a fresh clone show), build the site from them, check
# it, and retake the screenshots docs/site-index.png and docs/site-notebook.png.
# The main job (scripts/main.sh) never does this: it executes copies into var/executed/.
# Review the changes with `git diff --stat notebooks docs`, then commit them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
source scripts/progress.sh

start_replica refresh
export TILED_URL=${TILED_URL:-$(bin/replica url)}
start_replica refresh --layout mongo
export TILED_LEGACY_URL=${TILED_LEGACY_URL:-$(bin/replica url --layout mongo)}
start_replica refresh --writable   # notebook 08 uploads to it
export TILED_WRITABLE_URL=${TILED_WRITABLE_URL:-$(bin/replica url --writable)}
source scripts/auth_replicas.sh   # notebook 07's servers, and its logins (for the notebooks' kernels only)
start_auth_replicas refresh

say refresh "executing notebooks/*.ipynb in place against $TILED_URL and $TILED_LEGACY_URL"
with_notebook_logins python scripts/run_notebooks.py --in-place
say refresh "building the site from the committed notebooks into var/site/"
python scripts/build_site.py notebooks var/site
say refresh "checking it, and taking the screenshots in docs/"
node scripts/check_html.mjs var/site --screenshots docs --screenshot-page 04_usaxs_tour.html

say refresh "changed (review, then commit):"
git status --short notebooks docs
