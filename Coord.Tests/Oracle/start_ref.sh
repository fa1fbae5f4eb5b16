#!/bin/sh
# Start one standalone Apache ZooKeeper 3.8.0 reference server (Debian package).
# usage: start_ref.sh PORT DATADIR   -> prints the java pid; log in DATADIR/server.log
# ZK_EXTRA_CFG (optional): extra zoo.cfg lines, e.g. ZK_EXTRA_CFG=maxClientCnxns=0 (scripts/bench).
set -e
PORT=${1:?port}
DIR=${2:?datadir}
mkdir -p "$DIR/data"
cat > "$DIR/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$DIR/data
clientPort=$PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
CFG
if [ -n "${ZK_EXTRA_CFG:-}" ]; then printf '%s\n' "$ZK_EXTRA_CFG" >> "$DIR/zoo.cfg"; fi
CP=/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar
nohup java -cp "$CP" \
  -Dzookeeper.root.logger=INFO,CONSOLE -Dzookeeper.log.dir="$DIR" \
  -Dzookeeper.extendedTypesEnabled=true \
  -Dznode.container.checkIntervalMs=1000 \
  -Dzookeeper.4lw.commands.whitelist='*' \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$DIR/zoo.cfg" \
  > "$DIR/server.log" 2>&1 < /dev/null &
echo $!
