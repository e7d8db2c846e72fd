package io.svcplane.eventlog;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Client settings shared by every Kafka client of every component: the bootstrap address plus,
 * optionally, a properties file whose settings (security.protocol, SASL, SSL, ...) pass through
 * to every producer, consumer and admin client unchanged.
 */
public final class KafkaClients {
  private final String bootstrapServers;
  private final Properties extra;

  private KafkaClients(String bootstrapServers, Properties extra) {
    this.bootstrapServers = bootstrapServers;
    this.extra = extra;
  }

  public static KafkaClients of(String bootstrapServers) {
    return new KafkaClients(bootstrapServers, new Properties());
  }

  /**
   * @param clientProperties a Java properties file of Kafka client settings, or null
   */
  public static KafkaClients of(String bootstrapServers, Path clientProperties) {
    Properties extra = new Properties();
    if (clientProperties != null) {
      try (Reader r = Files.newBufferedReader(clientProperties)) {
        extra.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read Kafka client properties " + clientProperties + ": " + e.getMessage(), e);
      }
    }
    return new KafkaClients(bootstrapServers, extra);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Settings every client gets: bootstrap plus the pass-through file. */
  public Properties common() {
    Properties p = new Properties();
    p.putAll(extra);
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }

  public Properties admin() {
    Properties p = common();
    p.putIfAbsent(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    return p;
  }

  /**
   * A producer of ResourceEvents keyed by object key, partitioned by namespace, idempotent.
   *
   * @param transactionalId its transactional id (fencing identity), or null for none
   */
  public Properties producer(String transactionalId) {
    Properties p = common();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ResourceEventSerde.EventSerializer.class.getName());
    p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, NamespacePartitioner.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "0");
    if (transactionalId != null) {
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      // A transaction that begins right after the previous one committed can find the broker
      // still writing that one's markers (CONCURRENT_TRANSACTIONS); the client then waits
      // retry.backoff.ms before asking again, 100 ms by default: that wait was the whole tail of
      // the endpoint controller's latency (sendOffsetsToTransaction). Retries back off
      // exponentially from here up to retry.backoff.max.ms, so a real outage is not hammered.
      p.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "1");
      p.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "50");
    }
    return p;
  }

  /**
   * A read_committed consumer of ResourceEvents that never commits on its own.
   *
   * @param groupId its consumer group, or null for manual assignment
   */
  public Properties consumer(String groupId) {
    Properties p = common();
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ResourceEventSerde.EventDeserializer.class.getName());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    if (groupId != null) p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    return p;
  }

  @Override
  public String toString() {
    // Never print the pass-through settings: they may hold passwords.
    return "Kafka at " + bootstrapServers;
  }
}
