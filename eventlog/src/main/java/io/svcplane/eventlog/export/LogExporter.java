package io.svcplane.eventlog.export;

import com.google.protobuf.util.Timestamps;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ExportHeader;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.ExportTopic;
import io.svcplane.api.v1.ExportTrailer;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.replay.Cut;
import io.svcplane.eventlog.replay.HistoryStart;
import io.svcplane.eventlog.replay.KafkaLogSource;
import io.svcplane.eventlog.replay.ProgressListener;
import io.svcplane.eventlog.replay.ReplayException;
import io.svcplane.eventlog.replay.SourceRecord;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes both topics of a Kafka log into one export file. With {@code since}, the history before
 * it becomes a snapshot: the last record of every object that existed then, as log compaction
 * would keep it, so the file still replays to any moment from {@code since} on. With
 * {@code until}, records stamped after it are left out, partition by partition as a replay cuts.
 */
public final class LogExporter {
  private static final List<LogTopic> TOPICS = List.of(LogTopic.RESOURCES, LogTopic.ENDPOINTS);

  private final KafkaLogSource source;
  private final Clock clock;
  private final String writerName;

  public LogExporter(KafkaLogSource source, Clock clock, String writerName) {
    this.source = source;
    this.clock = clock;
    this.writerName = writerName;
  }

  /** What an export wrote. */
  public record Exported(ExportHeader header, ExportTrailer trailer, long snapshotRecords, long bytes) {}

  /** Opens the writer for the header the export computed (a file, or stdout). */
  @FunctionalInterface
  public interface Target {
    ExportWriter open(ExportHeader header) throws IOException;
  }

  public Exported export(Instant since, Instant until, Target target, ProgressListener progress) throws IOException {
    if (since != null && until != null && until.isBefore(since)) {
      throw new IllegalArgumentException("--until " + until + " is before --since " + since);
    }
    Instant created = clock.instant();
    Optional<HistoryStart> start = source.historyStart();
    if (until != null && start.isPresent() && until.isBefore(start.get().at())) {
      throw new ReplayException("no history at --until " + until + " in " + source.describe()
          + ": the earliest available moment is " + start.get().at() + " (" + start.get().reason() + ")");
    }
    // a --since at or before the history start is the whole log: there is nothing to fold away
    boolean snapshot = since != null && start.isPresent() && since.isAfter(start.get().at());
    Cut end = until == null ? Cut.END : Cut.at(until);
    LogPositions endPositions = source.stopPositions(end);

    ExportHeader.Builder h = ExportHeader.newBuilder()
        .setCreated(Timestamps.fromMillis(created.toEpochMilli()))
        .setSourceBootstrapServers(source.bootstrapServers())
        .setSourceClusterId(source.clusterId() == null ? "" : source.clusterId())
        .setWriter(writerName);
    for (LogTopic t : TOPICS) {
      var topic = ExportTopic.newBuilder().setName(t.topicName()).setPartitions(source.partitions(t))
          .setHistoryWindowMs(source.historyWindowMs(t));
      for (int p = 0; p < source.partitions(t); p++) topic.addEndOffsets(endPositions.next(t, p));
      h.addTopics(topic);
    }
    if (snapshot) h.setSince(Timestamps.fromMillis(since.toEpochMilli()));
    if (until != null) h.setUntil(Timestamps.fromMillis(until.toEpochMilli()));
    if (start.isPresent()) {
      Instant historyStart = snapshot ? since : start.get().at();
      h.setHistoryStart(Timestamps.fromMillis(historyStart.toEpochMilli()));
    }

    long snapshotRecords = 0;
    try (ExportWriter writer = target.open(h.build())) {
      LogPositions after = LogPositions.EMPTY;
      if (snapshot) {
        List<SourceRecord> state = stateBefore(since);
        for (SourceRecord r : state) writer.write(record(r, true));
        snapshotRecords = state.size();
        after = source.stopPositions(Cut.at(since.minusMillis(1)));
      }
      LogPositions skipBelow = after;
      IOException[] failed = {null};
      source.scan(source.allPartitions(), end, r -> {
        if (failed[0] != null || r.offset() < skipBelow.next(r.topic(), r.partition())) return;
        try {
          writer.write(record(r, false));
        } catch (IOException e) {
          failed[0] = e;
        }
      }, progress);
      if (failed[0] != null) throw failed[0];
      ExportTrailer trailer = writer.finish();
      return new Exported(writer.header(), trailer, snapshotRecords, writer.bytes());
    }
  }

  /**
   * The last record of every object alive just before {@code since}, in partition and offset
   * order: what compaction keeps, and exactly what a replay needs to continue from there.
   */
  private List<SourceRecord> stateBefore(Instant since) throws IOException {
    Map<String, SourceRecord> latest = new HashMap<>();
    source.scan(source.allPartitions(), Cut.at(since.minusMillis(1)), r -> {
      String k = r.topic().ordinal() + "|" + r.key();
      if (r.value() == null || r.event().getType() == EventType.DELETED) latest.remove(k);
      else latest.put(k, r);
    }, ProgressListener.NONE);
    List<SourceRecord> out = new ArrayList<>(latest.values());
    out.sort(Comparator.comparing(SourceRecord::partitionRef).thenComparingLong(SourceRecord::offset));
    return out;
  }

  private static ExportRecord record(SourceRecord r, boolean snapshot) {
    var b = ExportRecord.newBuilder()
        .setTopic(TOPICS.indexOf(r.topic()))
        .setPartition(r.partition())
        .setOffset(r.offset())
        .setTimestamp(r.timestamp())
        .setKey(r.key() == null ? "" : r.key())
        .setSnapshot(snapshot);
    if (r.value() != null) b.setValue(r.value());
    return b.build();
  }
}
