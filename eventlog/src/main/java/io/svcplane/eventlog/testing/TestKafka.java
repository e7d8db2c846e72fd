package io.svcplane.eventlog.testing;

/**
 * The Kafka broker a test got from {@link KafkaExtension}.
 *
 * @param bootstrapServers address to give clients
 * @param source where it came from: "env" (KAFKA_BOOTSTRAP_SERVERS), "testcontainers" or "embedded"
 */
public record TestKafka(String bootstrapServers, String source) {}
