#!/usr/bin/env bash
# Starts the fan-in example: the two collectors first, then the three edges, each as its own
# `sluice agent` process with its log in ./logs/<agent>.log. Ctrl-C (or SIGTERM) stops them all
# gracefully. Environment variables from topology.yaml (EDGE_EVENTS, COLLECTOR1_PORT, ...) pass through.
set -euo pipefail
cd "$(dirname "$0")"
# From a checkout (after npm run build) use the built CLI; elsewhere set SLUICE=sluice.
SLUICE=${SLUICE:-"node ../../packages/cli/dist/src/bin.js"}
mkdir -p logs
pids=()

start() {
  $SLUICE agent -f topology.yaml -n "$1" >"logs/$1.log" 2>&1 &
  pids+=("$!")
  echo "started $1 (pid $!, log logs/$1.log)"
}

stop_all() {
  trap - INT TERM EXIT
  echo "stopping ${#pids[@]} agents"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop_all INT TERM EXIT

start collector1
start collector2
sleep 1 # let the collectors bind; edges would retry anyway
start edge1
start edge2
start edge3
echo "running; output goes to ${OUT_DIR:-./out}/collector{1,2}; Ctrl-C to stop"
wait
