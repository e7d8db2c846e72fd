#!/usr/bin/env bash
# deploy/netns/test.sh: the multi-node tests of the nftables backend, with real packets.
#
# Brings a cluster up with cluster.sh (3 nodes x 2 pods unless NODES / PODS_PER_NODE say
# otherwise), runs the checks from the client namespace, and tears everything down again on any
# exit (the trap). Prints TAP ("ok N - ..." / "not ok N - ..."); exits non-zero if a check
# failed or the cluster did not come up. Run as root after mvn package -DskipTests. The JUnit
# test io.svcplane.deploy.NetnsClusterTest runs this script during mvn verify.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
C="$HERE/cluster.sh"
export STATE_DIR="${STATE_DIR:-$(mktemp -d /tmp/svcplane-netns.XXXXXX)}"
export NODES="${NODES:-3}"
export PODS_PER_NODE="${PODS_PER_NODE:-2}"

trap '"$C" down' EXIT
# A signal (a test runner's timeout, Ctrl-C) ends the script through the EXIT trap too.
trap 'exit 143' TERM INT
"$C" up >&2

CHECKS=7
FAILED=0
N=0
echo "TAP version 13"
echo "1..$CHECKS"

check() { # DESCRIPTION FUNCTION: runs FUNCTION, prints its TAP line; diagnostics go to "# " lines
  local desc=$1 fn=$2 out rc=0
  N=$((N + 1))
  out=$("$fn" 2>&1) || rc=$?
  if [ $rc = 0 ]; then echo "ok $N - $desc"; else echo "not ok $N - $desc"; FAILED=$((FAILED + 1)); fi
  [ -z "$out" ] || sed 's/^/# /' <<<"$out"
}

# COUNT requests to TARGET (host:port) from the client namespace, from SOURCE (default
# 10.0.0.200); one line per request: "pod client-address-it-saw" or "error".
hits() {
  "$C" exec client bash -c '
    for _ in $(seq 1 "$2"); do
      curl -s --max-time 3 --interface "$3" "http://$1/" || echo error
    done' _ "$1" "$2" "${3:-10.0.0.200}"
}

all_pods() { for n in $(seq 1 "$NODES"); do for i in $(seq 1 "$PODS_PER_NODE"); do echo "pod-$n-$i"; done; done; }
pods_of_node() { for i in $(seq 1 "$PODS_PER_NODE"); do echo "pod-$1-$i"; done; }
seen() { awk '$1 != "error" {print $1}' | sort -u; }
errors() { grep -c '^error$' || true; }

expect_same() { # WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "$1: expected [$(echo $2)] got [$(echo $3)]"; return 1; fi
}

t_clusterip_spreads() {
  local out; out=$(hits 10.96.0.10:80 120)
  echo "answers: $(echo "$out" | awk '{print $1}' | sort | uniq -c | tr '\n' ' ')"
  expect_same "errors" 0 "$(errors <<<"$out")" || return 1
  expect_same "pods reached" "$(all_pods | sort)" "$(seen <<<"$out")"
}

t_nodeport_every_node() {
  local n out rc=0
  for n in $(seq 1 "$NODES"); do
    out=$(hits "10.0.0.$n:30080" 90)
    echo "node $n: $(echo "$out" | awk '{print $1}' | sort | uniq -c | tr '\n' ' ')"
    expect_same "node $n errors" 0 "$(errors <<<"$out")" || rc=1
    expect_same "node $n pods reached" "$(all_pods | sort)" "$(seen <<<"$out")" || rc=1
    # externalTrafficPolicy Cluster: masqueraded, no pod sees the client.
    if grep -q ' 10.0.0.200$' <<<"$out"; then echo "node $n: a pod saw the client address"; rc=1; fi
  done
  return $rc
}

t_local_policy() {
  local n out rc=0
  for n in $(seq 1 "$NODES"); do
    out=$(hits "10.0.0.$n:30081" 40)
    echo "node $n: $(echo "$out" | sort | uniq -c | tr '\n' ' ')"
    expect_same "node $n errors" 0 "$(errors <<<"$out")" || rc=1
    expect_same "node $n pods reached" "$(pods_of_node "$n" | sort)" "$(seen <<<"$out")" || rc=1
    expect_same "node $n client address seen" "10.0.0.200" "$(awk '{print $2}' <<<"$out" | sort -u)" || rc=1
  done
  return $rc
}

t_affinity() {
  local src out rc=0
  for src in 10.0.0.200 10.0.0.201; do
    out=$(hits 10.96.0.12:80 30 "$src")
    echo "from $src: $(echo "$out" | awk '{print $1}' | sort | uniq -c | tr '\n' ' ')"
    expect_same "errors from $src" 0 "$(errors <<<"$out")" || rc=1
    expect_same "pods reached from $src" 1 "$(seen <<<"$out" | wc -l)" || rc=1
  done
  return $rc
}

t_not_ready() {
  "$C" pod-ready 2 1 False || return 1
  "$C" wait-programmed || return 1
  local out; out=$(hits 10.96.0.10:80 120)
  echo "answers: $(echo "$out" | awk '{print $1}' | sort | uniq -c | tr '\n' ' ')"
  expect_same "errors" 0 "$(errors <<<"$out")" || return 1
  expect_same "pods reached" "$(all_pods | grep -vx pod-2-1 | sort)" "$(seen <<<"$out")"
}

t_kill_restart() {
  local tables
  "$C" kill-proxy 2 || return 1
  tables=$("$C" exec node2 nft list tables)
  expect_same "tables left by the killed proxy" "table ip svcplane" "$tables" || return 1
  # A change while node 2's proxy is away: pod-2-1 is ready again.
  "$C" pod-ready 2 1 True || return 1
  "$C" restart-proxy 2 || return 1
  "$C" wait-programmed || return 1
  tables=$("$C" exec node2 nft list tables)
  expect_same "tables after the restart" "table ip svcplane" "$tables" || return 1
  local out; out=$(hits 10.0.0.2:30080 90)
  echo "node 2: $(echo "$out" | awk '{print $1}' | sort | uniq -c | tr '\n' ' ')"
  expect_same "errors" 0 "$(errors <<<"$out")" || return 1
  expect_same "pods reached through node 2" "$(all_pods | sort)" "$(seen <<<"$out")"
}

t_stop_removes_table() {
  local n=$NODES before after tables
  # Someone else's table on the node: stopping the proxy must leave it exactly as it was.
  "$C" exec "node$n" nft -f - <<'EOF' || return 1
table inet host-filter {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 accept
  }
}
EOF
  before=$("$C" exec "node$n" nft list table inet host-filter)
  "$C" stop-proxy "$n" || return 1
  tables=$("$C" exec "node$n" nft list tables)
  expect_same "tables after SIGTERM" "table inet host-filter" "$tables" || return 1
  after=$("$C" exec "node$n" nft list table inet host-filter)
  expect_same "the other table" "$before" "$after"
}

check "a ClusterIP reaches pods on every node, spreading over all of them" t_clusterip_spreads
check "NodePort on each node address reaches every pod (externalTrafficPolicy Cluster, masqueraded)" t_nodeport_every_node
check "externalTrafficPolicy Local only uses the node's own pods and keeps the client address" t_local_policy
check "ClientIP affinity keeps each client on one pod" t_affinity
check "a pod turned not-ready gets no new connections once every proxy ACKed" t_not_ready
check "a proxy killed with kill -9 and restarted leaves one correct table" t_kill_restart
check "a proxy stopped with SIGTERM deletes its table and leaves other tables alone" t_stop_removes_table

echo "# $((CHECKS - FAILED))/$CHECKS checks passed"
[ "$FAILED" = 0 ]
