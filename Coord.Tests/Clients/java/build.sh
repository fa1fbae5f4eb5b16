#!/bin/sh
# Compile the Java client suites with javac against the Debian-packaged jars (no Maven).
# usage: build.sh OUTDIR
#   compiles into OUTDIR and prints the runtime classpath as the last line of stdout
#   (compiler diagnostics go to stderr). Run e.g.:
#   CP=$(sh build.sh /tmp/jc | tail -1) && java -cp "$CP" JavaClientSuite 127.0.0.1:2181
# CuratorSuite is compiled only when the curator jars are installed, and the
# service-discovery check only when curator-x-discovery.jar is installed.
set -e
OUT=${1:?usage: build.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
J=/usr/share/java
mkdir -p "$OUT"
# zookeeper.jar's manifest Class-Path pulls in jute, netty, slf4j-api, jackson, ...
CP="$J/zookeeper.jar:$J/zookeeper-jute.jar"
SRC="$HERE/Harness.java $HERE/JavaClientSuite.java"
if [ -f "$J/curator-framework.jar" ] && [ -f "$J/curator-recipes.jar" ] && [ -f "$J/curator-client.jar" ]; then
  CP="$CP:$J/curator-client.jar:$J/curator-framework.jar:$J/curator-recipes.jar:$J/guava.jar"
  SRC="$SRC $HERE/CuratorSuite.java"
  if [ -f "$J/curator-x-discovery.jar" ]; then
    CP="$CP:$J/curator-x-discovery.jar:$J/jackson-databind.jar:$J/jackson-core.jar:$J/jackson-annotations.jar"
    SRC="$SRC $HERE/CuratorDiscoveryCheck.java"
  fi
fi
# slf4j binding for the clients: slf4j-simple at WARN to stderr (config file in OUTDIR)
if [ -f "$J/slf4j-simple.jar" ]; then
  CP="$CP:$J/slf4j-simple.jar"
  printf 'org.slf4j.simpleLogger.defaultLogLevel=warn\norg.slf4j.simpleLogger.logFile=System.err\norg.slf4j.simpleLogger.showDateTime=true\n' > "$OUT/simplelogger.properties"
elif [ -f "$J/slf4j-nop.jar" ]; then
  CP="$CP:$J/slf4j-nop.jar"
fi
# shellcheck disable=SC2086
javac -nowarn -encoding UTF-8 -d "$OUT" -cp "$CP" $SRC >&2
echo "$OUT:$CP"
