#!/usr/bin/env bash
# Runs Coord's whole test suite on a fresh Debian machine: installs what the tests drive (Apache ZooKeeper 3.8.0 as
# the reference server, zkCli.sh, the C client, the Java client and Curator, kazoo, snappy-java), builds, then runs
# every test.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category=Oracle]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="zookeeper zookeeper-bin libzookeeper-java libsnappy-java libcurator-recipes-java libcurator-framework-java libcurator-discovery-java python3-kazoo default-jdk-headless"
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
# node-zookeeper-client (npm) runs on Node.js: take Debian's when the machine has none.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
  echo "== installing:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

echo "== build"
dotnet build Coord.sln -c Release -nologo -v quiet
echo "== test"
dotnet test Coord.Tests/Coord.Tests.csproj -c Release --no-build --nologo \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@"
