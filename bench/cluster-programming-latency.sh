#!/usr/bin/env bash
# The headline benchmark on the full local cluster: starts a fresh cluster with bin/svcplane (its
# own state directory and ports, beside any cluster you run), runs ClusterProgrammingLatencyBench
# against it, stops it, and plots the distribution. See bench/README.md.
#   bench/cluster-programming-latency.sh            # 1,000 services, 10,000 pods, 100 changes/s, 60 s
#   SERVICES=100 DURATION=20 bench/cluster-programming-latency.sh
# Settings (environment): SERVICES, PODS_PER_SERVICE, NAMESPACES, RATE, DURATION, POLL_MS, NODES (2).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
export SVCPLANE_HOME="${SVCPLANE_HOME:-$ROOT/bench/target/cluster}"
export SVCPLANE_KAFKA_PORT="${SVCPLANE_KAFKA_PORT:-29092}"
export SVCPLANE_APISERVER_PORT="${SVCPLANE_APISERVER_PORT:-26443}"
export SVCPLANE_CONTROLLER_PORT="${SVCPLANE_CONTROLLER_PORT:-20257}"
export SVCPLANE_PROXY_PORT="${SVCPLANE_PROXY_PORT:-20249}"
export SVCPLANE_SERVICE_NET="${SVCPLANE_SERVICE_NET:-127.99}"
export SVCPLANE_NODE_NET="${SVCPLANE_NODE_NET:-127.0.8}"
export SVCPLANE_POD_NET="${SVCPLANE_POD_NET:-127.247}"

if [ ! -f bench/target/bench-0.1.0-SNAPSHOT.jar ] || [ ! -d bench/target/lib ]; then
  mvn -q -pl bench -am package -DskipTests
fi
rm -rf "$SVCPLANE_HOME"       # a fresh log: the load starts from an empty cluster
trap 'bin/svcplane down' EXIT
bin/svcplane up --nodes "${NODES:-2}"

export APISERVER="127.0.0.1:$SVCPLANE_APISERVER_PORT" KAFKA="127.0.0.1:$SVCPLANE_KAFKA_PORT"
export PROXY_PORT="$SVCPLANE_PROXY_PORT" POD_NET="$SVCPLANE_POD_NET" OUT="$ROOT/bench/results"
out="$(java -Xmx1g -cp "bench/target/bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
  io.svcplane.bench.ClusterProgrammingLatencyBench | tee /dev/stderr)"
csv="$(echo "$out" | sed -n 's/^raw data: //p')"
/usr/bin/python3 bench/plot_programming_latency.py "$csv" "${csv%.csv}.png"
