package io.svcplane.eventlog;

import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.LogTopic;

/**
 * One record of the event log with its place in it.
 *
 * @param event the event, or null for a tombstone
 */
public record LogRecord(LogTopic topic, int partition, long offset, long timestamp, String key, ResourceEvent event) {

  /**
   * Folds this record into a delta (a tombstone only moves the position).
   *
   * @return what {@link ClusterDelta#replay} returns: the object as folded, or null
   */
  public Resource replayInto(ClusterDelta delta) {
    if (event == null) {
      delta.advance(topic, partition, offset + 1);
      return null;
    }
    return delta.replay(topic, partition, offset, event);
  }
}
