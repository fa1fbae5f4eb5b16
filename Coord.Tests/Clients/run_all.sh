#!/bin/bash
# Run every real-client suite against a ZooKeeper-compatible server.
#
# usage: run_all.sh HOST:PORT
# env:
#   SUITES   space-separated subset of: java curator kazoo zkcli zkcli-quota c node
#            (default: all of them)
#   LOGDIR   where per-suite logs go (default: a fresh mktemp dir, printed at the end)
#   SUITE_TIMEOUT  hard limit per suite in seconds (default 180; zkCli runs: ZKCLI_TIMEOUT, default 60)
#
# Prints one line per suite:  SUITE <name> PASS|FAIL|SKIP <details> (<seconds> s)
# and exits 0 only if no suite failed. Per-check PASS/FAIL lines are in LOGDIR/<suite>.out,
# client-side logs / stack traces in LOGDIR/<suite>.err.
set -u
HP=${1:?usage: run_all.sh HOST:PORT}
HERE=$(cd "$(dirname "$0")" && pwd)
SUITES=${SUITES:-java curator kazoo zkcli zkcli-quota c node}
LOGDIR=${LOGDIR:-$(mktemp -d /tmp/coord-clients.XXXXXX)}
TMO=${SUITE_TIMEOUT:-180}
PY=/usr/bin/python3
mkdir -p "$LOGDIR"
failed=0
JCP=""

now() { date +%s%N; }
secs() { echo "$(( ($(now) - $1) / 1000000 ))" | awk '{printf "%.1f", $1/1000}'; }

report() { # name status details t0
  echo "SUITE $1 $2 $3 ($(secs "$4") s)"
  [ "$2" = FAIL ] && failed=1
  return 0
}

# summarise a PASS/FAIL-line log: "passed=N failed=M skipped=K" + first failures
summarise() {
  local out=$1
  local p f s
  p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
  local first
  first=$(grep '^FAIL ' "$out" | head -3 | cut -c1-160 | tr '\n' ';')
  echo "passed=$p failed=$f skipped=$s${first:+ failures: $first}"
}

java_build() {
  [ -n "$JCP" ] && return 0
  if ! command -v javac > /dev/null; then return 1; fi
  JCP=$(sh "$HERE/java/build.sh" "$LOGDIR/java-classes" 2> "$LOGDIR/javac.err" | tail -1)
  [ -n "$JCP" ]
}

run_java() { # suite-name main-class
  local name=$1 cls=$2 t0
  t0=$(now)
  if [ "$cls" = CuratorSuite ] && [ ! -f /usr/share/java/curator-recipes.jar ]; then
    report "$name" SKIP "curator jars not installed" "$t0"; return
  fi
  if ! java_build; then
    report "$name" FAIL "java build failed (see $LOGDIR/javac.err)" "$t0"; return
  fi
  timeout "$TMO" java -cp "$JCP" "$cls" "$HP" > "$LOGDIR/$name.out" 2> "$LOGDIR/$name.err"
  local rc=$?
  local sum
  sum=$(summarise "$LOGDIR/$name.out")
  if [ $rc -eq 0 ]; then report "$name" PASS "$sum" "$t0"
  elif [ $rc -eq 124 ]; then report "$name" FAIL "killed after ${TMO}s; $sum" "$t0"
  else report "$name" FAIL "rc=$rc $sum" "$t0"
  fi
}

run_kazoo() {
  local t0 rc
  t0=$(now)
  if ! "$PY" -c 'import kazoo' 2> /dev/null; then report kazoo SKIP "kazoo not importable by $PY" "$t0"; return; fi
  timeout "$TMO" "$PY" "$HERE/python/kazoo_suite.py" "$HP" > "$LOGDIR/kazoo.out" 2> "$LOGDIR/kazoo.err"
  rc=$?
  if [ $rc -eq 0 ]; then report kazoo PASS "$(summarise "$LOGDIR/kazoo.out")" "$t0"
  else report kazoo FAIL "rc=$rc $(summarise "$LOGDIR/kazoo.out")" "$t0"; fi
}

run_zkcli() { # name script expected
  local name=$1 script=$2 expected=$3 t0 rc
  t0=$(now)
  if [ ! -x /usr/share/zookeeper/bin/zkCli.sh ]; then report "$name" SKIP "zkCli.sh not installed" "$t0"; return; fi
  ZKCLI_TIMEOUT=${ZKCLI_TIMEOUT:-60} "$HERE/zkcli/run_zkcli.sh" "$HP" "$script" "$LOGDIR/$name.out" 2> "$LOGDIR/$name.err"
  rc=$?
  if diff -u "$expected" "$LOGDIR/$name.out" > "$LOGDIR/$name.diff"; then
    report "$name" PASS "normalised output identical to $(basename "$expected") ($(grep -c '^> [^(]' "$expected") commands)" "$t0"
  else
    local n
    n=$(grep -c '^[-+][^-+]' "$LOGDIR/$name.diff")
    report "$name" FAIL "rc=$rc, $n differing lines vs $(basename "$expected"); see $LOGDIR/$name.diff" "$t0"
  fi
}

run_c() {
  local t0 rc
  t0=$(now)
  if [ ! -x /usr/lib/zookeeper/bin/cli_mt ]; then report c SKIP "cli_mt not installed" "$t0"; return; fi
  timeout "$TMO" "$HERE/c/run_c_client.sh" "$HP" > "$LOGDIR/c.out" 2> "$LOGDIR/c.err"
  rc=$?
  if [ $rc -eq 0 ]; then report c PASS "$(summarise "$LOGDIR/c.out")" "$t0"
  else report c FAIL "rc=$rc $(summarise "$LOGDIR/c.out")" "$t0"; fi
}

run_node() {
  local t0 rc dir="$HERE/node"
  t0=$(now)
  if ! command -v node > /dev/null || ! command -v npm > /dev/null; then report node SKIP "node/npm not installed" "$t0"; return; fi
  if [ ! -d "$dir/node_modules/node-zookeeper-client" ]; then
    # exact versions from package-lock.json; log in LOGDIR/node.npm.log
    if ! (cd "$dir" && timeout "$TMO" npm ci --no-audit --no-fund) > "$LOGDIR/node.npm.log" 2>&1; then
      report node FAIL "npm ci failed (see $LOGDIR/node.npm.log)" "$t0"; return
    fi
  fi
  timeout "$TMO" node "$dir/suite.js" "$HP" > "$LOGDIR/node.out" 2> "$LOGDIR/node.err"
  rc=$?
  if [ $rc -eq 0 ]; then report node PASS "$(summarise "$LOGDIR/node.out")" "$t0"
  elif [ $rc -eq 124 ]; then report node FAIL "killed after ${TMO}s; $(summarise "$LOGDIR/node.out")" "$t0"
  else report node FAIL "rc=$rc $(summarise "$LOGDIR/node.out")" "$t0"; fi
}

# fail fast when nothing listens on HOST:PORT (the clients would each wait for their timeouts)
host=${HP%:*}; port=${HP##*:}; port=${port%%/*}
if ! timeout 5 bash -c "exec 3<>/dev/tcp/$host/$port" 2> /dev/null; then
  for s in $SUITES; do echo "SUITE $s FAIL server $HP not reachable (0.0 s)"; done
  exit 1
fi

for s in $SUITES; do
  case $s in
    java) run_java java JavaClientSuite ;;
    curator) run_java curator CuratorSuite ;;
    kazoo) run_kazoo ;;
    zkcli) run_zkcli zkcli "$HERE/zkcli/commands.zk" "$HERE/zkcli/expected.txt" ;;
    zkcli-quota) run_zkcli zkcli-quota "$HERE/zkcli/quota.zk" "$HERE/zkcli/expected_quota.txt" ;;
    c) run_c ;;
    node) run_node ;;
    *) echo "SUITE $s FAIL unknown suite name"; failed=1 ;;
  esac
done
echo "logs: $LOGDIR"
exit $failed
