#!/usr/bin/env bash
# Start JupyterLab on notebooks/ with the project's tslab kernel and the replica servers running.
# Uses the project-local Jupyter path (.jupyter/); your own Jupyter configuration is not touched.
#
#   bash scripts/lab.sh                 # http://127.0.0.1:8888/lab
#   bash scripts/lab.sh --port 8890     # another port (or LAB_PORT=8890 bash scripts/lab.sh)
#   bash scripts/lab.sh -- --no-browser # anything after the options goes to `jupyter lab`
set -euo pipefail
cd "$(dirname "$0")/.."
port=${LAB_PORT:-8888}
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --port) [ $# -ge 2 ] || { echo "lab.sh: --port needs a number, e.g. --port 8890" >&2; exit 2; }; port=$2; shift 2 ;;
    --port=*) port=${1#--port=}; shift ;;
    --) shift; extra+=("$@"); break ;;
    *) extra+=("$1"); shift ;;
  esac
done
case $port in ''|*[!0-9]*) echo "lab.sh: the port must be a number, not '$port'" >&2; exit 2 ;; esac

bash scripts/setup.sh
source scripts/env.sh
source scripts/progress.sh
# JupyterLab would quietly move to the next free port; say so before starting instead.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "lab.sh: port $port on 127.0.0.1 is already in use; choose another: bash scripts/lab.sh --port N (or LAB_PORT=N)" >&2
  exit 1
fi
start_replica lab
export TILED_URL=${TILED_URL:-$(bin/replica url)}
start_replica lab --layout mongo
export TILED_LEGACY_URL=${TILED_LEGACY_URL:-$(bin/replica url --layout mongo)}
start_replica lab --writable   # notebook 08 uploads to it
export TILED_WRITABLE_URL=${TILED_WRITABLE_URL:-$(bin/replica url --writable)}
source scripts/auth_replicas.sh   # notebook 07's servers behind a login, and its replica user's password
start_auth_replicas lab
say lab "JupyterLab on http://127.0.0.1:$port/lab (the address with its login token follows below;"
say lab "another port: bash scripts/lab.sh --port N). Stop it with Ctrl-C; the replicas keep running (bin/replica stop --all)."
# The kernels get the replica user's password (TILED_PASSWORD) for notebook 07, as the main job's do;
# it is a throwaway account of a server on 127.0.0.1, never a real one.
with_notebook_logins jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port="$port" --ServerApp.port_retries=0 \
  --ServerApp.root_dir="$ROOT/notebooks" $( [ "$(id -u)" = 0 ] && echo --allow-root ) "${extra[@]}"
