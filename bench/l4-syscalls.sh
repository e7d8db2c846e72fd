#!/usr/bin/env bash
# System calls per proxied request: the quickest profile of the userspace data path.
# Run as the script of L4DataPathBench (it sets EXTRA_TARGET and EXTRA_PID):
#   java -cp 'bench/target/bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*' \
#     io.svcplane.bench.L4DataPathBench bench/l4-syscalls.sh
# Starts one nginx backend per address of the bench service (127.244.50.{1,2,3}:8080), then for
# each connection mode runs wrk (-t1 -c8, DUR seconds, default 5) against the svcplane target
# while `strace -c -f` counts the proxy's system calls (every thread), and prints calls per request.
# strace slows the proxy down a lot: only the counts mean something, not the rates.
# Loopback only; every process it starts is stopped on exit.
set -euo pipefail
DUR=${DUR:-5}
: "${EXTRA_PID:?run through L4DataPathBench}" "${EXTRA_TARGET:?run through L4DataPathBench}"
URL=${EXTRA_TARGET#* }
TMP=$(mktemp -d /tmp/l4-syscalls.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
mkdir -p "$TMP/www"; chmod 755 "$TMP" "$TMP/www"
printf 'peer-baseline tiny static file, 64 bytes of payload..........\n' > "$TMP/www/index.html"
for ip in 127.244.50.1 127.244.50.2 127.244.50.3; do
  cat > "$TMP/$ip.conf" <<CONF
worker_processes 1; daemon off; master_process on; pid $TMP/$ip.pid; error_log $TMP/$ip.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000000; default_type text/plain;
  server { listen $ip:8080 backlog=4096 reuseport; root $TMP/www; location / { } } }
CONF
  nginx -e "$TMP/$ip.err" -p "$TMP" -c "$TMP/$ip.conf" & PIDS+=($!)
done
for ip in 127.244.50.1 127.244.50.2 127.244.50.3; do
  for _ in $(seq 100); do ss -Hltn | awk '{print $4}' | grep -qx "$ip:8080" && break; sleep 0.05; done
done
for mode in keepalive close; do
  extra=(); [ "$mode" = close ] && extra=(-H "Connection: close")
  strace -q -c -f -p "$EXTRA_PID" -o "$TMP/strace.$mode" 2>/dev/null & SP=$!; PIDS+=($SP)
  sleep 1
  wrk -t1 -c8 -d"${DUR}s" "${extra[@]}" "$URL" > "$TMP/wrk.$mode" 2>&1 || true
  kill -INT $SP; wait $SP 2>/dev/null || true
  req=$(awk '/requests in/ {print $1}' "$TMP/wrk.$mode")
  echo "== $mode: $req requests through the proxy under strace"
  grep -E 'Socket errors|Non-2xx' "$TMP/wrk.$mode" || true
  awk -v r="$req" -v m="$mode" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
       if ($NF == "total") printf "SYSCALLS mode=%s per_request=%.2f\n", m, $4 / r
       else printf "  %-20s %10d calls %8.2f per request\n", $NF, $4, $4 / r }' "$TMP/strace.$mode"
done
