#!/bin/bash
# ZooKeeper C client (Debian zookeeper-bin: cli_mt, load_gen) against HOST:PORT.
# usage: run_c_client.sh HOST:PORT
# Prints PASS/FAIL/SKIP <name> <details> lines and a SUMMARY line; exit 0 only if all pass.
#
# cli_mt is run in batch mode (-c "cmd"): one process, one session and one command each;
# it prints "<path>: rc = N" (or "[<path>]: rc = N") plus details, and exits with 0
# whatever rc was, so the output is parsed. (Batch "exists", "myid" and "addauth" never
# exit, so they are not used.)
set -u
HP=${1:?usage: run_c_client.sh HOST:PORT}
CLI=${CLI_MT:-/usr/lib/zookeeper/bin/cli_mt}
LOADGEN=${LOAD_GEN:-/usr/lib/zookeeper/bin/load_gen}
ROOT=/coordtest-c-$$-$RANDOM
PASSED=0 FAILED=0 SKIPPED=0
START=$(date +%s%N)
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

pass() { PASSED=$((PASSED+1)); echo "PASS $1 ${2:-}"; }
fail() { FAILED=$((FAILED+1)); echo "FAIL $1 ${2:-}"; echo "---- output of $1:" >&2; cat "$OUT" >&2; }
skip() { SKIPPED=$((SKIPPED+1)); echo "SKIP $1 ${2:-}"; }

# run NAME COMMAND: runs cli_mt, output in $OUT
run() { timeout 15 "$CLI" -h "$HP" -c "$1" > "$OUT" 2>&1; local rc=$?; [ $rc -eq 124 ] && echo "cli_mt timed out" >> "$OUT"; return 0; }
# expect NAME COMMAND REGEX...: every (extended) regex must match some line of the output
expect() {
  local name=$1 cmd=$2; shift 2
  run "$cmd"
  local re
  for re in "$@"; do
    if ! grep -Eq -- "$re" "$OUT"; then fail "$name" "'$cmd': no line matching /$re/"; return; fi
  done
  pass "$name" "$cmd"
}
# expect_not NAME COMMAND REGEX: the regex must not match
expect_not() {
  local name=$1 cmd=$2 re=$3
  run "$cmd"
  if grep -Eq -- "$re" "$OUT"; then fail "$name" "'$cmd': unexpected line matching /$re/"; else pass "$name" "$cmd"; fi
}

if [ ! -x "$CLI" ]; then
  skip cli_mt "not installed ($CLI)"
else
  expect create          "create $ROOT"                "^\[$ROOT\]: rc = 0$" "name = $ROOT$"
  if ! grep -q "Got a new session id" "$OUT"; then
    fail session "cli_mt could not establish a session with $HP; skipping the remaining cli_mt checks"
    echo "SUMMARY c_client passed=$PASSED failed=$FAILED skipped=$SKIPPED"
    exit 1
  fi
  expect create.exists   "create $ROOT"                "^\[$ROOT\]: rc = -110$"
  expect create.nonode   "create $ROOT/a/b"            "^\[$ROOT/a/b\]: rc = -101$"
  expect get             "get $ROOT"                   "^$ROOT: rc = 0$" "value_len = 3$" "^new$" "version=0[[:space:]]aversion=0"
  expect set             "set $ROOT hello"             "^$ROOT: rc = 0 Stat:" "version=1[[:space:]]aversion=0"
  expect get.after-set   "get $ROOT"                   "^$ROOT: rc = 0$" "value_len = 5$" "^hello$" "version=1"
  expect aget            "aget $ROOT"                  "^$ROOT: rc = 0$" "^hello$"
  expect create.seq      "create +s $ROOT/s-"          "name = $ROOT/s-0000000000$"
  expect create.seq2     "create +s $ROOT/s-"          "name = $ROOT/s-0000000001$"
  expect create2         "create2 $ROOT/c2"            "^\[$ROOT/c2\]: rc = 0$" "czxid=[0-9a-f]+$" "ephemeralOwner = 0$"
  expect create.ephemeral "create2 +e $ROOT/e"         "^\[$ROOT/e\]: rc = 0$" "ephemeralOwner = [1-9a-f][0-9a-f]*$"
  expect create.container "create +c $ROOT/cont"       "^\[$ROOT/cont\]: rc = 0$"
  expect create.ttl      "create +t=600000 $ROOT/ttl"  "^\[$ROOT/ttl\]: rc = 0$"
  # the ephemeral's session was closed when that cli_mt exited
  expect ls              "ls $ROOT"                    "^$ROOT: rc = 0$" "^[[:space:]]s-0000000000$" "^[[:space:]]s-0000000001$" "^[[:space:]]c2$" "^[[:space:]]cont$" "^[[:space:]]ttl$"
  expect_not ls.no-ephemeral "ls $ROOT"                "^[[:space:]]e$"
  expect ls2             "ls2 $ROOT"                   "^$ROOT: rc = 0$" "^[[:space:]]c2$" "version=1[[:space:]]aversion=0"
  expect sync            "sync $ROOT"                  "^\[$ROOT\]: rc = 0$"
  expect delete.notempty "delete $ROOT"                "^$ROOT: rc = -111$"
  expect get.nonode      "get $ROOT/nope"              "^$ROOT/nope: rc = -101$"
  expect set.nonode      "set $ROOT/nope x"            "^$ROOT/nope: rc = -101"
  expect config          "config"                      "^/zookeeper/config: rc = 0$"
  ok=1
  for c in s-0000000000 s-0000000001 c2 cont ttl; do
    run "delete $ROOT/$c"; grep -Eq "^$ROOT/$c: rc = 0$" "$OUT" || ok=0
  done
  [ $ok = 1 ] && pass delete.children "5 deletes" || fail delete.children "a child delete did not return rc = 0"
  expect delete          "delete $ROOT"                "^$ROOT: rc = 0$"
  expect get.deleted     "get $ROOT"                   "^$ROOT: rc = -101$"
fi

if [ ! -x "$LOADGEN" ]; then
  skip load_gen "not installed ($LOADGEN)"
else
  # load_gen loops forever (create N children, write, read, delete); let it run a few seconds
  LG=$ROOT-loadgen
  timeout 3 "$LOADGEN" "$HP" "$LG" 20 > "$OUT" 2>&1
  rc=$?
  cycles=$(grep -c "Starting the delete cycle" "$OUT")
  if [ $rc -ne 124 ]; then
    fail load_gen "exited early with rc=$rc after $cycles cycles"
  elif grep -q "ZOO_ERROR" "$OUT"; then
    fail load_gen "ZOO_ERROR lines after $cycles cycles: $(grep -m1 ZOO_ERROR "$OUT")"
  elif [ "$cycles" -lt 5 ]; then
    fail load_gen "only $cycles create/write/read/delete cycles in 3 s"
  else
    pass load_gen "$cycles cycles of 20 children in 3 s"
  fi
  timeout 30 "$LOADGEN" "$HP" "$LG" clean > "$OUT" 2>&1
  if grep -q "Successfully deleted a subtree starting at $LG" "$OUT"; then
    pass load_gen.clean "$(grep -o 'Successfully deleted.*' "$OUT")"
  else
    fail load_gen.clean "no success line"
  fi
fi

echo "SUMMARY c_client passed=$PASSED failed=$FAILED skipped=$SKIPPED elapsed_ms=$((($(date +%s%N)-START)/1000000))"
[ $FAILED -eq 0 ]
