package io.svcplane.controller;

import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.LogRecord;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Rebuilds the state of one partition from the log before the controller publishes anything for
 * it: svcplane.resources from the beginning up to the group's committed offset (the input already
 * accounted for), and svcplane.endpoints of the same partition number to its end, read_committed
 * (what was published for that input). Both topics are partitioned by namespace with the same
 * partitioner, so one partition number holds whole namespaces on both. Folds with the one fold
 * of the log, {@link ClusterDelta}, one delta per namespace.
 */
final class PartitionRebuilder {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration GIVE_UP = Duration.ofMinutes(5);

  private final KafkaClients clients;

  PartitionRebuilder(KafkaClients clients) {
    this.clients = clients;
  }

  /** The rebuilt namespaces of a partition, and how many records that took. */
  record Rebuilt(Map<String, NamespaceSeed> namespaces, long records) {}

  /**
   * @param resourcesUntil the group's committed offset of svcplane.resources partition
   *     {@code partition}: records before it are folded, later ones are left to the Kafka loop
   */
  Rebuilt rebuild(int partition, long resourcesUntil) {
    TopicPartition resources = new TopicPartition(LogTopic.RESOURCES.topicName(), partition);
    TopicPartition endpoints = new TopicPartition(LogTopic.ENDPOINTS.topicName(), partition);
    Map<String, ClusterDelta> inputs = new HashMap<>();
    Map<String, ClusterDelta> outputs = new HashMap<>();
    long records = 0;
    try (KafkaConsumer<String, ResourceEvent> c = new KafkaConsumer<>(clients.consumer(null))) {
      c.assign(List.of(resources, endpoints));
      c.seekToBeginning(List.of(resources, endpoints));
      // read_committed: the end is the last stable offset, past every committed transaction
      long endpointsEnd = c.endOffsets(List.of(endpoints)).get(endpoints);
      long deadline = System.nanoTime() + GIVE_UP.toNanos();
      Set<TopicPartition> paused = new HashSet<>();
      while (true) {
        if (c.position(resources) >= resourcesUntil) paused.add(resources);
        if (c.position(endpoints) >= endpointsEnd) paused.add(endpoints);
        if (paused.size() == 2) break;
        c.pause(paused);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("rebuilding partition " + partition + " did not finish within " + GIVE_UP);
        }
        for (ConsumerRecord<String, ResourceEvent> r : c.poll(POLL)) {
          boolean input = r.topic().equals(resources.topic());
          if (input && r.offset() >= resourcesUntil) continue;
          if (r.key() == null) continue;
          String ns = namespaceOf(r.key());
          if (ns == null || ns.isEmpty()) continue;
          LogRecord lr = new LogRecord(LogTopic.byTopicName(r.topic()), r.partition(), r.offset(), r.timestamp(), r.key(), r.value());
          lr.replayInto((input ? inputs : outputs).computeIfAbsent(ns, n -> new ClusterDelta(ClusterImage.EMPTY)));
          records++;
        }
      }
    }
    Map<String, NamespaceSeed> seeds = new HashMap<>();
    Set<String> all = new HashSet<>(inputs.keySet());
    all.addAll(outputs.keySet());
    for (String ns : all) {
      ClusterImage in = inputs.containsKey(ns) ? inputs.get(ns).apply() : ClusterImage.EMPTY;
      Map<String, Endpoints> published = new HashMap<>();
      if (outputs.containsKey(ns)) {
        outputs.get(ns).apply().namespace(ns).endpoints()
            .forEach((name, e) -> published.put(name, EndpointsPlanner.asPublished(e)));
      }
      seeds.put(ns, new NamespaceSeed(in, Map.copyOf(published)));
    }
    return new Rebuilt(seeds, records);
  }

  /** The namespace of a record key, or null for a key that is not an object key. */
  static String namespaceOf(String key) {
    try {
      return ObjectKey.namespaceOfKey(key);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
