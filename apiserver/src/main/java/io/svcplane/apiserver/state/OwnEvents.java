package io.svcplane.apiserver.state;

import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KnownEvents;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The apiserver's own writes, handed from its writer to its fold: the fold reads each of them back
 * from the log right after the commit, and takes the event the writer built instead of parsing the
 * record again (parsing and then copying each object to set its resourceVersion was a good part of
 * the fold's work per write). The fold still reads every record, in log order; only the parse is
 * saved.
 *
 * <p>The writer offers the events of a transaction before it commits it, so they are here before
 * a read_committed reader can see the records. Events of a transaction that then aborted are
 * never asked for; they are dropped when the fold reads past their offsets.
 */
public final class OwnEvents implements KnownEvents {
  /** Beyond this many held, events are not kept (the fold parses them): bounds memory if the fold stalls. */
  static final int MAX_HELD = 100_000;

  private record Held(long offset, ResourceEvent event) {}

  private final ConcurrentHashMap<Integer, ConcurrentLinkedQueue<Held>> byPartition = new ConcurrentHashMap<>();
  private final AtomicInteger held = new AtomicInteger();
  private final LongAdder taken = new LongAdder();

  /**
   * The event written at {@code offset} of a svcplane.resources partition, its object already
   * carrying that resourceVersion. Called in log order within each partition.
   */
  public void offer(int partition, long offset, ResourceEvent event) {
    if (held.get() >= MAX_HELD) return;
    byPartition.computeIfAbsent(partition, p -> new ConcurrentLinkedQueue<>()).add(new Held(offset, event));
    held.incrementAndGet();
  }

  @Override
  public ResourceEvent take(LogTopic topic, int partition, long offset) {
    if (topic != LogTopic.RESOURCES) return null;
    ConcurrentLinkedQueue<Held> q = byPartition.get(partition);
    if (q == null) return null;
    for (Held h; (h = q.peek()) != null; ) {
      if (h.offset > offset) return null;
      q.poll();
      held.decrementAndGet();
      if (h.offset == offset) {
        taken.increment();
        return h.event;
      }
      // below the offset read: its transaction aborted, the fold will never read it
    }
    return null;
  }

  /** Events the fold took instead of parsing their records, since the start. */
  public long taken() {
    return taken.sum();
  }

  /** Events held and not yet taken. */
  public int held() {
    return held.get();
  }
}
