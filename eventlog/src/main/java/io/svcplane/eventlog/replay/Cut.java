package io.svcplane.eventlog.replay;

import io.svcplane.core.image.LogTopic;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a replay stops, partition by partition, so that what it folds is a state the cluster was
 * really in. A partition named in {@code lastOffsets} is folded up to and including that offset.
 * Every other partition is folded up to {@code time}: its longest prefix of records whose
 * timestamp is at or before it (a record stamped later ends the partition's part, even if an
 * older-stamped one follows). Without a time, the other partitions are folded to their end.
 *
 * @param time the moment, or null for "to the end"
 * @param lastOffsets inclusive last offsets of single partitions
 */
public record Cut(Instant time, Map<PartitionRef, Long> lastOffsets) {
  public static final Cut END = new Cut(null, Map.of());

  public Cut {
    lastOffsets = Map.copyOf(lastOffsets);
  }

  public static Cut at(Instant time) {
    return new Cut(time, Map.of());
  }

  public boolean isEnd() {
    return time == null && lastOffsets.isEmpty();
  }

  /** The time in whole milliseconds, as Kafka stamps records; Long.MAX_VALUE without a time. */
  public long timeMillis() {
    return time == null ? Long.MAX_VALUE : time.toEpochMilli();
  }

  /** Tracks the cut over one read: which records of which partition are in. */
  public Tracker tracker() {
    return new Tracker(this);
  }

  @Override
  public String toString() {
    if (isEnd()) return "the end of the log";
    StringBuilder b = new StringBuilder();
    new TreeMap<>(lastOffsets).forEach((p, o) -> b.append(b.length() == 0 ? "" : ", ").append(p).append(":").append(o));
    if (time != null) b.append(b.length() == 0 ? "" : " and the rest at ").append(time);
    return b.toString();
  }

  /** Prefix state per partition; records of one partition must be offered in offset order. */
  public static final class Tracker {
    private final Cut cut;
    private final long timeMillis;
    private final Map<PartitionRef, Long> stoppedAt = new java.util.HashMap<>();

    private Tracker(Cut cut) {
      this.cut = cut;
      this.timeMillis = cut.timeMillis();
    }

    /** True if the record is inside the cut. */
    public boolean admits(LogTopic topic, int partition, long offset, long timestamp) {
      if (cut.isEnd()) return true;
      PartitionRef p = new PartitionRef(topic, partition);
      if (stoppedAt.containsKey(p)) return false;
      Long last = cut.lastOffsets.get(p);
      if (last != null ? offset <= last : timestamp <= timeMillis) return true;
      stoppedAt.put(p, offset);
      return false;
    }

    /**
     * The first record left out of a partition, if one was: where a replay to the cut stands in
     * that partition (past it, only records outside the cut).
     */
    public Long firstExcluded(PartitionRef p) {
      return stoppedAt.get(p);
    }
  }
}
