#!/usr/bin/env bash
# Installs everything the project needs, idempotently: Debian packages (when root and missing),
# the project-local Python venv from requirements.txt, the npm packages from package-lock.json,
# and the tslab kernel registered in a project-local Jupyter path (.jupyter/), so the user's own
# Jupyter configuration is never touched. Safe to run again; each step skips when up to date.
# Every step that can take long says what it does and how far it is (scripts/progress.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/progress.sh
log() { say setup "$@"; }
started=$SECONDS
mkdir -p var

# --- Debian packages: chromium (HTML checks), postgresql (the PostgreSQL test), redis-server ----
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_apt+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt_install() {
      apt-get update -qq >var/setup-apt.log 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >>var/setup-apt.log 2>&1
    }
    # dpkg's messages say how many packages are unpacked and set up so far (the total is not known
    # in advance: apt adds the dependencies it lacks).
    apt_probe() { echo "$(grep -c '^Unpacking' var/setup-apt.log) packages unpacked, $(grep -c '^Setting up' var/setup-apt.log) set up"; }
    ticking setup "apt-get install ${need_apt[*]} (system-wide; with their dependencies)" apt_probe -- apt_install ||
      { tail -20 var/setup-apt.log >&2; log "apt-get failed; its log: var/setup-apt.log"; exit 1; }
  else
    log "missing Debian packages: ${need_apt[*]} (run: sudo apt-get install ${need_apt[*]})"
  fi
fi

# --- Python venv -------------------------------------------------------------------------------
PY=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  total=$(grep -c '==' requirements.txt)
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $("$PY" --version)"
    "$PY" -m venv .venv
  fi
  pip_install() {
    .venv/bin/pip install --disable-pip-version-check --progress-bar off -r requirements.txt >var/setup-pip.log 2>&1
  }
  pip_probe() {
    if grep -q '^Installing collected packages' var/setup-pip.log; then
      echo "installing $(grep '^Installing collected packages' var/setup-pip.log | tr ',' '\n' | wc -l) downloaded packages into .venv"
    else
      echo "$(grep -c '^Collecting\|^Requirement already satisfied' var/setup-pip.log)/$total packages resolved"
    fi
  }
  ticking setup "pip install -r requirements.txt ($total pinned packages)" pip_probe -- pip_install ||
    { tail -20 var/setup-pip.log >&2; log "pip install failed; its log: var/setup-pip.log"; exit 1; }
  log "$(grep '^Successfully installed' var/setup-pip.log | wc -w | awk '{print ($1 > 2 ? $1 - 2 : 0)}') packages installed or updated, the rest already there"
  echo "$want" > "$stamp"
fi

# --- npm packages ------------------------------------------------------------------------------
lockstamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$lockstamp" 2>/dev/null)" != "$want" ]; then
  # How many of package-lock.json's packages are in node_modules/ so far (optional ones, mostly
  # builds for other platforms, are not counted).
  npm_count() {
    node -e 'const fs = require("fs"); const all = Object.entries(require("./package-lock.json").packages)
      .filter(([path, p]) => path && !p.optional).map(([path]) => path);
      const here = all.filter((path) => fs.existsSync(path + "/package.json")).length;
      console.log(process.argv[1] === "total" ? all.length : `${here}/${all.length} packages in node_modules`)' "$@"
  }
  npm_probe() { npm_count; }
  npm_total=$(npm_count total)
  ticking setup "npm ci ($npm_total packages from package-lock.json)" npm_probe -- \
    npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$lockstamp"
fi

# --- the library: lib/ built into the tiled-client package (lib/dist: ESM JavaScript and .d.ts) ----
# The notebooks import it by name; rebuilt every time (a few seconds) so they never run stale code.
log "building the tiled-client package (lib/ -> lib/dist)"
npm run --silent build

# --- tslab kernel, registered under .jupyter/ only ---------------------------------------------
if ! grep -qs "$ROOT/node_modules/.bin/tslab" .jupyter/share/jupyter/kernels/tslab/kernel.json; then
  log "registering the tslab kernel in .jupyter/"
  npx --no-install tslab install --python="$ROOT/.venv/bin/python" \
    --binary="$ROOT/node_modules/.bin/tslab" --prefix="$ROOT/.jupyter" >/dev/null
fi
log "ready ($(( SECONDS - started )) s)"
