# Sourced by the project's scripts (after env.sh and progress.sh): the authenticated replicas that
# notebook 07 ("Logging in") logs in to. The password server (bin/replica start --auth password,
# port 8002), the test OpenID provider (bin/replica idp start, 8005) and the proxied-OIDC server in
# front of it (bin/replica start --auth proxied-oidc, 8004); REPLICA_AUTH_PORT, REPLICA_IDP_PORT,
# REPLICA_PROXIED_OIDC_PORT and REPLICA_AUTH_DIR move them.
#
#   start_auth_replicas TAG       start each unless one of ours runs; exports TILED_AUTH_URL and
#                                 TILED_DEVICE_URL (a value already set is kept)
#   stop_auth_replicas            stop those that start_auth_replicas started (by their recorded PIDs)
#   with_notebook_logins CMD ...  run CMD with, in its environment only: alice's password in
#                                 TILED_PASSWORD (read from the replica's mode-600 users file, never
#                                 printed), the headless device-code approver (TILED_DEVICE_APPROVER,
#                                 APPROVE_PASSWORD: server/oidc/approve.mjs plays alice at the provider),
#                                 and a token cache of its own (TILED_CACHE_DIR=var/notebook-tokens),
#                                 so the user's ~/.cache/tiled is left alone

started_auth=()

start_auth_replicas() {
  local tag=$1
  if ! bin/replica idp url >/dev/null 2>&1; then
    ticking "$tag" "starting the test OpenID provider (port ${REPLICA_IDP_PORT:-8005})" "" -- bin/replica idp start || return 1
    started_auth+=(idp)
  fi
  local mode
  for mode in password proxied-oidc; do
    if bin/replica url --auth "$mode" >/dev/null 2>&1; then
      say "$tag" "the authenticated replica ($mode) is already running at $(bin/replica url --auth "$mode")"
    else
      ticking "$tag" "starting the authenticated replica ($mode)" "" -- bin/replica start --auth "$mode" || return 1
      started_auth+=("$mode")
    fi
  done
  export TILED_AUTH_URL=${TILED_AUTH_URL:-$(bin/replica url --auth password)}
  export TILED_DEVICE_URL=${TILED_DEVICE_URL:-$(bin/replica url --auth proxied-oidc)}
}

stop_auth_replicas() {
  local what
  for what in "${started_auth[@]}"; do
    if [ "$what" = idp ]; then continue; fi
    bin/replica stop --auth "$what" >/dev/null
  done
  for what in "${started_auth[@]}"; do
    if [ "$what" = idp ]; then bin/replica idp stop >/dev/null; fi
  done
  started_auth=()
}

# The password of a replica user, from the users file the CLI names (mode 600): `auth_password MODE USER`.
auth_password() {
  python - "$(bin/replica auth-users --auth "$1" --path)" "$2" <<'PY'
import json, sys
users = json.load(open(sys.argv[1]))["users"]
print(next(u["password"] for u in users if u["username"] == sys.argv[2]))
PY
}

with_notebook_logins() {
  (
    # A subshell: these variables reach the notebooks' kernels and nothing else of the script.
    TILED_PASSWORD=$(auth_password password alice) || exit 1
    APPROVE_PASSWORD=$(auth_password proxied-oidc alice) || exit 1
    export TILED_PASSWORD APPROVE_PASSWORD TILED_DEVICE_APPROVER=alice
    export TILED_CACHE_DIR=${NOTEBOOK_TOKEN_CACHE:-$PWD/var/notebook-tokens}
    # A key in the environment would be sent instead of the login (tiled's clients prefer it);
    # notebook 08 reads the writable server's key from its file (notebooks/replica.ts).
    unset TILED_API_KEY
    mkdir -p "$TILED_CACHE_DIR" && chmod 700 "$TILED_CACHE_DIR"
    "$@"
  )
}
