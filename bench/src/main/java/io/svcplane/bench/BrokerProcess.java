package io.svcplane.bench;

import io.svcplane.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A single-node KRaft broker in its own JVM (KafkaBrokerMain, data in a temp dir), as svcplane
 * runs it: the benches measure their component without the broker's heap and GC pauses in the
 * same process, and can read the broker's CPU time on its own.
 */
final class BrokerProcess implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final String bootstrap;

  private BrokerProcess(Process process, Path dir, String bootstrap) {
    this.process = process;
    this.dir = dir;
    this.bootstrap = bootstrap;
  }

  /** Starts the broker and waits until it serves; it is stopped with this JVM at the latest. */
  static BrokerProcess start() throws Exception {
    Path dir = Files.createTempDirectory("svcplane-bench-kafka-");
    int port = FreePorts.loopback();
    // ParallelGC unless bench.brokerJvmArgs chooses a collector.
    List<String> extra = OwnJvm.extraFlags("bench.brokerJvmArgs");
    List<String> flags = new java.util.ArrayList<>(List.of("-Xmx1g"));
    if (!OwnJvm.choosesCollector(extra)) flags.add("-XX:+UseParallelGC");
    flags.addAll(extra);
    Process p = OwnJvm.start(flags, dir.resolve("broker.log"), "io.svcplane.eventlog.broker.KafkaBrokerMain",
        List.of("--data-dir", dir.toString(), "--port", Integer.toString(port),
            "--controller-port", Integer.toString(FreePorts.loopback())));
    waitForLine(dir.resolve("broker.log"), "kafka broker ready", 60);
    return new BrokerProcess(p, dir, "127.0.0.1:" + port);
  }

  String bootstrap() {
    return bootstrap;
  }

  Process process() {
    return process;
  }

  /** The broker's CPU time (user + system) so far; -1 if unknown. */
  long cpuNanos() {
    return ApiServerWriteBench.processCpuNanos(process);
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    process.waitFor(30, TimeUnit.SECONDS);
    deleteTree(dir);
  }

  private static void waitForLine(Path file, String text, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (Files.exists(file) && Files.readString(file).contains(text)) return;
      Thread.sleep(200);
    }
    throw new IllegalStateException("broker not ready after " + seconds + " s: " + Files.readString(file));
  }

  private static void deleteTree(Path dir) throws Exception {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
