#!/usr/bin/env bash
# Installs everything the project needs, idempotently: Debian packages (when root and missing),
# the project-local Python venv from requirements.txt, the npm packages from package-lock.json,
# and the tslab kernel registered in a project-local Jupyter path (.jupyter/), so the user's own
# Jupyter configuration is never touched. Safe to run again; each step skips when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages: chromium (HTML checks), postgresql (the PostgreSQL test), redis-server ----
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_apt+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    log "missing Debian packages: ${need_apt[*]} (run: sudo apt-get install ${need_apt[*]})"
  fi
fi

# --- Python venv -------------------------------------------------------------------------------
PY=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating .venv from requirements.txt"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

# --- npm packages ------------------------------------------------------------------------------
lockstamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$lockstamp" 2>/dev/null)" != "$want" ]; then
  log "npm ci"
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
log "ready"
