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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;

/**
 * Rebuilds the state of one partition from the log before the controller publishes anything for
 * it: svcplane.resources from the beginning up to the group's committed offset (the input already
 * accounted for), and svcplane.endpoints of the same partition number to its end, read_committed,
 * once every transaction on it has ended (what was published for that input). Both topics are partitioned by namespace with the same
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

  /** The rebuilt namespaces of some partitions, and how many records that took. */
  record Rebuilt(Map<Integer, Map<String, NamespaceSeed>> partitions, long records) {}

  /**
   * Rebuilds several partitions in one pass over the log.
   *
   * @param resourcesUntil per partition number, the group's committed offset of svcplane.resources:
   *     records before it are folded, later ones are left to the Kafka loop
   */
  Rebuilt rebuild(Map<Integer, Long> resourcesUntil) {
    Map<TopicPartition, Long> until = new HashMap<>();
    List<TopicPartition> endpointParts = new ArrayList<>();
    resourcesUntil.forEach((p, offset) -> {
      until.put(new TopicPartition(LogTopic.RESOURCES.topicName(), p), offset);
      endpointParts.add(new TopicPartition(LogTopic.ENDPOINTS.topicName(), p));
    });
    Map<String, ClusterDelta> inputs = new HashMap<>();
    Map<String, ClusterDelta> outputs = new HashMap<>();
    Map<String, Integer> partitionOf = new HashMap<>();
    long records = 0;
    Properties props = clients.consumer(null);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(EndpointController.MAX_BATCH_RECORDS));
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(EndpointController.FETCH_BYTES_PER_PARTITION));
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
    try (KafkaConsumer<String, ResourceEvent> c = new KafkaConsumer<>(props)) {
      List<TopicPartition> all = new ArrayList<>(until.keySet());
      all.addAll(endpointParts);
      c.assign(all);
      c.seekToBeginning(all);
      until.putAll(endpointsEnd(endpointParts));
      long deadline = System.nanoTime() + GIVE_UP.toNanos();
      Set<TopicPartition> done = new HashSet<>();
      while (true) {
        for (TopicPartition tp : all) {
          if (!done.contains(tp) && c.position(tp) >= until.get(tp)) done.add(tp);
        }
        if (done.size() == all.size()) break;
        c.pause(done);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("rebuilding partitions " + resourcesUntil.keySet() + " did not finish within " + GIVE_UP);
        }
        ConsumerRecords<String, ResourceEvent> polled;
        try {
          polled = c.poll(POLL);
        } catch (RecordDeserializationException e) {
          c.seek(e.topicPartition(), e.offset() + 1); // skipped by the Kafka loop as well
          continue;
        }
        for (ConsumerRecord<String, ResourceEvent> r : polled) {
          boolean input = r.topic().equals(LogTopic.RESOURCES.topicName());
          if (input && r.offset() >= until.get(new TopicPartition(r.topic(), r.partition()))) continue;
          if (r.key() == null) continue;
          String ns = namespaceOf(r.key());
          if (ns == null || ns.isEmpty()) continue;
          LogRecord lr = new LogRecord(LogTopic.byTopicName(r.topic()), r.partition(), r.offset(), r.timestamp(), r.key(), r.value());
          lr.replayInto((input ? inputs : outputs).computeIfAbsent(ns, n -> new ClusterDelta(ClusterImage.EMPTY)));
          partitionOf.put(ns, r.partition());
          records++;
        }
      }
    }
    Map<Integer, Map<String, NamespaceSeed>> seeds = new HashMap<>();
    resourcesUntil.keySet().forEach(p -> seeds.put(p, new HashMap<>()));
    partitionOf.forEach((ns, partition) -> {
      ClusterImage in = inputs.containsKey(ns) ? inputs.get(ns).apply() : ClusterImage.EMPTY;
      Map<String, Endpoints> published = new HashMap<>();
      if (outputs.containsKey(ns)) {
        outputs.get(ns).apply().namespace(ns).endpoints()
            .forEach((name, e) -> published.put(name, EndpointsPlanner.asPublished(e)));
      }
      seeds.get(partition).put(ns, new NamespaceSeed(in, Map.copyOf(published)));
    });
    return new Rebuilt(seeds, records);
  }

  /**
   * Where reading svcplane.endpoints must get to: its high watermark, not its last stable offset.
   * The previous owner's last transaction may have committed its offsets (so the group's committed
   * offset counts its batch) while its commit marker on this partition is not written yet; the
   * last stable offset would then end before that transaction's Endpoints. Reading read_committed
   * up to the high watermark waits for every transaction begun before now to be committed or
   * aborted.
   */
  private Map<TopicPartition, Long> endpointsEnd(List<TopicPartition> parts) {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
    try (Admin admin = Admin.create(clients.admin())) {
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all()
          .get(60, TimeUnit.SECONDS)
          .forEach((tp, info) -> ends.put(tp, info.offset()));
      return ends;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the end of svcplane.endpoints", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the end of svcplane.endpoints: " + e, e);
    }
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
