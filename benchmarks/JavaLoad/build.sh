#!/bin/sh
# Compiles JavaLoad.java against Debian's Apache ZooKeeper client jars (no Maven) into OUTDIR and prints the runtime
# classpath as the last line. usage: build.sh OUTDIR
#   CP=$(sh benchmarks/JavaLoad/build.sh /tmp/javaload | tail -1)
#   java -cp "$CP" JavaLoad 127.0.0.1:2181 get 4 100 100 8 [SERVER_PID]
set -e
OUT=${1:?usage: build.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
J=/usr/share/java
mkdir -p "$OUT"
CP="$J/zookeeper.jar:$J/zookeeper-jute.jar"
if [ -f "$J/slf4j-nop.jar" ]; then CP="$CP:$J/slf4j-nop.jar"; fi
javac -nowarn -encoding UTF-8 -d "$OUT" -cp "$CP" "$HERE/JavaLoad.java" >&2
echo "$OUT:$CP"
