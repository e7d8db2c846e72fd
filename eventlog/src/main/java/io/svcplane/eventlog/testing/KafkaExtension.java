package io.svcplane.eventlog.testing;

import io.svcplane.eventlog.broker.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests a real Kafka broker as a {@link TestKafka} parameter (constructor, lifecycle or test
 * method), one per test JVM, closed when the JVM's tests end. In this order:
 * <ol>
 *   <li>{@code KAFKA_BOOTSTRAP_SERVERS}, if set: a broker someone else runs;
 *   <li>a Testcontainers {@code KafkaContainer}, where a Docker daemon answers;
 *   <li>else the embedded single-node KRaft broker ({@link EmbeddedKafkaBroker}).
 * </ol>
 * Without Docker the tests run against the embedded broker; they are never skipped.
 */
public final class KafkaExtension implements ParameterResolver {
  private static final String KEY = KafkaExtension.class.getName();
  /** The apache/kafka image for Testcontainers, the same major version as the embedded broker. */
  static final String KAFKA_IMAGE = "apache/kafka:4.1.0";

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == TestKafka.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return shared(e);
  }

  private static TestKafka shared(ExtensionContext context) {
    ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL);
    return store.getOrComputeIfAbsent(KEY, k -> Broker.start(), Broker.class).kafka;
  }

  /** The JVM's shared broker, for code outside JUnit's parameter injection (benchmarks). */
  public static synchronized TestKafka startOutsideJUnit() {
    if (outside == null) {
      outside = Broker.start();
      Runtime.getRuntime().addShutdownHook(new Thread(outside::close));
    }
    return outside.kafka;
  }

  private static Broker outside;

  /** The broker and how to close it; JUnit closes store values that are AutoCloseable. */
  private static final class Broker implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    final TestKafka kafka;
    final AutoCloseable resource;
    final Path dir;

    Broker(TestKafka kafka, AutoCloseable resource, Path dir) {
      this.kafka = kafka;
      this.resource = resource;
      this.dir = dir;
    }

    static Broker start() {
      String env = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
      if (env != null && !env.isBlank()) {
        return new Broker(new TestKafka(env.trim(), "env"), () -> {}, null);
      }
      if (DockerProbe.dockerAnswers()) {
        return TestcontainersKafka.start();
      }
      try {
        Path dir = Files.createTempDirectory("svcplane-kafka-");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir);
        return new Broker(new TestKafka(broker.bootstrapServers(), "embedded"), broker, dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      try {
        resource.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the test broker: " + e, e);
      } finally {
        if (dir != null) deleteTree(dir);
      }
    }
  }

  /** Testcontainers is touched only here, so its classes load only where Docker answers. */
  private static final class TestcontainersKafka {
    static Broker start() {
      var c = new org.testcontainers.kafka.KafkaContainer(KAFKA_IMAGE)
          .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
          .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
          .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
          .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
      c.start();
      return new Broker(new TestKafka(c.getBootstrapServers(), "testcontainers"), c::stop, null);
    }
  }

  /** Asks Testcontainers only when a Docker endpoint could exist at all (a quick, quiet check). */
  static final class DockerProbe {
    static boolean dockerAnswers() {
      boolean socket = Files.exists(Path.of("/var/run/docker.sock"));
      boolean host = System.getenv("DOCKER_HOST") != null;
      if (!socket && !host) return false;
      try {
        return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
      } catch (RuntimeException | LinkageError e) {
        return false;
      }
    }
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp directory
    }
  }
}
