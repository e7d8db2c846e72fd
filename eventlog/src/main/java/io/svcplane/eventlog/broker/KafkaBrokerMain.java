package io.svcplane.eventlog.broker;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The local cluster's Kafka broker as its own process:
 * {@code --data-dir DIR [--port 9092] [--controller-port 9093] [--host 127.0.0.1] [--advertised-host H]}.
 * Formats DIR on first start, keeps its data across restarts, logs at WARN, stops cleanly on
 * SIGTERM. Any other broker setting as a system property: {@code -Dsvcplane.broker.NAME=VALUE}.
 */
public final class KafkaBrokerMain {
  private KafkaBrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    // Before any logger exists: the broker is chatty at INFO.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");

    Path dataDir = null;
    int port = 9092;
    int controllerPort = -1;
    String host = "127.0.0.1";
    String advertised = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
        case "--port" -> port = intValue(args, ++i, a);
        case "--controller-port" -> controllerPort = intValue(args, ++i, a);
        case "--host" -> host = value(args, ++i, a);
        case "--advertised-host" -> advertised = value(args, ++i, a);
        case "-h", "--help" -> {
          System.out.println("Usage: kafka-broker --data-dir DIR [--port 9092] [--controller-port PORT+1]"
              + " [--host 127.0.0.1] [--advertised-host HOST]\n"
              + "Any other broker setting: java -Dsvcplane.broker.NAME=VALUE (e.g. -Dsvcplane.broker.log.retention.hours=24)");
          return;
        }
        default -> fail("unknown option " + a);
      }
    }
    if (dataDir == null) fail("--data-dir is required");
    if (controllerPort < 0) controllerPort = port + 1;
    if (advertised == null) advertised = host.equals("0.0.0.0") ? "127.0.0.1" : host;

    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, host, advertised, port, controllerPort);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      broker.stop();
      stopped.countDown();
    }, "kafka-broker-shutdown"));
    System.out.println("kafka broker ready at " + broker.bootstrapServers() + " (data in " + dataDir + ")");
    stopped.await();
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) fail(flag + " needs a value");
    return args[i];
  }

  private static int intValue(String[] args, int i, String flag) {
    String v = value(args, i, flag);
    try {
      int n = Integer.parseInt(v);
      if (n < 1 || n > 65535) fail(flag + ": " + v + " is not a port (1-65535)");
      return n;
    } catch (NumberFormatException e) {
      fail(flag + ": " + v + " is not a number");
      return -1;
    }
  }

  private static void fail(String message) {
    System.err.println("kafka-broker: " + message);
    System.exit(2);
  }
}
