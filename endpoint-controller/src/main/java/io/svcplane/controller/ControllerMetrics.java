package io.svcplane.controller;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The controller's counters and gauges, written by the Kafka loop and the actors, read by the
 * metrics endpoint (Prometheus text format) and by tests and benchmarks.
 */
public final class ControllerMetrics {
  /** Where the Kafka loop is. Healthy while RUNNING. */
  public enum State { STARTING, RUNNING, STOPPED, FAILED }

  private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
  private final AtomicLong eventsFolded = new AtomicLong();
  private final AtomicLong endpointsPublished = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private final AtomicLong transactionsAborted = new AtomicLong();
  private final AtomicLong rebuilds = new AtomicLong();
  private final AtomicLong rebuiltRecords = new AtomicLong();
  private final AtomicLong lag = new AtomicLong();
  private final AtomicLong partitions = new AtomicLong();
  private final AtomicLong namespaces = new AtomicLong();
  private final AtomicLong lastCommitNanos = new AtomicLong();
  private final AtomicLong firstBatchNanos = new AtomicLong();
  private final AtomicLong foldNanos = new AtomicLong();
  private final AtomicLong commitNanos = new AtomicLong();

  public State state() { return state.get(); }
  void state(State s) { state.set(s); }

  /** Resource events folded and committed (exactly once) since start. */
  public long eventsFolded() { return eventsFolded.get(); }
  /** Endpoints events committed to svcplane.endpoints since start. */
  public long endpointsPublished() { return endpointsPublished.get(); }
  /** Kafka transactions committed since start. */
  public long transactions() { return transactions.get(); }
  public long transactionsAborted() { return transactionsAborted.get(); }
  /** Partition rebuilds from the log (on assignment or after an aborted transaction). */
  public long rebuilds() { return rebuilds.get(); }
  /** Records read while rebuilding partitions. */
  public long rebuiltRecords() { return rebuiltRecords.get(); }
  /** Records of svcplane.resources behind the end, over the owned partitions, at the last poll. */
  public long lag() { return lag.get(); }
  public long partitions() { return partitions.get(); }
  public long namespaces() { return namespaces.get(); }
  /** System.nanoTime() of the first batch this instance began to fold; 0 before. */
  public long firstBatchNanos() { return firstBatchNanos.get(); }
  /** System.nanoTime() of the last committed transaction; 0 before. */
  public long lastCommitNanos() { return lastCommitNanos.get(); }

  /** Time spent waiting for the actors to fold batches, in nanoseconds. */
  public long foldNanos() { return foldNanos.get(); }
  /** Time spent publishing and committing transactions, in nanoseconds. */
  public long commitNanos() { return commitNanos.get(); }

  void folded(long nanos) { foldNanos.addAndGet(nanos); }
  void committing(long nanos) { commitNanos.addAndGet(nanos); }

  void batchBegan() { firstBatchNanos.compareAndSet(0, System.nanoTime()); }

  void committed(int events, int published) {
    eventsFolded.addAndGet(events);
    endpointsPublished.addAndGet(published);
    transactions.incrementAndGet();
    lastCommitNanos.set(System.nanoTime());
  }

  void aborted() { transactionsAborted.incrementAndGet(); }
  void rebuilt(int partitions, long records) { rebuilds.addAndGet(partitions); rebuiltRecords.addAndGet(records); }
  void lag(long v) { lag.set(v); }
  void partitions(int v) { partitions.set(v); }
  void namespaces(int v) { namespaces.set(v); }

  /** Prometheus text exposition format, version 0.0.4. */
  public String prometheusText() {
    StringBuilder b = new StringBuilder();
    gauge(b, "svcplane_controller_up", "1 while the Kafka loop runs, 0 while starting, stopped or failed",
        state() == State.RUNNING ? 1 : 0);
    counter(b, "svcplane_controller_events_folded_total",
        "Resource events folded into namespace images and committed with their offsets", eventsFolded());
    counter(b, "svcplane_controller_endpoints_published_total",
        "Endpoints events committed to svcplane.endpoints", endpointsPublished());
    counter(b, "svcplane_controller_transactions_total", "Kafka transactions committed", transactions());
    counter(b, "svcplane_controller_transactions_aborted_total",
        "Kafka transactions aborted (their batch is folded again after a rebuild)", transactionsAborted());
    counter(b, "svcplane_controller_rebuilds_total", "Partitions rebuilt from the log", rebuilds());
    counter(b, "svcplane_controller_rebuilt_records_total", "Records read while rebuilding partitions",
        rebuiltRecords.get());
    counterSeconds(b, "svcplane_controller_fold_seconds_total", "Time the Kafka loop waited for the actors to fold batches",
        foldNanos());
    counterSeconds(b, "svcplane_controller_commit_seconds_total", "Time spent publishing and committing transactions",
        commitNanos());
    gauge(b, "svcplane_controller_lag_records",
        "Records of svcplane.resources not yet folded, over the owned partitions", lag());
    gauge(b, "svcplane_controller_partitions", "Partitions of svcplane.resources this instance owns", partitions());
    gauge(b, "svcplane_controller_namespaces", "Namespace actors alive", namespaces());
    return b.toString();
  }

  private static void counter(StringBuilder b, String name, String help, long v) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(" counter\n")
        .append(name).append(' ').append(v).append('\n');
  }

  private static void counterSeconds(StringBuilder b, String name, String help, long nanos) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(" counter\n")
        .append(name).append(' ').append(String.format(java.util.Locale.ROOT, "%.6f", nanos / 1e9)).append('\n');
  }

  private static void gauge(StringBuilder b, String name, String help, long v) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(" gauge\n")
        .append(name).append(' ').append(v).append('\n');
  }
}
