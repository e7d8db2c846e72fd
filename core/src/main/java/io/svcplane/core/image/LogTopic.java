package io.svcplane.core.image;

/** The two topics of the event log; the fold treats Endpoints differently on each. */
public enum LogTopic {
  /** Every accepted write: pods, services, user-written Endpoints, nodes, namespaces. */
  RESOURCES("svcplane.resources"),
  /** Endpoints published by the endpoint controller (the ones users and proxies see). */
  ENDPOINTS("svcplane.endpoints");

  private final String topicName;

  LogTopic(String topicName) {
    this.topicName = topicName;
  }

  public String topicName() {
    return topicName;
  }

  public static LogTopic byTopicName(String name) {
    for (LogTopic t : values()) {
      if (t.topicName.equals(name)) return t;
    }
    throw new IllegalArgumentException("not a svcplane topic: " + name);
  }
}
