#!/usr/bin/env bash
# bench/svcctl-startup.sh: how long `svcctl get svc` takes, as a user types it, three ways, runs
# interleaved (A B C A B C ...) so machine load hits all three alike:
#   plain     java -cp ... Svcctl            (JVM defaults: C2, G1, the JDK's CDS archive only)
#   flags     the launcher's JVM flags        (C1 only, serial GC, no svcctl AppCDS archive)
#   launcher  bin/svcctl                      (the flags plus the AppCDS archive it records)
# Needs a running apiserver: SVCPLANE_SERVER=HOST:PORT (default 127.0.0.1:6443). Prints medians of
# wall and CPU (user+sys) time; raw data to bench/results/svcctl_startup-TIMESTAMP.txt.
#   bench/svcctl-startup.sh [RUNS]   (default 15)
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS="${1:-15}"
T="$ROOT/svcctl/target"
CP="$T/svcctl-0.1.0-SNAPSHOT.jar:$T/lib/*"
FLAGS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xms16m -Xmx512m -Xshare:auto
  -Xlog:disable -Xlog:all=error:stderr)
OUT="$ROOT/bench/results/svcctl_startup-$(date +%Y%m%d-%H%M%S).txt"
mkdir -p "$ROOT/bench/results"

"$ROOT/bin/svcctl" get svc >/dev/null   # builds if needed and records the archive
TIMEFORMAT='%R %U %S'
measure() { # name, command...
  local name="$1"; shift
  local t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  echo "$name $t" >> "$OUT"
}
{
  echo "# svcctl get svc against ${SVCPLANE_SERVER:-127.0.0.1:6443}, $(date -Is), $(nproc) cores"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# variant wall_s user_s sys_s"
} > "$OUT"
for _ in $(seq "$RUNS"); do
  measure plain java -cp "$CP" io.svcplane.svcctl.Svcctl get svc
  measure flags java "${FLAGS[@]}" -cp "$CP" io.svcplane.svcctl.Svcctl get svc
  measure launcher "$ROOT/bin/svcctl" get svc
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
cat "$OUT" | grep '^#'
awk '!/^#/ { wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " ($3 + $4) }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END { for (v in wall) printf "%-9s median wall %.3f s, median CPU %.3f s\n", v, median(wall[v]), median(cpu[v]) }' "$OUT" | sort
echo "raw data: $OUT"
