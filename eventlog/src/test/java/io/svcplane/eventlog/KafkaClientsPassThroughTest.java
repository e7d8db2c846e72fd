package io.svcplane.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka client settings file (security.protocol, SASL, SSL, ...) reaches every client that
 * KafkaClients makes, as the real Kafka client sees it, and its passwords appear in nothing svcplane
 * prints about its clients.
 */
@ExtendWith(KafkaExtension.class)
class KafkaClientsPassThroughTest {
  private static final String SECRET = "pw-" + Long.toHexString(System.nanoTime()) + "-never-printed";

  @TempDir
  Path dir;

  private Path settings() throws Exception {
    Path f = dir.resolve("kafka-client.properties");
    // PLAINTEXT so the test broker takes it; the SASL and SSL settings ride along as an operator's file would carry them.
    Files.writeString(f, String.join("\n",
        "security.protocol=PLAINTEXT",
        "sasl.mechanism=PLAIN",
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"svcplane\" password=\"" + SECRET + "\";",
        "ssl.truststore.password=" + SECRET,
        "ssl.key.password=" + SECRET,
        "client.id=svcplane-pass-through",
        "metadata.max.age.ms=123457",
        ""));
    return f;
  }

  @Test
  void everyClientGetsTheFilesSettingsAndToStringNeverShowsThem(TestKafka kafka) throws Exception {
    KafkaClients clients = KafkaClients.of(kafka.bootstrapServers(), settings());
    for (Properties p : List.of(clients.admin(), clients.producer(null), clients.producer("pass-through-tx"), clients.consumer(null),
        clients.consumer("pass-through-group"))) {
      assertEquals("PLAINTEXT", p.get("security.protocol"));
      assertEquals("PLAIN", p.get("sasl.mechanism"));
      assertTrue(String.valueOf(p.get("sasl.jaas.config")).contains(SECRET));
      assertEquals(SECRET, p.get("ssl.truststore.password"));
      assertEquals("123457", p.get("metadata.max.age.ms"));
      assertEquals(kafka.bootstrapServers(), p.get("bootstrap.servers"));
    }
    assertFalse(clients.toString().contains(SECRET), clients.toString());
    assertEquals("Kafka at " + kafka.bootstrapServers(), clients.toString());
  }

  @Test
  void realClientsBuiltFromThemConnectUnderTheFilesClientId(TestKafka kafka) throws Exception {
    KafkaClients clients = KafkaClients.of(kafka.bootstrapServers(), settings());
    try (Admin admin = Admin.create(clients.admin());
        KafkaProducer<String, ?> producer = new KafkaProducer<>(clients.producer(null));
        KafkaConsumer<String, ?> consumer = new KafkaConsumer<>(clients.consumer(null))) {
      // The admin client talks to the broker with the file's settings.
      assertFalse(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).isEmpty());
      Topics.ensure(admin, TopicLayout.DEFAULT);
      assertFalse(producer.partitionsFor(io.svcplane.core.image.LogTopic.RESOURCES.topicName()).isEmpty());
      consumer.listTopics(Duration.ofSeconds(30));
      // Each real client carries the file's client.id: the file reached it, not just our Properties.
      for (var metrics : List.of(admin.metrics(), producer.metrics(), consumer.metrics())) {
        assertEquals(Set.of("svcplane-pass-through"), clientIds(metrics), metrics.keySet().toString());
      }
    }
  }

  private static Set<String> clientIds(java.util.Map<MetricName, ? extends Metric> metrics) {
    return metrics.keySet().stream().map(m -> m.tags().get("client-id")).filter(java.util.Objects::nonNull)
        .collect(Collectors.toSet());
  }
}
