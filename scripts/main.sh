#!/usr/bin/env bash
# The main job: set everything up, start the replica tiled servers, execute every notebook against
# them into var/executed/ (the committed notebooks are left as they are: `git status` stays clean),
# build the documentation site from those executed copies into site/, and check it in Chromium.
# To refresh the committed notebooks and the screenshots in docs/ instead: scripts/refresh_notebooks.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/setup.sh
source scripts/env.sh
source scripts/progress.sh

# The replicas: generated on first use (and whenever the generator changes), then served. The
# legacy (databroker MongoAdapter) one is what notebooks 01 and 06 compare the SQL one with.
start_replica main
export TILED_URL=${TILED_URL:-$(bin/replica url)}
start_replica main --layout mongo
export TILED_LEGACY_URL=${TILED_LEGACY_URL:-$(bin/replica url --layout mongo)}
# The writable server notebook 08 uploads to (an empty catalog, wiped at each start).
start_replica main --writable
export TILED_WRITABLE_URL=${TILED_WRITABLE_URL:-$(bin/replica url --writable)}
# The authenticated replicas notebook 07 logs in to (a password server; a test OpenID provider and a
# server that logs in with it by device code): scripts/auth_replicas.sh.
source scripts/auth_replicas.sh
start_auth_replicas main

say main "executing the notebooks against $TILED_URL, $TILED_LEGACY_URL, $TILED_WRITABLE_URL, $TILED_AUTH_URL and $TILED_DEVICE_URL"
with_notebook_logins python scripts/run_notebooks.py --out var/executed
say main "building the documentation site"
python scripts/build_site.py var/executed site
say main "checking the site in headless Chromium (every page, plot, link and search)"
node scripts/check_html.mjs site

cat <<MSG

[main] done in $(( SECONDS - started )) s.
  Open the site:           site/index.html  (works offline; e.g. xdg-open site/index.html)
  Notebooks in JupyterLab: bash scripts/lab.sh   (port 8888; another: bash scripts/lab.sh --port N)
  The executed notebooks:  var/executed/  (notebooks/ is unchanged; to refresh it: bash scripts/refresh_notebooks.sh)
  The replica servers are still running at $TILED_URL, $TILED_LEGACY_URL and $TILED_WRITABLE_URL, and
  the authenticated ones at $TILED_AUTH_URL and $TILED_DEVICE_URL; stop them with: bin/replica stop;
  bin/replica stop --layout mongo; bin/replica stop --writable; bin/replica stop --auth password;
  bin/replica stop --auth proxied-oidc; bin/replica idp stop
MSG
