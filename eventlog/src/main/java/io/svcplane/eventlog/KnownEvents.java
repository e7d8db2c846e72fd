package io.svcplane.eventlog;

import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.LogTopic;

/**
 * Events a process already holds for places in the log, so that its {@link LogTail} need not
 * parse them back: the apiserver's own writes, which its fold reads right after writing them.
 * The record in the log stays the truth; the event handed over must be what parsing it gives,
 * except that its object may carry its resourceVersion (the offset) already.
 */
public interface KnownEvents {
  /** None known: every record is parsed. */
  KnownEvents NONE = (topic, partition, offset) -> null;

  /**
   * The event at {@code offset} of the partition if known, else null. A tail asks for each record
   * it reads, in log order within each partition, so an implementation may forget what lies
   * before the offset asked for.
   */
  ResourceEvent take(LogTopic topic, int partition, long offset);
}
