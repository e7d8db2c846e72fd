#!/usr/bin/env bash
# deploy/netns/cluster.sh: a multi-node svcplane cluster in network namespaces on this host.
#
#   cluster.sh up      build the network, start the control plane, one node proxy (nftables mode)
#                      per node and the pods; prints where everything is
#   cluster.sh down    stop every process it started and delete everything it created
#   cluster.sh status  one line per component
#   cluster.sh svcctl ARGS...           svcctl against the cluster's apiserver
#   cluster.sh exec NETNS-ROLE CMD...   run CMD in a namespace: client, node1.., pods1.., fabric
#   cluster.sh pod-ready N I True|False set pod-N-I's Ready condition; waits for its Endpoints
#   cluster.sh wait-programmed          wait until every node proxy ACKed all the apiserver has
#   cluster.sh kill-proxy N             kill -9 node N's proxy (its table stays behind)
#   cluster.sh restart-proxy N          start node N's proxy again
#   cluster.sh stop-proxy N             SIGTERM node N's proxy and wait until it exited
#
# Layout (N = NODES, default 3; P = PODS_PER_NODE, default 2):
#
#   host netns: Kafka broker on 127.0.0.1, apiserver on 10.0.0.254, endpoint controller
#      | veth svp<ID>h 10.0.0.254/24 (the only thing created in the host namespace)
#   fabric: bridge br0 ---+---------------------+------------------+
#                         |                     |                  |
#   nodeN: 10.0.0.N, node proxy --mode nftables, forwarding;     client: 10.0.0.200 and
#          routes 10.244.M.0/24 via 10.0.0.M                     10.0.0.201, 10.96.0.0/16 via node 1
#      | veth 10.244.N.1/24
#   podsN: pods pod-N-1..P on 10.244.N.11.., each an HTTP server on :8080 answering
#          "<pod> <client address it saw>"
#
# Every name carries a random ID (namespaces svp-ID-ROLE), so runs never collide with anything
# else; "up" refuses to start when 10.0.0.0/24 is already routed on the host. The state (pids,
# logs, names) lives in STATE_DIR (default .svcplane/netns); "down" reads it, so it works from
# another shell, and is what "up" runs when it fails half way. Nothing outside what the script
# created is touched.
#
# Needs root, iproute2, nftables, python3, java 17+, and the built jars (mvn package -DskipTests).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/deploy/netns"
STATE_DIR="${STATE_DIR:-$ROOT/.svcplane/netns}"
NODES="${NODES:-3}"
PODS_PER_NODE="${PODS_PER_NODE:-2}"
HOST_IP=10.0.0.254
CLIENT_IPS=(10.0.0.200 10.0.0.201)
SERVICE_CIDR=10.96.0.0/16
CLUSTER_CIDR=10.244.0.0/16
POD_PORT=8080

log() { echo "[netns $(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

jar_cp() { echo "$ROOT/$1/target/$1-0.1.0-SNAPSHOT.jar:$ROOT/$1/target/lib/*"; }
id_of() { cat "$STATE_DIR/id"; }
ns() { echo "svp-$(id_of)-$1"; }
nsx() { local role=$1; shift; ip netns exec "$(ns "$role")" "$@"; }
pidfile() { echo "$STATE_DIR/pids/$1.pid"; }
alive() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }
api_port() { cat "$STATE_DIR/apiserver.port"; }

# Starts "$@" in the background with its output in logs/NAME.log and remembers its pid.
spawn() {
  local name=$1; shift
  "$@" >>"$STATE_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

free_port() { # a free TCP port on $1
  python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

wait_for() { # DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && die "timed out after ${secs}s waiting for $what"
    sleep 0.5
  done
}

# As the cluster's admin: the configuration (server, CA, token) that make_pki wrote.
svcctl() {
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx128m -cp "$(jar_cp svcctl)" io.svcplane.svcctl.Svcctl \
    --config "$STATE_DIR/config" "$@"
}

# The cluster's CA, the apiserver's serving certificate (for 10.0.0.254, where the nodes reach it),
# one client certificate per node (CN=system:node:node-N), the admin's token, the RBAC policy and
# svcctl's configuration, under STATE_DIR (files 0600): the cluster runs with TLS and RBAC, as
# bin/svcplane's does.
make_pki() {
  local args=(init --dir "$STATE_DIR" --apiserver-name "$HOST_IP" --server "https://$HOST_IP:$(api_port)") n
  for n in $(seq 1 "$NODES"); do args+=(--node "node-$n"); done
  # The PKI tool is in the security module, which the apiserver carries.
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx128m -cp "$(jar_cp apiserver)" io.svcplane.security.pki.PkiMain \
    "${args[@]}" >&2
}

# --- network -------------------------------------------------------------------------------------

add_ns() { # ROLE: a namespace with lo up and no reverse-path filter (routes here are asymmetric)
  local name; name=$(ns "$1")
  ip netns add "$name"
  echo "$name" >>"$STATE_DIR/netns.list"
  ip netns exec "$name" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  ip netns exec "$name" ip link set lo up
}

plug() { # ROLE IFNAME-IN-FABRIC: a veth from the namespace's eth0 to the fabric bridge
  ip -n "$(ns fabric)" link add "$2" type veth peer name eth0 netns "$(ns "$1")"
  ip -n "$(ns fabric)" link set "$2" master br0 up
  nsx "$1" ip link set eth0 up
}

build_network() {
  local n m i
  add_ns fabric
  nsx fabric ip link add br0 type bridge
  nsx fabric ip link set br0 up
  # The control plane's address: a veth from the host namespace into the bridge.
  local hostveth="svp$(id_of)h"
  ip link add "$hostveth" type veth peer name host netns "$(ns fabric)"
  echo "$hostveth" >"$STATE_DIR/hostveth"
  ip -n "$(ns fabric)" link set host master br0 up
  ip addr add "$HOST_IP/24" dev "$hostveth"
  ip link set "$hostveth" up

  add_ns client
  plug client client
  for ip in "${CLIENT_IPS[@]}"; do nsx client ip addr add "$ip/24" dev eth0; done
  nsx client ip route add "$SERVICE_CIDR" via 10.0.0.1

  for n in $(seq 1 "$NODES"); do
    add_ns "node$n"
    plug "node$n" "node$n"
    nsx "node$n" ip addr add "10.0.0.$n/24" dev eth0
    nsx "node$n" sysctl -qw net.ipv4.ip_forward=1
    add_ns "pods$n"
    ip -n "$(ns "node$n")" link add pods0 type veth peer name eth0 netns "$(ns "pods$n")"
    nsx "node$n" ip addr add "10.244.$n.1/24" dev pods0
    nsx "node$n" ip link set pods0 up
    nsx "pods$n" ip link set eth0 up
    for i in $(seq 1 "$PODS_PER_NODE"); do nsx "pods$n" ip addr add "10.244.$n.$((10 + i))/24" dev eth0; done
    nsx "pods$n" ip route add default via "10.244.$n.1"
  done
  for n in $(seq 1 "$NODES"); do
    for m in $(seq 1 "$NODES"); do
      [ "$n" = "$m" ] || nsx "node$n" ip route add "10.244.$m.0/24" via "10.0.0.$m"
    done
  done
}

# --- processes -----------------------------------------------------------------------------------

start_control_plane() {
  local kafka_port; kafka_port=$(free_port 127.0.0.1)
  spawn kafka java -Xmx512m -cp "$(jar_cp eventlog)" io.svcplane.eventlog.broker.KafkaBrokerMain \
    --data-dir "$STATE_DIR/kafka" --host 127.0.0.1 --port "$kafka_port" --controller-port "$(free_port 127.0.0.1)"
  wait_for "the Kafka broker" 180 grep -q "kafka broker ready" "$STATE_DIR/logs/kafka.log"
  echo "127.0.0.1:$kafka_port" >"$STATE_DIR/kafka.address"

  free_port "$HOST_IP" >"$STATE_DIR/apiserver.port"
  make_pki
  spawn apiserver java -Xmx384m -cp "$(jar_cp apiserver)" io.svcplane.apiserver.ApiServerMain \
    --kafka "127.0.0.1:$kafka_port" --bind "$HOST_IP" --port "$(api_port)" --service-cidr "$SERVICE_CIDR" \
    --node-not-ready-grace 5 --tls-cert-file "$STATE_DIR/pki/apiserver.crt" \
    --tls-private-key-file "$STATE_DIR/pki/apiserver.key" --client-ca-file "$STATE_DIR/pki/ca.crt" \
    --token-auth-file "$STATE_DIR/tokens.csv" --authorization-policy-file "$STATE_DIR/policy.yaml"
  spawn controller java -Xmx256m -cp "$(jar_cp endpoint-controller)" io.svcplane.controller.EndpointControllerMain \
    --kafka "127.0.0.1:$kafka_port" --instance-id "netns-$(id_of)"
  wait_for "the apiserver" 180 svcctl get namespaces
  wait_for "the endpoint controller" 120 grep -q "endpoint controller ready" "$STATE_DIR/logs/controller.log"
}

start_proxy() { # N
  local n=$1
  spawn "proxy$n" ip netns exec "$(ns "node$n")" env SVCPLANE_CLUSTER_CIDR="$CLUSTER_CIDR" \
    java -Xmx128m -XX:+UseSerialGC -cp "$(jar_cp node-proxy)" io.svcplane.proxy.NodeProxyMain \
    --node "node-$n" --address "10.0.0.$n" --apiserver "$HOST_IP:$(api_port)" --mode nftables --metrics-port -1 \
    --ca-file "$STATE_DIR/pki/ca.crt" --cert-file "$STATE_DIR/pki/node-$n.crt" --key-file "$STATE_DIR/pki/node-$n.key"
}

start_pods() {
  local n i
  for n in $(seq 1 "$NODES"); do
    for i in $(seq 1 "$PODS_PER_NODE"); do
      spawn "pod-$n-$i" ip netns exec "$(ns "pods$n")" python3 "$HERE/pod-server.py" "10.244.$n.$((10 + i))" "$POD_PORT" "pod-$n-$i"
    done
  done
  for n in $(seq 1 "$NODES"); do
    for i in $(seq 1 "$PODS_PER_NODE"); do
      wait_for "pod-$n-$i" 30 grep -q "serving" "$STATE_DIR/logs/pod-$n-$i.log"
    done
  done
}

pod_manifest() { # N I READY(True|False)
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-$1-$2
  namespace: default
  labels:
    app: web
spec:
  nodeName: node-$1
  containers:
    - name: server
      image: pod-server.py
      ports:
        - name: http
          containerPort: $POD_PORT
status:
  phase: Running
  podIP: 10.244.$1.$((10 + $2))
  conditions:
    - type: Ready
      status: "$3"
EOF
}

services_manifest() {
  cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  selector:
    app: web
  ports:
    - port: 80
      targetPort: $POD_PORT
      nodePort: 30080
---
apiVersion: v1
kind: Service
metadata:
  name: web-local
  namespace: default
spec:
  type: NodePort
  clusterIP: 10.96.0.11
  externalTrafficPolicy: Local
  selector:
    app: web
  ports:
    - port: 80
      targetPort: $POD_PORT
      nodePort: 30081
---
apiVersion: v1
kind: Service
metadata:
  name: sticky
  namespace: default
spec:
  clusterIP: 10.96.0.12
  sessionAffinity: ClientIP
  selector:
    app: web
  ports:
    - port: 80
      targetPort: $POD_PORT
EOF
}

# Exit 0 once every node's proxy is connected and has ACKed everything the apiserver has folded.
proxies_caught_up() {
  svcctl get nodes -o json | python3 -c '
import json, sys
want = int(sys.argv[1])
items = json.load(sys.stdin).get("items", [])
ok = [i for i in items if i.get("status", {}).get("proxy", {}).get("connected")
      and int(i["status"]["proxy"].get("lagEvents", 0)) == 0
      and i["status"]["proxy"].get("programmedVersion")]
sys.exit(0 if len(ok) == want else 1)' "$NODES"
}

# Sets a pod's Ready condition, then waits until the endpoint controller has moved its address.
pod_ready() { # N I True|False
  local ip="10.244.$1.$((10 + $2))" field=addresses
  [ "$3" = True ] || field=notReadyAddresses
  pod_manifest "$1" "$2" "$3" | svcctl apply -f - >&2
  wait_for "$ip in the $field of Endpoints web" 60 endpoints_have "$ip" "$field"
}

endpoints_have() { # IP FIELD
  svcctl get endpoints web -o json | python3 -c '
import json, sys
ip, field = sys.argv[1], sys.argv[2]
e = json.load(sys.stdin)
sys.exit(0 if any(a.get("ip") == ip for s in e.get("subsets", []) for a in s.get(field, [])) else 1)' "$1" "$2"
}

# --- commands ------------------------------------------------------------------------------------

up() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, nft)"
  for t in ip nft python3 java; do command -v "$t" >/dev/null || die "missing tool: $t"; done
  for m in eventlog apiserver endpoint-controller node-proxy svcctl; do
    [ -f "$ROOT/$m/target/$m-0.1.0-SNAPSHOT.jar" ] && [ -d "$ROOT/$m/target/lib" ] \
      || die "$m is not built: run mvn package -DskipTests first"
  done
  [ -f "$STATE_DIR/id" ] && die "a cluster is up already (state in $STATE_DIR); run: $0 down"
  [ -z "$(ip -4 route show 10.0.0.0/24)" ] || die "10.0.0.0/24 is already routed on this host"
  mkdir -p "$STATE_DIR/pids" "$STATE_DIR/logs"
  : >"$STATE_DIR/netns.list"
  head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE_DIR/id"
  # Whatever fails from here on (die, set -e), leave nothing behind.
  UP_OK=0
  trap 'if [ "$UP_OK" != 1 ]; then log "up failed; tearing down"; down; fi' EXIT
  log "cluster $(id_of): $NODES nodes x $PODS_PER_NODE pods"
  build_network
  start_control_plane
  local n i
  for n in $(seq 1 "$NODES"); do start_proxy "$n"; done
  start_pods
  { for n in $(seq 1 "$NODES"); do for i in $(seq 1 "$PODS_PER_NODE"); do pod_manifest "$n" "$i" True; echo "---"; done; done
    services_manifest; } | svcctl apply -f - >&2
  wait_for "every node proxy to program the services" 180 proxies_caught_up
  UP_OK=1
  trap - EXIT
  status
}

down() {
  [ -f "$STATE_DIR/id" ] || { log "nothing to tear down"; return 0; }
  local f p name
  # Node proxies first (they delete their tables), then pods and the control plane.
  for f in "$STATE_DIR"/pids/proxy*.pid "$STATE_DIR"/pids/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    kill -TERM "$p" 2>/dev/null || true
  done
  for f in "$STATE_DIR"/pids/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$p" 2>/dev/null || true
    rm -f "$f"
  done
  if [ -f "$STATE_DIR/netns.list" ]; then
    tac "$STATE_DIR/netns.list" | while read -r name; do ip netns del "$name" 2>/dev/null || true; done
  fi
  [ -f "$STATE_DIR/hostveth" ] && ip link del "$(cat "$STATE_DIR/hostveth")" 2>/dev/null || true
  if [ "${KEEP_LOGS:-0}" = 1 ]; then
    rm -rf "$STATE_DIR/kafka" "$STATE_DIR/id" "$STATE_DIR/pids"
    log "down; logs kept in $STATE_DIR/logs"
  else
    rm -rf "$STATE_DIR"
    log "down"
  fi
}

status() {
  [ -f "$STATE_DIR/id" ] || { echo "no cluster (state dir $STATE_DIR)"; return 1; }
  local f name rc=0
  echo "cluster $(id_of): apiserver $HOST_IP:$(api_port), kafka $(cat "$STATE_DIR/kafka.address"), namespaces svp-$(id_of)-*"
  for f in "$STATE_DIR"/pids/*.pid; do
    name=$(basename "$f" .pid)
    if alive "$name"; then echo "  $name up (pid $(cat "$f"))"; else echo "  $name down"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  svcctl) shift; svcctl "$@" ;;
  exec) shift; role=$1; shift; nsx "$role" "$@" ;;
  pod-ready) pod_ready "$2" "$3" "$4" ;;
  wait-programmed) wait_for "every node proxy to ACK the apiserver's state" 120 proxies_caught_up ;;
  kill-proxy) kill -KILL "$(cat "$(pidfile "proxy$2")")"; while alive "proxy$2"; do sleep 0.1; done ;;
  restart-proxy) start_proxy "$2" ;;
  stop-proxy)
    kill -TERM "$(cat "$(pidfile "proxy$2")")"
    wait_for "node $2's proxy to exit" 30 bash -c '! kill -0 "$1" 2>/dev/null' _ "$(cat "$(pidfile "proxy$2")")" ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
