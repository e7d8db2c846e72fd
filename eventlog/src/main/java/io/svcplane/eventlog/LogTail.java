package io.svcplane.eventlog;

import com.google.protobuf.InvalidProtocolBufferException;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads svcplane's topics without a consumer group (every partition assigned), committed records
 * only: to fold the log from the beginning, resume from a {@link LogPositions}, or follow it.
 */
public final class LogTail implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<TopicPartition> partitions = new ArrayList<>();
  private final KnownEvents known;

  public LogTail(KafkaClients clients, Collection<LogTopic> topics) {
    this(clients, topics, KnownEvents.NONE);
  }

  /** A tail that takes the events {@code known} holds instead of parsing their records. */
  public LogTail(KafkaClients clients, Collection<LogTopic> topics, KnownEvents known) {
    this.known = known;
    // Values stay bytes until poll: a record whose event is known is never parsed.
    Properties props = clients.consumer(null);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    this.consumer = new KafkaConsumer<>(props);
    for (LogTopic t : topics) {
      List<PartitionInfo> infos = consumer.partitionsFor(t.topicName(), Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        consumer.close();
        throw new IllegalStateException("topic " + t.topicName() + " does not exist at " + clients.bootstrapServers());
      }
      infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  public List<TopicPartition> partitions() {
    return List.copyOf(partitions);
  }

  /** Continues after {@code from}; partitions it does not name start at the beginning. */
  public void seek(LogPositions from) {
    for (TopicPartition tp : partitions) {
      consumer.seek(tp, from.next(LogTopic.byTopicName(tp.topic()), tp.partition()));
    }
  }

  /** The end of the committed log now: the positions a reader reaches when it has read it all. */
  public LogPositions endPositions() {
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
    LogPositions p = LogPositions.EMPTY;
    for (var e : ends.entrySet()) {
      p = p.advance(LogTopic.byTopicName(e.getKey().topic()), e.getKey().partition(), e.getValue());
    }
    return p;
  }

  /** Where this reader stands: the next offset of every partition (past control records). */
  public LogPositions position() {
    LogPositions p = LogPositions.EMPTY;
    for (TopicPartition tp : partitions) {
      p = p.advance(LogTopic.byTopicName(tp.topic()), tp.partition(), consumer.position(tp, Duration.ofSeconds(30)));
    }
    return p;
  }

  public List<LogRecord> poll(Duration timeout) {
    var records = consumer.poll(timeout);
    List<LogRecord> out = new ArrayList<>(records.count());
    for (ConsumerRecord<String, byte[]> r : records) {
      LogTopic topic = LogTopic.byTopicName(r.topic());
      ResourceEvent event = r.value() == null ? null : known.take(topic, r.partition(), r.offset());
      if (event == null && r.value() != null) event = parse(r);
      out.add(new LogRecord(topic, r.partition(), r.offset(), r.timestamp(), r.key(), event));
    }
    return out;
  }

  private static ResourceEvent parse(ConsumerRecord<String, byte[]> r) {
    try {
      return ResourceEvent.parseFrom(r.value());
    } catch (InvalidProtocolBufferException e) {
      throw new SerializationException("record " + r.topic() + "-" + r.partition() + "@" + r.offset()
          + " is not a ResourceEvent: " + e.getMessage(), e);
    }
  }

  /**
   * Folds everything committed up to now into {@code base}, calling {@code each} per record, and
   * returns the image, whose positions then equal this reader's.
   */
  public ClusterImage catchUp(ClusterImage base, Consumer<LogRecord> each) {
    LogPositions end = endPositions();
    ClusterDelta delta = new ClusterDelta(base);
    while (!position().covers(end)) {
      for (LogRecord r : poll(Duration.ofMillis(200))) {
        r.replayInto(delta);
        each.accept(r);
      }
    }
    LogPositions reached = position();
    for (LogTopic t : LogTopic.values()) {
      for (int p = 0; p < reached.partitions(t); p++) delta.advance(t, p, reached.next(t, p));
    }
    return delta.apply();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
