package io.svcplane.eventlog;

import io.svcplane.core.image.LogTopic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates svcplane's topics if they are missing; whichever component starts first does it. */
public final class Topics {
  private static final Logger log = LoggerFactory.getLogger(Topics.class);

  private Topics() {}

  /**
   * Creates svcplane.resources and svcplane.endpoints with the layout's configuration unless
   * they exist; existing topics are left as they are. Returns the partition count of each topic,
   * which may differ from the layout if the topics were made earlier with another.
   */
  public static Map<LogTopic, Integer> ensure(Admin admin, TopicLayout layout) {
    try {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (LogTopic t : LogTopic.values()) {
        if (!existing.contains(t.topicName())) {
          missing.add(new NewTopic(t.topicName(), layout.partitions(), layout.replicationFactor())
              .configs(layout.topicConfig()));
        }
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).values().forEach((name, f) -> {
          try {
            f.get(30, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException(e.getCause());
          } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("creating topic " + name + ": " + e, e);
          }
        });
      }
      Map<String, TopicDescription> d = admin.describeTopics(
          List.of(LogTopic.RESOURCES.topicName(), LogTopic.ENDPOINTS.topicName())).allTopicNames().get(30, TimeUnit.SECONDS);
      int resources = d.get(LogTopic.RESOURCES.topicName()).partitions().size();
      int endpoints = d.get(LogTopic.ENDPOINTS.topicName()).partitions().size();
      if (resources != endpoints) {
        log.warn("{} has {} partitions but {} has {}: they should match", LogTopic.RESOURCES.topicName(),
            resources, LogTopic.ENDPOINTS.topicName(), endpoints);
      }
      return Map.of(LogTopic.RESOURCES, resources, LogTopic.ENDPOINTS, endpoints);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create svcplane topics: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not answer within 30 s while creating topics", e);
    }
  }
}
