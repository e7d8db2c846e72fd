package io.svcplane.eventlog;

import io.svcplane.core.image.LogTopic;
import java.time.Duration;
import java.util.Map;

/**
 * How the two topics are laid out: partitions (namespaces spread over them), replication, and the
 * history window: full history inside it (min.compaction.lag.ms), latest state per object beyond.
 */
public record TopicLayout(int partitions, short replicationFactor, Duration historyWindow) {
  public static final int DEFAULT_PARTITIONS = 6;
  public static final Duration DEFAULT_HISTORY_WINDOW = Duration.ofDays(7);
  public static final TopicLayout DEFAULT =
      new TopicLayout(DEFAULT_PARTITIONS, (short) 1, DEFAULT_HISTORY_WINDOW);

  public TopicLayout {
    if (partitions < 1) throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    if (replicationFactor < 1) throw new IllegalArgumentException("replication factor must be at least 1");
    if (historyWindow.isNegative()) throw new IllegalArgumentException("history window must not be negative");
  }

  public TopicLayout withPartitions(int n) {
    return new TopicLayout(n, replicationFactor, historyWindow);
  }

  /** Topic configuration: compacted, never before the history window has passed. */
  public Map<String, String> topicConfig() {
    return Map.of(
        "cleanup.policy", "compact",
        "min.compaction.lag.ms", Long.toString(historyWindow.toMillis()));
  }

  public static String name(LogTopic topic) {
    return topic.topicName();
  }
}
