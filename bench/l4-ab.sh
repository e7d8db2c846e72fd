#!/usr/bin/env bash
# A/B of userspace proxy variants in the same runs: direct vs every svcplane proxy that
# L4DataPathBench started (PROXY_VARIANTS; it passes SVCPLANE_TARGETS="label url pid;...").
#   PROXY_VARIANTS='uring=-Dsvcplane.proxy.transport=io_uring;epoll=-Dsvcplane.proxy.transport=epoll' \
#     java -cp 'bench/target/bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*' io.svcplane.bench.L4DataPathBench bench/l4-ab.sh
# Three nginx backends as in shared/peers/l4_proxy.sh (127.244.50.{1,2,3}:8080, same file); each
# repetition runs direct then every variant back to back, keep-alive then Connection: close, and
# prints RUN lines in the format of l4_proxy.sh (CPU per request from the proxy's utime+stime).
# The peers (HAProxy, nginx stream) are not run here: l4_proxy.sh measures them beside one variant.
# Knobs: DUR=10 THREADS=2 CONNS=64 REPS=3. Loopback only; every process it starts is stopped on exit.
set -euo pipefail
DUR=${DUR:-10}; THREADS=${THREADS:-2}; CONNS=${CONNS:-64}; REPS=${REPS:-3}
: "${SVCPLANE_TARGETS:?run through L4DataPathBench}"
BACKENDS=(127.244.50.1 127.244.50.2 127.244.50.3)
TMP=$(mktemp -d /tmp/l4-ab.XXXXXX)
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
for i in 1 2 3; do
  ip=${BACKENDS[$((i-1))]}
  cat > "$TMP/b$i.conf" <<CONF
worker_processes auto; daemon off; master_process on; pid $TMP/b$i.pid; error_log $TMP/b$i.err warn;
events { worker_connections 8192; }
http { access_log off; sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_timeout 65; keepalive_requests 100000000;
  default_type text/plain; server { listen $ip:8080 backlog=4096 reuseport; root $TMP/www; location / { } } }
CONF
  nginx -e "$TMP/b$i.err" -p "$TMP" -c "$TMP/b$i.conf" & PIDS+=($!)
done
for ip in "${BACKENDS[@]}"; do
  for _ in $(seq 100); do ss -Hltn | awk '{print $4}' | grep -qx "$ip:8080" && break; sleep 0.05; done
done
HZ=$(getconf CLK_TCK)
ticks() { sed 's/^.*) //' /proc/"$1"/stat 2>/dev/null | awk '{print $12+$13}'; }
parse_wrk() {
  awk 'function ms(v){ if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
       /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)} /requests in/ {req=$1}
       /Socket errors/ {gsub(/,/,""); err+=$4+$6+$8+$10} /Non-2xx/ {err+=$NF} /^Requests\/sec:/ {rps=$2}
       END {printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, req, err}' "$1"
}
TARGETS=("direct http://${BACKENDS[0]}:8080/index.html -")
IFS=';' read -ra V <<< "$SVCPLANE_TARGETS"
TARGETS+=("${V[@]}")
echo "# $(nproc) cores; wrk -t$THREADS -c$CONNS -d${DUR}s; targets: ${TARGETS[*]}"
for rep in $(seq 1 "$REPS"); do
  for cm in keepalive close; do
    extra=(); [ "$cm" = close ] && extra=(-H "Connection: close")
    for t in "${TARGETS[@]}"; do
      read -r name url pid <<< "$t"
      p0=0; [ "$pid" != - ] && p0=$(ticks "$pid")
      timeout $((DUR+30)) wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency "${extra[@]}" "$url" > "$TMP/wrk.out" 2>&1 || true
      p1=0; [ "$pid" != - ] && p1=$(ticks "$pid")
      read -r rps p50 p99 req err < <(parse_wrk "$TMP/wrk.out")
      cpu=$(awk -v d=$((p1-p0)) -v r="$req" -v hz="$HZ" 'BEGIN{ if (r>0) printf "%.1f", d/hz/r*1e6; else print "nan"}')
      echo "RUN rep=$rep conn=$cm target=$name rps=$rps p50_ms=$p50 p99_ms=$p99 requests=$req errors=$err proxy_cpu_us_per_req=$cpu load=$(cut -d' ' -f1 /proc/loadavg)"
      [ "$err" -gt 0 ] && grep -E 'Socket errors|Non-2xx' "$TMP/wrk.out" | sed 's/^/    /' || true
      sleep 1
    done
  done
done
