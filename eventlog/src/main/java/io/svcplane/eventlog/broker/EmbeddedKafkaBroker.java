package io.svcplane.eventlog.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one), in this JVM. It
 * formats its data directory on first start and keeps its data across stop and start, so tests
 * can restart it on the same directory, and the local cluster runs it as its own process through
 * {@link KafkaBrokerMain}. Settings are those of a one-node cluster: replication factor 1
 * everywhere, no initial rebalance delay, no automatic topic creation.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private final Path dataDir;
  private final String host;
  private final String advertisedHost;
  private final int port;
  private final int controllerPort;
  private KafkaRaftServer server;

  private EmbeddedKafkaBroker(Path dataDir, String host, String advertisedHost, int port, int controllerPort) {
    this.dataDir = dataDir;
    this.host = host;
    this.advertisedHost = advertisedHost;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /**
   * Formats {@code dataDir} if needed and starts a broker listening on {@code host:port}.
   *
   * @param port the client port, or 0 for a free one
   * @param controllerPort the KRaft controller port, or 0 for a free one
   */
  public static EmbeddedKafkaBroker start(Path dataDir, String host, String advertisedHost, int port, int controllerPort) {
    EmbeddedKafkaBroker b = new EmbeddedKafkaBroker(
        dataDir, host, advertisedHost, port == 0 ? freePort(host) : port, controllerPort == 0 ? freePort(host) : controllerPort);
    b.start();
    return b;
  }

  /** A broker on 127.0.0.1 with free ports. */
  public static EmbeddedKafkaBroker start(Path dataDir) {
    return start(dataDir, "127.0.0.1", "127.0.0.1", 0, 0);
  }

  public synchronized void start() {
    if (server != null) return;
    try {
      Files.createDirectories(dataDir);
      Properties props = config();
      Path configFile = dataDir.resolve("server.properties");
      try (var w = Files.newBufferedWriter(configFile)) {
        props.store(w, "written by svcplane's EmbeddedKafkaBroker");
      }
      format(configFile);
      KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      s.startup();
      server = s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the broker and waits until it is down; its data stays in the data directory. */
  public synchronized void stop() {
    if (server == null) return;
    server.shutdown();
    server.awaitShutdown();
    server = null;
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  public String bootstrapServers() {
    return advertisedHost + ":" + port;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() {
    stop();
  }

  private Properties config() {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@" + host + ":" + controllerPort);
    p.put("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + advertisedHost + ":" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dataDir.resolve("kraft-logs").toString());
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    // One node: every internal topic has one replica, and fewer partitions than the default 50
    // make the first consumer group and the first transaction start in well under a second.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "6");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "6");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.backoff.ms", "5000");
    // Transactions (svcplane's writers commit many small ones): a produce that arrives while the
    // producer's previous transaction is still being completed is retried on the broker after
    // 5 ms instead of 20; a transaction left open by a crashed writer is aborted within a second
    // of its timeout instead of ten, so read_committed readers are not held up for long.
    p.put("add.partitions.to.txn.retry.backoff.ms", "5");
    p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    applySettings(p, System.getProperties());
    return p;
  }

  /** System properties named {@code svcplane.broker.<broker setting>} set that broker setting. */
  public static final String SETTING_PREFIX = "svcplane.broker.";

  /**
   * Any broker setting, for an operator or a benchmark ({@code -Dsvcplane.broker.num.io.threads=2}):
   * each {@link #SETTING_PREFIX} property of {@code system} sets, or overrides, one in {@code config}.
   */
  static void applySettings(Properties config, Properties system) {
    for (String name : system.stringPropertyNames()) {
      if (name.startsWith(SETTING_PREFIX) && name.length() > SETTING_PREFIX.length()) {
        config.put(name.substring(SETTING_PREFIX.length()), system.getProperty(name));
      }
    }
  }

  private void format(Path configFile) {
    Path marker = dataDir.resolve("kraft-logs").resolve("meta.properties");
    if (Files.exists(marker)) return;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc;
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      rc = StorageTool.execute(new String[] {
          "format", "--config", configFile.toString(), "--cluster-id", Uuid.randomUuid().toString(), "--ignore-formatted"
      }, ps);
    }
    if (rc != 0) {
      throw new IllegalStateException("formatting Kafka storage in " + dataDir + " failed: " + out.toString(StandardCharsets.UTF_8));
    }
  }

  private static int freePort(String host) {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
