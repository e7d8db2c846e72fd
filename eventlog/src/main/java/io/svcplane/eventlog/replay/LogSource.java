package io.svcplane.eventlog.replay;

import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where a replay reads svcplane's log from: the Kafka cluster ({@link KafkaLogSource}) or an
 * export file ({@link ExportFileSource}). Both give the same records with the same partitions,
 * offsets and timestamps, so every replay answers the same from either.
 */
public interface LogSource extends AutoCloseable {

  /** For messages: "Kafka at 127.0.0.1:9092" or "export file prod.svclog". */
  String describe();

  /** Number of partitions of a topic (0 if the source does not have the topic). */
  int partitions(LogTopic topic);

  /** Where a reader of the whole log ends: the next offset of every partition. */
  LogPositions end();

  /** The earliest moment this source can reproduce; empty if it holds no record. */
  Optional<HistoryStart> historyStart() throws IOException;

  /**
   * Reads the records of the given partitions that fall inside {@code cut}, each partition in
   * offset order, and returns where the read stands in each of them afterwards: the first offset
   * it left out, or the partition's end.
   */
  LogPositions scan(Collection<PartitionRef> partitions, Cut cut, Consumer<SourceRecord> visitor,
      ProgressListener progress) throws IOException;

  /** The last record of a partition at or before {@code offset}, if the source has one. */
  Optional<SourceRecord> lastRecordAtOrBefore(PartitionRef partition, long offset) throws IOException;

  @Override
  void close() throws IOException;

  /** Every partition of both topics. */
  default List<PartitionRef> allPartitions() {
    List<PartitionRef> out = new ArrayList<>();
    for (LogTopic t : LogTopic.values()) {
      for (int p = 0; p < partitions(t); p++) out.add(new PartitionRef(t, p));
    }
    return out;
  }
}
