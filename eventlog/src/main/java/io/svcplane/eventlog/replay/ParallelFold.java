package io.svcplane.eventlog.replay;

import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.ClusterDelta;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Folds records into a delta in their order while parsing them on other cores: parsing the
 * protobuf events is most of a replay's work, and it needs no order. Records go in batches to a
 * pool; the batches are folded one after the other as they come back, so the fold sees exactly
 * the order the source gave.
 */
final class ParallelFold implements Consumer<SourceRecord>, AutoCloseable {
  private static final int BATCH = 512;

  private final ClusterDelta delta;
  private final ExecutorService pool;
  private final int maxInFlight;
  private final ArrayDeque<Future<Parsed>> inFlight = new ArrayDeque<>();
  private List<SourceRecord> batch = new ArrayList<>(BATCH);
  private long records;

  private record Parsed(List<SourceRecord> records, ResourceEvent[] events) {}

  ParallelFold(ClusterDelta delta, int threads) {
    this.delta = delta;
    this.pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "replay-parse");
      t.setDaemon(true);
      return t;
    });
    this.maxInFlight = threads * 4;
  }

  @Override
  public void accept(SourceRecord r) {
    batch.add(r);
    if (batch.size() == BATCH) submit();
  }

  private void submit() {
    List<SourceRecord> b = batch;
    batch = new ArrayList<>(BATCH);
    inFlight.add(pool.submit(() -> parse(b)));
    while (inFlight.size() > maxInFlight) foldNext();
  }

  private static Parsed parse(List<SourceRecord> b) {
    ResourceEvent[] events = new ResourceEvent[b.size()];
    for (int i = 0; i < events.length; i++) {
      SourceRecord r = b.get(i);
      events[i] = r.value() == null ? null : VersionedParse.parse(r);
    }
    return new Parsed(b, events);
  }

  private void foldNext() {
    Parsed p;
    try {
      p = inFlight.poll().get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted", e);
    }
    for (int i = 0; i < p.events.length; i++) {
      SourceRecord r = p.records.get(i);
      if (p.events[i] == null) delta.advance(r.topic(), r.partition(), r.offset() + 1);
      else delta.replay(r.topic(), r.partition(), r.offset(), p.events[i]);
    }
    records += p.events.length;
  }

  /** Folds everything submitted; returns the number of records folded. */
  long finish() {
    if (!batch.isEmpty()) submit();
    while (!inFlight.isEmpty()) foldNext();
    return records;
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
