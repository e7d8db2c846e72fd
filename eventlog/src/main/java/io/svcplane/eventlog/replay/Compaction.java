package io.svcplane.eventlog.replay;

import io.svcplane.api.v1.EventType;
import io.svcplane.core.image.LogTopic;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * Keeps the last record of each key, as Kafka's log compaction does, on a thread of its own so
 * that it runs beside the reading instead of after it. A DELETED event (recognised by its first
 * bytes) drops its key; a tombstone changes nothing, as in the fold.
 */
final class Compaction implements Consumer<SourceRecord>, AutoCloseable {
  private static final int BATCH = 1024;
  private static final List<SourceRecord> END = List.of();

  private final BlockingQueue<List<SourceRecord>> queue = new ArrayBlockingQueue<>(4);
  private final Map<String, SourceRecord> resources = new HashMap<>();
  private final Map<String, SourceRecord> endpoints = new HashMap<>();
  private final Thread worker;
  private volatile RuntimeException failure;
  private List<SourceRecord> batch = new ArrayList<>(BATCH);
  private long records;

  Compaction() {
    worker = new Thread(this::run, "replay-compaction");
    worker.setDaemon(true);
    worker.start();
  }

  @Override
  public void accept(SourceRecord r) {
    records++;
    batch.add(r);
    if (batch.size() == BATCH) {
      hand(batch);
      batch = new ArrayList<>(BATCH);
    }
  }

  /** Records offered so far. */
  long records() {
    return records;
  }

  /** Waits for the compaction; the last record of every live key, in partition and offset order. */
  List<SourceRecord> finish() {
    if (!batch.isEmpty()) hand(batch);
    batch = new ArrayList<>();
    hand(END);
    try {
      worker.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted", e);
    }
    if (failure != null) throw failure;
    List<SourceRecord> last = new ArrayList<>(resources.size() + endpoints.size());
    last.addAll(resources.values());
    last.addAll(endpoints.values());
    last.sort(Comparator.comparing(SourceRecord::partitionRef).thenComparingLong(SourceRecord::offset));
    return last;
  }

  private void hand(List<SourceRecord> b) {
    try {
      while (!queue.offer(b, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        if (failure != null) throw failure;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted", e);
    }
  }

  private void run() {
    try {
      while (true) {
        List<SourceRecord> b = queue.take();
        if (b == END) return;
        for (SourceRecord r : b) {
          if (r.value() == null || r.key() == null) continue;
          Map<String, SourceRecord> latest = r.topic() == LogTopic.RESOURCES ? resources : endpoints;
          if (isDeleted(r)) latest.remove(r.key());
          else latest.put(r.key(), r);
        }
      }
    } catch (InterruptedException e) {
      // closed
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  /**
   * True if the event is a DELETED one, read from its first field (protobuf writes fields in
   * number order, and {@code type} is field 1); false when unsure, and the fold then decides.
   */
  static boolean isDeleted(SourceRecord r) {
    var v = r.value();
    return v.size() >= 2 && v.byteAt(0) == 0x08 && v.byteAt(1) == EventType.DELETED_VALUE;
  }

  @Override
  public void close() {
    if (worker.isAlive()) worker.interrupt();
  }
}
