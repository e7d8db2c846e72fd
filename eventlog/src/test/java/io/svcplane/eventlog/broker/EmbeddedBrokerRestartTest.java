package io.svcplane.eventlog.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker's own lifecycle: these tests start brokers of their own on temporary directories. */
class EmbeddedBrokerRestartTest {

  static void write(String bootstrap, String topic, String value) throws Exception {
    var props = new java.util.Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (var p = new KafkaProducer<String, String>(props)) {
      p.send(new ProducerRecord<>(topic, "k", value)).get(30, TimeUnit.SECONDS);
    }
  }

  static List<String> read(String bootstrap, String topic) {
    var props = new java.util.Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<String> out = new ArrayList<>();
    try (var c = new KafkaConsumer<String, String>(props)) {
      var tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      long end = endOffset(c, tp, deadline);
      while (c.position(tp) < end && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(100)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }

  /** Right after a (re)start the broker may not host the partition yet: ask until it does. */
  private static long endOffset(KafkaConsumer<String, String> c, TopicPartition tp, long deadline) {
    while (true) {
      try {
        return c.endOffsets(List.of(tp), Duration.ofSeconds(5)).get(tp);
      } catch (org.apache.kafka.common.KafkaException e) {
        if (System.nanoTime() > deadline) throw e;
      }
    }
  }

  static void createTopics(String bootstrap) {
    try (Admin admin = Admin.create(KafkaClients.of(bootstrap).admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT.withPartitions(1));
    }
  }

  @Test
  void brokerRestartedOnItsDataDirectoryStillHoldsEarlierRecords(@TempDir Path dir) throws Exception {
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir)) {
      createTopics(broker.bootstrapServers());
      write(broker.bootstrapServers(), "svcplane.resources", "before-restart");
      broker.stop();
      broker.start();
      write(broker.bootstrapServers(), "svcplane.resources", "after-restart");
      assertEquals(List.of("before-restart", "after-restart"), read(broker.bootstrapServers(), "svcplane.resources"));
    }
    // and a new broker object on the same directory (a new process would do the same)
    try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(dir)) {
      assertEquals(List.of("before-restart", "after-restart"), read(again.bootstrapServers(), "svcplane.resources"));
    }
  }

  @Test
  void brokerProcessFormatsOnceKeepsDataAndStopsCleanlyOnSigterm(@TempDir Path dir) throws Exception {
    int port = freePort();
    StringBuffer firstLog = new StringBuffer();
    Process first = startProcess(dir, port, firstLog);
    String bootstrap = "127.0.0.1:" + port;
    createTopics(bootstrap);
    write(bootstrap, "svcplane.resources", "from-first-process");
    first.destroy(); // SIGTERM
    assertTrue(first.waitFor(60, TimeUnit.SECONDS), "broker did not stop within 60 s of SIGTERM");
    assertEquals(143, first.exitValue(), "exit status of a JVM that ran its shutdown hooks on SIGTERM");
    assertTrue(!firstLog.toString().contains(" INFO "), "broker logs at WARN, got INFO lines:\n" + firstLog);

    Process second = startProcess(dir, port, new StringBuffer());
    try {
      assertEquals(List.of("from-first-process"), read(bootstrap, "svcplane.resources"));
    } finally {
      second.destroy();
      assertTrue(second.waitFor(60, TimeUnit.SECONDS));
    }
  }

  private static Process startProcess(Path dir, int port, StringBuffer log) throws Exception {
    Process p = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m", "-cp", System.getProperty("java.class.path"),
            KafkaBrokerMain.class.getName(), "--data-dir", dir.toString(), "--port", Integer.toString(port),
            "--controller-port", Integer.toString(freePort()))
        .redirectErrorStream(true)
        .start();
    // A thread keeps reading what the broker prints into `log`, until the process ends.
    var ready = new java.util.concurrent.CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          log.append(line).append('\n');
          if (line.startsWith("kafka broker ready at")) ready.countDown();
        }
      } catch (java.io.IOException e) {
        log.append(e).append('\n');
      }
    });
    reader.setDaemon(true);
    reader.start();
    if (!ready.await(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("broker not ready within 90 s:\n" + log);
    }
    return p;
  }

  private static int freePort() throws Exception {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }
}
