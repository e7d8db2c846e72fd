package io.svcplane.proxy;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node proxy's counters, rendered in Prometheus' text format. LongAdders: the data path bumps
 * them from every event loop without contention.
 */
public final class ProxyMetrics {
  private final LongAdder accepted = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder backendFailed = new LongAdder();
  private final LongAdder closed = new LongAdder();
  private final LongAdder updates = new LongAdder();
  private final LongAdder snapshots = new LongAdder();
  private final LongAdder acks = new LongAdder();
  private final LongAdder nacks = new LongAdder();
  private final LongAdder reconnects = new LongAdder();
  private final AtomicLong lastApplyMicros = new AtomicLong();
  private final AtomicLong rules = new AtomicLong();
  private volatile boolean connected;
  private volatile String version = "";
  private final java.util.List<java.util.function.Supplier<String>> sections = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Adds metrics rendered after the proxy's own (the DNS server's counters). */
  public void addSection(java.util.function.Supplier<String> section) { sections.add(section); }

  public void accepted() { accepted.increment(); }
  public void refused() { refused.increment(); }
  public void backendFailed() { backendFailed.increment(); }
  public void closed() { closed.increment(); }
  public void update(boolean snapshot) {
    updates.increment();
    if (snapshot) snapshots.increment();
  }
  public void acked(String v, long applyMicros, int ruleCount) {
    acks.increment();
    version = v;
    lastApplyMicros.set(applyMicros);
    rules.set(ruleCount);
  }
  public void nacked() { nacks.increment(); }
  public void connected(boolean c) {
    if (c && !connected) reconnects.increment();
    connected = c;
  }
  public boolean isConnected() { return connected; }
  public String version() { return version; }
  public long acceptedCount() { return accepted.sum(); }
  public long refusedCount() { return refused.sum(); }
  public long snapshots() { return snapshots.sum(); }
  public long updates() { return updates.sum(); }

  public String prometheusText() {
    StringBuilder s = new StringBuilder(1024);
    counter(s, "svcplane_proxy_connections_total", "Connections (TCP) and sessions (UDP) forwarded to an endpoint.", accepted.sum());
    counter(s, "svcplane_proxy_connections_refused_total", "Connections refused or datagrams dropped: no usable endpoint.", refused.sum());
    counter(s, "svcplane_proxy_backend_connect_failures_total", "Connections reset because the endpoint did not accept.", backendFailed.sum());
    counter(s, "svcplane_proxy_connections_closed_total", "Client connections closed.", closed.sum());
    gauge(s, "svcplane_proxy_connections_active", "Client connections open now.", Math.max(0, accepted.sum() - closed.sum()));
    counter(s, "svcplane_proxy_feed_updates_total", "ProxyFeed updates received.", updates.sum());
    counter(s, "svcplane_proxy_feed_snapshots_total", "ProxyFeed updates that were snapshots.", snapshots.sum());
    counter(s, "svcplane_proxy_feed_acks_total", "Versions programmed and ACKed.", acks.sum());
    counter(s, "svcplane_proxy_feed_nacks_total", "Versions that failed to program (NACKed).", nacks.sum());
    counter(s, "svcplane_proxy_feed_connects_total", "ProxyFeed streams opened.", reconnects.sum());
    gauge(s, "svcplane_proxy_feed_connected", "1 while the ProxyFeed stream is open.", connected ? 1 : 0);
    gauge(s, "svcplane_proxy_rules", "Service port rules programmed.", rules.get());
    gauge(s, "svcplane_proxy_last_apply_seconds", "Time the last apply took.", lastApplyMicros.get() / 1e6);
    for (var section : sections) s.append(section.get());
    return s.toString();
  }

  private static void counter(StringBuilder s, String name, String help, long v) {
    s.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
        .append(name).append(' ').append(v).append('\n');
  }

  private static void gauge(StringBuilder s, String name, String help, double v) {
    s.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
        .append(name).append(' ').append(v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v)).append('\n');
  }
}
