# Sourced by the project's scripts: say what a step is doing and how far it is, so that no step
# longer than a few seconds runs in silence.
#
#   say TAG "message"                       one "[TAG] message" line (the tag bold on a terminal)
#   ticking TAG "what" PROBE -- command ... run the command; every $TICK seconds (default 5) say
#                                           "[TAG] what… N s" plus PROBE's output when PROBE (a
#                                           shell function or command, or "" for none) prints any;
#                                           then "[TAG] what: done in N s"; returns the command's status
#   start_replica TAG [--layout mongo | --writable]   start a replica tiled server unless one of ours runs

say() {
  local tag=$1; shift
  if [ -t 1 ]; then printf '\033[1m[%s]\033[0m %s\n' "$tag" "$*"; else printf '[%s] %s\n' "$tag" "$*"; fi
}

ticking() {
  local tag=$1 what=$2 probe=$3
  shift 4 # tag, what, probe and the "--"
  local t0=$SECONDS next=$(( SECONDS + ${TICK:-5} )) pid status extra
  "$@" &
  pid=$!
  # Stop the command too when this script is interrupted (Ctrl-C reaches the whole group, but a
  # TERM from elsewhere would not).
  trap 'kill "$pid" 2>/dev/null' TERM
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      extra=""
      if [ -n "$probe" ]; then extra=$($probe 2>/dev/null || true); fi
      say "$tag" "$what… $(( SECONDS - t0 )) s${extra:+, $extra}"
      next=$(( SECONDS + ${TICK:-5} ))
    fi
  done
  status=0
  wait "$pid" || status=$?
  trap - TERM
  if [ "$status" = 0 ]; then say "$tag" "$what: done in $(( SECONDS - t0 )) s"; fi
  return "$status"
}

start_replica() {
  local tag=$1; shift
  local label="the replica tiled server (SQL catalog, port ${REPLICA_PORT:-8000})"
  if [ "${2:-}" = mongo ]; then label="the legacy replica tiled server (databroker MongoAdapter, port ${REPLICA_LEGACY_PORT:-8001})"; fi
  if [ "${1:-}" = --writable ]; then label="the writable tiled server (empty catalog wiped at each start, port ${REPLICA_WRITABLE_PORT:-8006})"; fi
  if bin/replica url "$@" >/dev/null 2>&1; then # fails when no server of ours is running
    say "$tag" "$label is already running at $(bin/replica url "$@")"
    return 0
  fi
  # The first start generates the synthetic catalogs (var/replica/: about 3 minutes on 2 cores);
  # the generator says when each catalog is done, and the folder's growth shows it is working.
  local first=""
  [ -d "${REPLICA_VAR:-var/replica}/catalogs" ] || first=" (first start: generating the synthetic catalogs, ~3 min)"
  ticking "$tag" "starting $label$first" replica_probe -- bin/replica start "$@"
}

replica_probe() {
  local dir=${REPLICA_VAR:-var/replica}
  [ -d "$dir" ] && echo "$(du -sm "$dir" | cut -f1) MB in $dir"
}
