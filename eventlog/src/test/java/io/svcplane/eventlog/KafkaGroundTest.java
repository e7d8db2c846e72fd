package io.svcplane.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Kafka ground every component stands on, against the real broker the extension hands out. */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaGroundTest {
  private final TestKafka kafka;
  private final KafkaClients clients;

  KafkaGroundTest(TestKafka kafka) {
    this.kafka = kafka;
    this.clients = KafkaClients.of(kafka.bootstrapServers());
  }

  @BeforeAll
  void topics() {
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
  }

  @Test
  void extensionUsesTheEmbeddedBrokerWithoutDocker() {
    System.out.println("KafkaGroundTest got its broker from: " + kafka.source() + " at " + kafka.bootstrapServers());
    if (System.getenv("KAFKA_BOOTSTRAP_SERVERS") == null && !KafkaExtension_DockerProbe.dockerAnswers()) {
      assertEquals("embedded", kafka.source());
    }
  }

  static ResourceEvent podEvent(String ns, String name) {
    var pod = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name)).build();
    return ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(Kinds.wrap(pod)).build();
  }

  static String key(String ns, String name) {
    return new ObjectKey(Kind.POD, ns, name).toString();
  }

  private String newTopic(int partitions) throws Exception {
    String topic = "test-" + UUID.randomUUID();
    try (Admin admin = Admin.create(clients.admin())) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    return topic;
  }

  private List<ConsumerRecord<String, ResourceEvent>> readAll(String topic, int expectAtLeast, Duration within) {
    List<ConsumerRecord<String, ResourceEvent>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<String, ResourceEvent>(clients.consumer(null))) {
      var parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + within.toNanos();
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
        boolean atEnd = parts.stream().allMatch(tp -> c.position(tp) >= end.get(tp));
        if (atEnd && out.size() >= expectAtLeast) break;
      }
    }
    return out;
  }

  @Test
  void producedEventIsConsumedBack() throws Exception {
    String topic = newTopic(1);
    try (var p = new KafkaProducer<String, ResourceEvent>(clients.producer(null))) {
      p.send(new ProducerRecord<>(topic, key("default", "a"), podEvent("default", "a"))).get();
    }
    var records = readAll(topic, 1, Duration.ofSeconds(20));
    assertEquals(1, records.size());
    assertEquals("a", records.get(0).value().getObject().getPod().getMetadata().getName());
  }

  @Test
  void committedTransactionIsVisibleAndAbortedOneIsNot() throws Exception {
    String topic = newTopic(1);
    try (var p = new KafkaProducer<String, ResourceEvent>(clients.producer("ground-test-" + UUID.randomUUID()))) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, key("default", "committed"), podEvent("default", "committed")));
      p.commitTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, key("default", "aborted"), podEvent("default", "aborted"))).get();
      p.abortTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, key("default", "after"), podEvent("default", "after")));
      p.commitTransaction();
    }
    List<String> names = readAll(topic, 2, Duration.ofSeconds(20)).stream()
        .map(r -> r.value().getObject().getPod().getMetadata().getName()).toList();
    assertEquals(List.of("committed", "after"), names);
  }

  @Test
  void topicsExistWithTheirConfigurationAndSecondEnsureChangesNothing() throws Exception {
    try (Admin admin = Admin.create(clients.admin())) {
      var counts = Topics.ensure(admin, TopicLayout.DEFAULT.withPartitions(9));
      assertEquals(Map.of(LogTopic.RESOURCES, 6, LogTopic.ENDPOINTS, 6), counts, "existing topics keep their layout");
      for (LogTopic t : LogTopic.values()) {
        var res = new ConfigResource(ConfigResource.Type.TOPIC, t.topicName());
        Config cfg = admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res);
        assertEquals("compact", cfg.get("cleanup.policy").value());
        assertEquals(Long.toString(Duration.ofDays(7).toMillis()), cfg.get("min.compaction.lag.ms").value());
        assertEquals(6, admin.describeTopics(List.of(t.topicName())).allTopicNames().get().get(t.topicName()).partitions().size());
      }
    }
  }

  @Test
  void everyKeyOfANamespaceLandsOnOnePartitionAndNamespacesSpread() throws Exception {
    String topic = newTopic(6);
    Map<String, Set<Integer>> partitionsByNamespace = new HashMap<>();
    try (var p = new KafkaProducer<String, ResourceEvent>(clients.producer(null))) {
      for (int n = 0; n < 30; n++) {
        for (int i = 0; i < 10; i++) {
          String ns = "ns-" + n;
          var md = p.send(new ProducerRecord<>(topic, key(ns, "pod-" + i), podEvent(ns, "pod-" + i))).get();
          partitionsByNamespace.computeIfAbsent(ns, k -> new HashSet<>()).add(md.partition());
          assertEquals(NamespacePartitioner.partitionFor(ns, 6), md.partition());
        }
      }
    }
    partitionsByNamespace.forEach((ns, parts) -> assertEquals(1, parts.size(), ns + " spread over " + parts));
    Set<Integer> used = new HashSet<>();
    partitionsByNamespace.values().forEach(used::addAll);
    assertTrue(used.size() >= 4, "30 namespaces should use most of 6 partitions, used " + used);
  }

  @Test
  void logTailFoldsTheTopicsIntoAnImage() throws Exception {
    String ns = "tail-" + UUID.randomUUID().toString().substring(0, 8);
    try (var p = new KafkaProducer<String, ResourceEvent>(clients.producer("tail-test-" + UUID.randomUUID()))) {
      p.initTransactions();
      p.beginTransaction();
      for (int i = 0; i < 5; i++) {
        p.send(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), key(ns, "p" + i), podEvent(ns, "p" + i)));
      }
      p.commitTransaction();
    }
    try (LogTail tail = new LogTail(clients, List.of(LogTopic.RESOURCES, LogTopic.ENDPOINTS))) {
      List<LogRecord> seen = new ArrayList<>();
      // commitTransaction may return before the commit markers move the last stable offset
      // (transactions v2), so "everything committed up to now" may not include them yet.
      ClusterImage image = ClusterImage.EMPTY;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      do {
        image = tail.catchUp(image, seen::add);
      } while (image.namespace(ns).pods().size() < 5 && System.nanoTime() < deadline);
      assertEquals(5, image.namespace(ns).pods().size());
      assertEquals(tail.endPositions(), image.positions(), "positions step past the commit marker");
      int partition = NamespacePartitioner.partitionFor(ns, 6);
      assertTrue(seen.stream().filter(r -> r.key().contains(ns)).allMatch(r -> r.partition() == partition));
    }
  }

  /** Package-visible view of the extension's Docker check. */
  static final class KafkaExtension_DockerProbe {
    static boolean dockerAnswers() {
      return java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/docker.sock")) || System.getenv("DOCKER_HOST") != null;
    }
  }
}
