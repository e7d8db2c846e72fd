#!/usr/bin/env python3
"""Plots the distribution of network programming latency from a CSV of
ClusterProgrammingLatencyBench: histogram and cumulative distribution of the time from a pod's
readiness change (the request to the apiserver) to the ACK of every node proxy, with the first
proxy's ACK and the controller's Endpoints commit beside it.

    /usr/bin/python3 bench/plot_programming_latency.py RESULTS.csv OUT.png

Needs matplotlib (Debian: apt-get install python3-matplotlib, for /usr/bin/python3)."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def pct(sorted_values, p):
    i = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[i]


def main(src, dst):
    with open(src) as f:
        rows = list(csv.DictReader(f))
    ack_cols = [c for c in rows[0] if c.startswith("ack_")]
    series = {
        "Endpoints committed (controller)": sorted(float(r["endpoints_committed_ms"]) for r in rows),
        "first node proxy ACK": sorted(min(float(r[c]) for c in ack_cols) for r in rows),
        "every node proxy ACK": sorted(float(r["all_nodes_ms"]) for r in rows),
    }
    headline = series["every node proxy ACK"]
    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(12, 4.8))
    top = pct(headline, 99.9) * 1.1
    bins = [top * i / 80 for i in range(81)]
    for name, v in series.items():
        hist.hist([x for x in v if x <= top], bins=bins, histtype="step", linewidth=1.5, label=name)
        cdf.plot(v, [(i + 1) / len(v) for i in range(len(v))], linewidth=1.5, label=name)
    p50, p99 = pct(headline, 50), pct(headline, 99)
    for ax in (hist, cdf):
        ax.axvline(p50, color="gray", linestyle="--", linewidth=1)
        ax.axvline(p99, color="black", linestyle=":", linewidth=1)
        ax.set_xlabel("ms after the readiness change was sent to the apiserver")
        ax.grid(alpha=0.3)
    hist.set_ylabel("changes")
    hist.set_title(f"every proxy ACK: p50 {p50:.1f} ms (dashed), p99 {p99:.1f} ms (dotted)")
    cdf.set_xscale("log")
    cdf.set_ylabel("fraction of changes")
    cdf.set_title(f"cumulative, {len(headline)} changes, {len(ack_cols)} node proxies")
    cdf.legend(loc="lower right")
    fig.suptitle("svcplane network programming latency on the local cluster (pod readiness change -> node proxy ACK)")
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"plot: {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
