package io.svcplane.eventlog.replay;

import com.google.protobuf.util.Timestamps;
import io.svcplane.api.v1.ExportHeader;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.ExportTopic;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.export.ExportReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads the log from an export file, with no broker. Every read is one streaming pass over the
 * whole file, so a corrupted or cut-short file is refused even when the records a replay needs
 * come before the damage.
 */
public final class ExportFileSource implements LogSource {
  private final Path file;
  private final ExportHeader header;
  private final LogTopic[] topicByIndex;
  private final LogPositions end;

  private ExportFileSource(Path file, ExportHeader header) {
    this.file = file;
    this.header = header;
    this.topicByIndex = new LogTopic[header.getTopicsCount()];
    LogPositions positions = LogPositions.EMPTY;
    for (int i = 0; i < header.getTopicsCount(); i++) {
      ExportTopic t = header.getTopics(i);
      try {
        topicByIndex[i] = LogTopic.byTopicName(t.getName());
      } catch (IllegalArgumentException e) {
        continue; // a topic this version does not know: its records are skipped
      }
      for (int p = 0; p < t.getEndOffsetsCount(); p++) positions = positions.advance(topicByIndex[i], p, t.getEndOffsets(p));
    }
    this.end = positions;
  }

  /** Opens the file and checks its magic, version and header (the records are checked as read). */
  public static ExportFileSource open(Path file) throws IOException {
    try (ExportReader r = ExportReader.open(file)) {
      return new ExportFileSource(file, r.header());
    }
  }

  public ExportHeader header() {
    return header;
  }

  @Override
  public String describe() {
    return "export file " + file;
  }

  @Override
  public int partitions(LogTopic topic) {
    for (int i = 0; i < topicByIndex.length; i++) {
      if (topicByIndex[i] == topic) return header.getTopics(i).getPartitions();
    }
    return 0;
  }

  @Override
  public LogPositions end() {
    return end;
  }

  @Override
  public Optional<HistoryStart> historyStart() {
    if (!header.hasHistoryStart()) return Optional.empty();
    String why = header.hasSince()
        ? "the --since of the export (earlier history was folded into a snapshot)"
        : "the start of the exported history (its first record, or the source's compaction horizon when exported)";
    return Optional.of(new HistoryStart(Instant.ofEpochMilli(Timestamps.toMillis(header.getHistoryStart())), why));
  }

  @Override
  public LogPositions scan(Collection<PartitionRef> partitions, Cut cut, Consumer<SourceRecord> visitor,
      ProgressListener progress) throws IOException {
    Set<PartitionRef> wanted = new HashSet<>(partitions);
    Cut.Tracker tracker = cut.tracker();
    long records = 0;
    try (ExportReader reader = ExportReader.open(file)) {
      long size = reader.size();
      for (ExportRecord r; (r = reader.next()) != null; ) {
        LogTopic topic = topicByIndex[r.getTopic()];
        if (topic == null || !wanted.contains(new PartitionRef(topic, r.getPartition()))) continue;
        if (!tracker.admits(topic, r.getPartition(), r.getOffset(), r.getTimestamp())) continue;
        visitor.accept(new SourceRecord(topic, r.getPartition(), r.getOffset(), r.getTimestamp(), r.getKey(),
            r.hasValue() ? r.getValue() : null, r.getSnapshot()));
        records++;
        if ((records & 0x3fff) == 0) progress.progress(records, size > 0 ? (double) reader.position() / size : Double.NaN);
      }
    }
    progress.done(records);
    LogPositions reached = LogPositions.EMPTY;
    for (PartitionRef p : wanted) {
      Long excluded = tracker.firstExcluded(p);
      reached = reached.advance(p.topic(), p.partition(), excluded != null ? excluded : end.next(p.topic(), p.partition()));
    }
    return reached;
  }

  @Override
  public Optional<SourceRecord> lastRecordAtOrBefore(PartitionRef partition, long offset) throws IOException {
    SourceRecord[] last = new SourceRecord[1];
    scan(java.util.List.of(partition), Cut.END, r -> {
      if (r.offset() <= offset) last[0] = r;
    }, ProgressListener.NONE);
    return Optional.ofNullable(last[0]);
  }

  @Override
  public void close() {
    // every read opens and closes the file itself
  }
}
