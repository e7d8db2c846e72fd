package io.svcplane.eventlog.replay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;

/**
 * One record as a {@link LogSource} read it, its value still bytes: an export copies them as
 * they are, a replay parses them.
 *
 * @param value the serialized ResourceEvent, or null for a tombstone
 * @param snapshot true if an export stands this record for the state at its --since
 */
public record SourceRecord(
    LogTopic topic, int partition, long offset, long timestamp, String key, ByteString value, boolean snapshot) {

  /** The event, or null for a tombstone. */
  public ResourceEvent event() {
    if (value == null) return null;
    try {
      return ResourceEvent.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new ReplayException("record " + position() + " (key " + key + ") is not a ResourceEvent: " + e.getMessage());
    }
  }

  public LogRecord toLogRecord() {
    return new LogRecord(topic, partition, offset, timestamp, key, event());
  }

  public PartitionRef partitionRef() {
    return new PartitionRef(topic, partition);
  }

  /** {@code resources 2:117}, as history and errors print a record's place. */
  public String position() {
    return PartitionRef.shortName(topic) + " " + partition + ":" + offset;
  }
}
