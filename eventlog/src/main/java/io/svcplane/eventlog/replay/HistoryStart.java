package io.svcplane.eventlog.replay;

import java.time.Instant;

/**
 * The earliest moment whose state a log can reproduce exactly, and why it is that moment: the
 * log's first record, the compaction horizon (records older than min.compaction.lag.ms may have
 * been compacted away), or an export's --since.
 */
public record HistoryStart(Instant at, String reason) {

  /** The later of two starts (the binding one). */
  public HistoryStart max(HistoryStart other) {
    return other == null || !other.at.isAfter(at) ? this : other;
  }
}
