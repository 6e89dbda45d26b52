#!/usr/bin/env bash
# make demo: the whole pipeline live on this machine, as far as it exists today.
# Starts the services, then every stage whose app exists (replay, ingest, stream, archive,
# dashboard) in the background with logs under data/demo/, runs the batch layer (ETL) on a timer,
# and stops everything it started on Ctrl-C. Services keep running (make down stops them).
set -uo pipefail
cd "$(dirname "$0")/.."
bun=node_modules/.bin/bun
logs=data/demo
etl_every=${DEMO_ETL_SECONDS:-120}
mkdir -p "$logs"
pids=()

stop() {
  trap - INT TERM EXIT
  echo "demo: stopping ${#pids[@]} process(es)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  echo "demo: stopped (services still up; make down stops them)"
  exit 0
}
trap stop INT TERM EXIT

$bun scripts/services.ts up kafka postgres || exit 1

start() { # name, then the command
  local name=$1; shift
  "$@" >>"$logs/$name.log" 2>&1 &
  pids+=($!)
  echo "demo: $name started (pid $!, log $logs/$name.log)"
}

start replay $bun apps/replay/main.ts
for app in ingest stream archive dashboard; do
  [ -f "apps/$app/main.ts" ] && start "$app" $bun "apps/$app/main.ts"
done

echo "demo: stream at ws://127.0.0.1:${REPLAY_PORT:-8090}/2/rsvps"
[ -f apps/dashboard/main.ts ] && echo "demo: dashboard at http://${DASHBOARD_HOST:-127.0.0.1}:${DASHBOARD_PORT:-3000}"
echo "demo: Ctrl-C stops the demo"
while true; do
  sleep "$etl_every" & wait $!
  if [ -f apps/etl/main.ts ]; then
    echo "demo: batch layer: running the ETL (log $logs/etl.log)"
    $bun apps/etl/main.ts >>"$logs/etl.log" 2>&1 || echo "demo: ETL failed; see $logs/etl.log"
  fi
done
