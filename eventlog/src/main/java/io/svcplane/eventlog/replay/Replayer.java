package io.svcplane.eventlog.replay;

import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Folds a log into the {@link ClusterImage} of one moment, with the same {@link ClusterDelta} as
 * every component, so an image replayed here equals the one the apiserver had then.
 */
public final class Replayer {
  /** Threads that parse events while the reading thread reads and folds: one per core. */
  private static final int PARSE_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

  private final LogSource source;

  public Replayer(LogSource source) {
    this.source = source;
  }

  /** What a replay produced. */
  public record Replayed(ClusterImage image, long records, Cut cut) {}

  /**
   * Turns the user's point into a cut of this log, refusing points the log cannot reproduce: a
   * time before its history start, a position beyond a partition's end or before its first record.
   */
  public Cut resolve(ReplayPoint point) throws IOException {
    if (point.isEnd()) return Cut.END;
    if (point.time() != null) {
      checkWindow(point.time(), "at " + point.time());
      return Cut.at(point.time());
    }
    Instant latest = null;
    Map<PartitionRef, Long> offsets = new LinkedHashMap<>();
    for (var e : point.offsets().entrySet()) {
      PartitionRef p = e.getKey();
      long offset = e.getValue();
      String topic = p.topic().topicName();
      int n = source.partitions(p.topic());
      if (p.partition() >= n) {
        throw new ReplayException(topic + " has " + n + " partitions (0 to " + (n - 1) + ") in " + source.describe()
            + ": there is no partition " + p.partition());
      }
      long end = source.end().next(p.topic(), p.partition());
      if (offset >= end) {
        throw new ReplayException("offset " + offset + " is beyond the end of " + topic + " partition " + p.partition()
            + " in " + source.describe() + " (its next offset is " + end + ")");
      }
      Optional<SourceRecord> found = source.lastRecordAtOrBefore(p, offset);
      if (found.isEmpty()) {
        throw new ReplayException(topic + " partition " + p.partition() + " holds no record at or before offset "
            + offset + " in " + source.describe() + earliestText());
      }
      SourceRecord at = found.get();
      Instant t = Instant.ofEpochMilli(at.timestamp());
      checkWindow(t, "at " + p + ":" + offset + " (written " + t + ")");
      if (latest == null || t.isAfter(latest)) latest = t;
      offsets.put(p, offset);
    }
    return new Cut(latest, offsets);
  }

  private void checkWindow(Instant t, String what) throws IOException {
    Optional<HistoryStart> start = source.historyStart();
    if (start.isEmpty()) {
      throw new ReplayException(source.describe() + " holds no records: there is no state " + what + " to show");
    }
    if (t.isBefore(start.get().at())) {
      throw new ReplayException("no history " + what + " in " + source.describe() + ": the earliest available moment is "
          + start.get().at() + " (" + start.get().reason() + ")");
    }
  }

  private String earliestText() throws IOException {
    return source.historyStart().map(s -> " (the earliest available moment is " + s.at() + ")").orElse("");
  }

  /** Resolves and folds in one call. */
  public Replayed fold(ReplayPoint point, ProgressListener progress) throws IOException {
    return fold(resolve(point), progress);
  }

  /**
   * Folds the log up to the cut; the image's positions are where the cut left each partition.
   *
   * <p>A fold keeps only the last version of each object, so, as Kafka's log compaction does, the
   * replay first keeps the last record of each key while it reads ({@link Compaction}: a DELETED
   * event drops the key, a tombstone changes nothing, as in {@link ClusterDelta}), then parses and
   * folds only those, on every core. The image equals the fold of every record (see
   * {@link #foldEveryRecord}) for a log whose record keys are their objects' keys, as svcplane's
   * writers write them; most of a log's records are never parsed.
   */
  public Replayed fold(Cut cut, ProgressListener progress) throws IOException {
    LogPositions reached;
    List<SourceRecord> last;
    long records;
    try (Compaction compaction = new Compaction()) {
      reached = source.scan(source.allPartitions(), cut, compaction, progress);
      last = compaction.finish();
      records = compaction.records();
    }
    ClusterDelta delta = new ClusterDelta(ClusterImage.EMPTY);
    try (ParallelFold fold = new ParallelFold(delta, PARSE_THREADS)) {
      last.forEach(fold);
      fold.finish();
    }
    return finish(delta, reached, records, cut);
  }

  /**
   * The reference fold: every record inside the cut parsed and folded in log order, as the
   * apiserver folds. Slower than {@link #fold(Cut, ProgressListener)}, same image.
   */
  public Replayed foldEveryRecord(Cut cut, ProgressListener progress) throws IOException {
    ClusterDelta delta = new ClusterDelta(ClusterImage.EMPTY);
    long records;
    LogPositions reached;
    try (ParallelFold fold = new ParallelFold(delta, PARSE_THREADS)) {
      reached = source.scan(source.allPartitions(), cut, fold, progress);
      records = fold.finish();
    }
    return finish(delta, reached, records, cut);
  }

  private static Replayed finish(ClusterDelta delta, LogPositions reached, long records, Cut cut) {
    for (LogTopic t : LogTopic.values()) {
      for (int p = 0; p < reached.partitions(t); p++) delta.advance(t, p, reached.next(t, p));
    }
    return new Replayed(delta.apply(), records, cut);
  }

}
