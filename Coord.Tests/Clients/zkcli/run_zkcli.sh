#!/bin/bash
# Run a zkCli.sh command script non-interactively against HOST:PORT and write
# normalised output (comparable between the reference ZooKeeper and Coord).
#
# usage: run_zkcli.sh HOST:PORT SCRIPT [OUT]
#   SCRIPT  one zkCli command per line ('#' comments; '#@setup CMD' lines run first,
#           their output is discarded)
#   OUT     normalised output file (default: stdout); the raw output is kept in OUT.raw
# env: ZKCLI (default /usr/share/zookeeper/bin/zkCli.sh), ZKCLI_TIMEOUT (default 60 s)
set -u
HP=${1:?usage: run_zkcli.sh HOST:PORT SCRIPT [OUT]}
SCRIPT=${2:?usage: run_zkcli.sh HOST:PORT SCRIPT [OUT]}
OUT=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ZKCLI=${ZKCLI:-/usr/share/zookeeper/bin/zkCli.sh}
TMO=${ZKCLI_TIMEOUT:-60}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
raw=$work/raw.txt
input=$work/input.txt

# marker after every command: sync completes on the event thread after all watch
# events caused by the previous command were printed; printwatches prints a fixed line.
marker() { printf 'sync /\nprintwatches\n'; }
{
  marker
  grep '^#@setup ' "$SCRIPT" | sed 's/^#@setup //'
  marker
  grep -v '^[[:space:]]*#' "$SCRIPT" | grep -v '^[[:space:]]*$' | while IFS= read -r cmd; do
    printf '%s\n' "$cmd"
    marker
  done
} > "$input"

# JLine is not installed in Debian's zookeeper package, so zkCli reads commands from stdin.
timeout "$TMO" "$ZKCLI" -server "$HP" < "$input" > "$raw" 2>&1
rc=$?
if [ $rc -eq 124 ]; then echo "run_zkcli: zkCli timed out after ${TMO}s" >&2; fi
if [ -n "$OUT" ]; then
  cp "$raw" "$OUT.raw"
  "$PY" "$HERE/normalize_zkcli.py" "$SCRIPT" "$raw" > "$OUT"
else
  "$PY" "$HERE/normalize_zkcli.py" "$SCRIPT" "$raw"
fi
exit $rc
