package io.svcplane.eventlog;

import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.LogTopic;

/**
 * One record of the event log with its place in it.
 *
 * @param event the event, or null for a tombstone
 */
public record LogRecord(LogTopic topic, int partition, long offset, long timestamp, String key, ResourceEvent event) {

  /** Folds this record into a delta (a tombstone only moves the position). */
  public void replayInto(ClusterDelta delta) {
    if (event == null) delta.advance(topic, partition, offset + 1);
    else delta.replay(topic, partition, offset, event);
  }
}
