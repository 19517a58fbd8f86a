# Sourced by the project's scripts: the project-local Jupyter path and venv, nothing global.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export JUPYTER_PATH="$ROOT/.jupyter/share/jupyter"
export JUPYTER_CONFIG_DIR="$ROOT/.jupyter/config"
export JUPYTER_DATA_DIR="$ROOT/.jupyter/data"
export JUPYTER_RUNTIME_DIR="$ROOT/var/jupyter-runtime"
export PATH="$ROOT/.venv/bin:$ROOT/node_modules/.bin:$PATH"
