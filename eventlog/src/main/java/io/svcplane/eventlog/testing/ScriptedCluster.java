package io.svcplane.eventlog.testing;

import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.Cause;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.eventlog.KafkaClients;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.time.Duration;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Test and benchmark support: writes ResourceEvents to svcplane.resources the way the apiserver
 * does (transactional producer, namespace partitioning, the whole object, time and writer, record
 * timestamp = event time) and, if asked, publishes the Endpoints that core's planner derives, with
 * their causes, the way the endpoint controller does. Keeps the image of what it wrote, with the
 * real offsets, so a test can compare a replay with the state at each step.
 */
public final class ScriptedCluster implements AutoCloseable {
  private final KafkaProducer<String, ResourceEvent> producer;
  private final KafkaConsumer<String, ResourceEvent> committed;
  private final boolean publishEndpoints;
  private ClusterImage image = ClusterImage.EMPTY;

  /** Where one step's resource event landed, and the Endpoints it caused. */
  public record Step(ObjectKey key, EventType type, int partition, long offset, long timestamp, List<Long> endpointsOffsets) {}

  public ScriptedCluster(KafkaClients clients, boolean publishEndpoints) {
    this.producer = new KafkaProducer<>(clients.producer("scripted-" + UUID.randomUUID()));
    this.producer.initTransactions();
    this.committed = new KafkaConsumer<>(clients.consumer(null));
    this.publishEndpoints = publishEndpoints;
  }

  /** The fold of everything this script wrote, with the offsets Kafka gave it. */
  public ClusterImage image() {
    return image;
  }

  /** Writes the object: ADDED if this script has not written it yet, else MODIFIED. */
  public Step apply(Resource object) {
    ObjectKey key = ObjectKey.of(object);
    boolean exists = image.getWritten(key).isPresent();
    return write(exists ? EventType.MODIFIED : EventType.ADDED, object);
  }

  /** Deletes the object (a DELETED event with its last state). */
  public Step delete(ObjectKey key) {
    Resource last = image.getWritten(key).orElseThrow(() -> new IllegalStateException(key + " does not exist"));
    return write(EventType.DELETED, last);
  }

  /** Writes one event of any type, committed in its own transaction; returns once it is. */
  public Step write(EventType type, Resource object) {
    ObjectKey key = ObjectKey.of(object);
    Resource stored = Kinds.withMetadata(object, Kinds.metadata(object).toBuilder().clearResourceVersion().build());
    Instant now = Instant.now();
    ResourceEvent event = ResourceEvent.newBuilder().setType(type).setObject(stored).setTime(timestamp(now))
        .setWriter("apiserver/scripted").build();
    producer.beginTransaction();
    RecordMetadata md = send(LogTopic.RESOURCES, now.toEpochMilli(), key.toString(), event);
    producer.commitTransaction();
    awaitVisible(md);
    ClusterDelta delta = new ClusterDelta(image);
    delta.replay(LogTopic.RESOURCES, md.partition(), md.offset(), event);
    image = delta.apply();
    List<Long> published = publishEndpoints ? publish(key.namespace(), md, key, type, now) : List.of();
    return new Step(key, type, md.partition(), md.offset(), md.timestamp(), published);
  }

  /**
   * Publishes, for every service of the namespace, the Endpoints the planner wants if they differ
   * from the last published: the endpoint controller's job, caused by the record just written.
   */
  private List<Long> publish(String namespace, RecordMetadata cause, ObjectKey causeKey, EventType causeType, Instant t) {
    NamespaceImage ns = image.namespace(namespace);
    TreeSet<String> names = new TreeSet<>(ns.services().keySet());
    names.addAll(ns.endpoints().keySet());
    List<Long> offsets = new ArrayList<>();
    ClusterDelta delta = new ClusterDelta(image);
    boolean began = false;
    RecordMetadata last = null;
    for (String name : names) {
      Optional<Endpoints> previous = Optional.ofNullable(ns.endpoints().get(name)).map(EndpointsPlanner::asPublished);
      Optional<Endpoints> desired = EndpointsPlanner.desired(Optional.ofNullable(ns.services().get(name)),
          ns.pods().values(), Optional.ofNullable(ns.userEndpoints().get(name)), previous, t);
      if (desired.equals(previous)) continue;
      EventType type = desired.isEmpty() ? EventType.DELETED : previous.isEmpty() ? EventType.ADDED : EventType.MODIFIED;
      Endpoints object = desired.orElseGet(previous::get);
      ResourceEvent event = ResourceEvent.newBuilder().setType(type).setObject(Kinds.wrap(object))
          .setTime(timestamp(Instant.now())).setWriter("endpoint-controller/scripted")
          .setCause(Cause.newBuilder().setTopic(LogTopic.RESOURCES.topicName()).setPartition(cause.partition())
              .setOffset(cause.offset()).setTime(timestamp(t)).setKey(causeKey.toString()).setType(causeType))
          .build();
      if (!began) {
        producer.beginTransaction();
        began = true;
      }
      RecordMetadata md = send(LogTopic.ENDPOINTS, System.currentTimeMillis(),
          new ObjectKey(Kind.ENDPOINTS, namespace, name).toString(), event);
      delta.replay(LogTopic.ENDPOINTS, md.partition(), md.offset(), event);
      offsets.add(md.offset());
      last = md;
    }
    if (began) {
      producer.commitTransaction();
      awaitVisible(last);
    }
    image = delta.apply();
    return offsets;
  }

  /** Writes a raw event to a topic in its own transaction (e.g. a tampered Endpoints event). */
  public RecordMetadata writeRaw(LogTopic topic, String key, ResourceEvent event) {
    producer.beginTransaction();
    RecordMetadata md = send(topic, System.currentTimeMillis(), key, event);
    producer.commitTransaction();
    awaitVisible(md);
    ClusterDelta delta = new ClusterDelta(image);
    delta.replay(topic, md.partition(), md.offset(), event);
    image = delta.apply();
    return md;
  }

  private RecordMetadata send(LogTopic topic, long timestamp, String key, ResourceEvent event) {
    try {
      return producer.send(new ProducerRecord<>(topic.topicName(), null, timestamp, key, event)).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("writing " + key + " to " + topic.topicName() + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until a read_committed reader sees the record: commitTransaction returns once the
   * coordinator has decided, but the commit markers reach the partitions a moment later.
   */
  private void awaitVisible(RecordMetadata md) {
    TopicPartition tp = new TopicPartition(md.topic(), md.partition());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (committed.endOffsets(List.of(tp)).get(tp) <= md.offset()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("record " + md + " not visible after 30 s");
      Thread.onSpinWait();
    }
  }

  /** Waits until the wall clock has passed {@code millis}, so the next record gets a later stamp. */
  public static void awaitClockPast(long millis) {
    while (System.currentTimeMillis() <= millis) Thread.onSpinWait();
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  @Override
  public void close() {
    producer.close();
    committed.close();
  }
}
