package io.svcplane.eventlog.replay;

import io.svcplane.core.image.LogTopic;

/** One partition of one of svcplane's two topics; printed as {@code resources:2}. */
public record PartitionRef(LogTopic topic, int partition) implements Comparable<PartitionRef> {

  public static String shortName(LogTopic topic) {
    return topic == LogTopic.RESOURCES ? "resources" : "endpoints";
  }

  @Override
  public String toString() {
    return shortName(topic) + ":" + partition;
  }

  @Override
  public int compareTo(PartitionRef o) {
    int c = topic.compareTo(o.topic);
    return c != 0 ? c : Integer.compare(partition, o.partition);
  }
}
