package io.svcplane.controller;

import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** A read_committed reader of svcplane.endpoints from its beginning, for tests to await Endpoints events. */
final class EndpointsWatcher implements AutoCloseable {
  private final KafkaConsumer<String, ResourceEvent> consumer;
  private final Map<String, List<ConsumerRecord<String, ResourceEvent>>> byKey = new HashMap<>();

  EndpointsWatcher(KafkaClients clients) {
    consumer = new KafkaConsumer<>(clients.consumer(null));
    String topic = LogTopic.ENDPOINTS.topicName();
    List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
  }

  void poll(Duration d) {
    for (ConsumerRecord<String, ResourceEvent> r : consumer.poll(d)) {
      byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
    }
  }

  /** Reads everything committed up to now. */
  void catchUp() {
    var ends = consumer.endOffsets(consumer.assignment());
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
      if (System.nanoTime() > deadline) throw new AssertionError("could not read svcplane.endpoints to its end");
      poll(Duration.ofMillis(100));
    }
  }

  /** Every event of the key seen so far, oldest first. */
  List<ResourceEvent> events(String key) {
    return byKey.getOrDefault(key, List.of()).stream().map(ConsumerRecord::value).toList();
  }

  List<ConsumerRecord<String, ResourceEvent>> records(String key) {
    return byKey.getOrDefault(key, List.of());
  }

  Map<String, List<ConsumerRecord<String, ResourceEvent>>> all() {
    return byKey;
  }

  /** Polls until the latest event of {@code key} satisfies the condition; returns it. */
  ResourceEvent await(String key, Predicate<ResourceEvent> condition, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      List<ResourceEvent> es = events(key);
      if (!es.isEmpty() && condition.test(es.get(es.size() - 1))) return es.get(es.size() - 1);
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no Endpoints event for " + key + " met the condition within " + within
            + "; events seen: " + es);
      }
      poll(Duration.ofMillis(50));
    }
  }

  ResourceEvent await(String key, Predicate<ResourceEvent> condition) {
    return await(key, condition, Duration.ofSeconds(60));
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
