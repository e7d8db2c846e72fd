package io.svcplane.controller;

import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Writes ResourceEvents to svcplane.resources the way the apiserver does: transactional, keyed by object key. */
final class ResourceWriter implements AutoCloseable {
  /** One written event and where it landed. */
  record Written(String key, ResourceEvent event, int partition, long offset) {}

  private final KafkaProducer<String, ResourceEvent> producer;

  ResourceWriter(KafkaClients clients) {
    producer = new KafkaProducer<>(clients.producer("test-apiserver-" + UUID.randomUUID()));
    producer.initTransactions();
  }

  static ResourceEvent event(EventType type, Resource object) {
    Instant now = Instant.now();
    return ResourceEvent.newBuilder().setType(type).setObject(object)
        .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .setWriter("apiserver/test").build();
  }

  Written write(EventType type, Resource object) {
    return writeAll(List.of(event(type, object))).get(0);
  }

  /** Writes the events in one transaction, in order. */
  List<Written> writeAll(List<ResourceEvent> events) {
    producer.beginTransaction();
    List<Future<RecordMetadata>> fs = new ArrayList<>();
    for (ResourceEvent e : events) {
      fs.add(producer.send(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), ObjectKey.of(e.getObject()).toString(), e)));
    }
    producer.commitTransaction();
    List<Written> out = new ArrayList<>();
    try {
      for (int i = 0; i < events.size(); i++) {
        RecordMetadata m = fs.get(i).get();
        out.add(new Written(ObjectKey.of(events.get(i).getObject()).toString(), events.get(i), m.partition(), m.offset()));
      }
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  @Override
  public void close() {
    producer.close();
  }
}
