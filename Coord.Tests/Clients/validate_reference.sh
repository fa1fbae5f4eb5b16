#!/bin/bash
# Validate the client suites against the Apache ZooKeeper 3.8.0 reference (the oracle):
# starts a fresh standalone reference server, runs run_all.sh RUNS times, stops it.
# usage: validate_reference.sh [PORT] [RUNS]     (defaults: 21820, 2)
set -u
PORT=${1:-21820}
RUNS=${2:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/coord-ref.XXXXXX)
PID=$(sh "$HERE/../Oracle/start_ref.sh" "$PORT" "$DIR")
trap 'kill "$PID" 2> /dev/null; wait "$PID" 2> /dev/null; rm -rf "$DIR"' EXIT
ok=0
for _ in $(seq 1 60); do
  if out=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf ruok >&3; cat <&3" 2> /dev/null) && [ "$out" = imok ]; then
    ok=1; break
  fi
  sleep 0.5
done
if [ $ok != 1 ]; then echo "reference server did not start on port $PORT; log: $DIR/server.log" >&2; cat "$DIR/server.log" >&2; exit 2; fi
rc=0
for i in $(seq 1 "$RUNS"); do
  echo "== run $i against reference 127.0.0.1:$PORT"
  "$HERE/run_all.sh" "127.0.0.1:$PORT" || rc=1
done
exit $rc
