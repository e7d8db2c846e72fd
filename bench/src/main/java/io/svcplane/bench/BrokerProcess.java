package io.svcplane.bench;

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
    int port = ApiServerWriteBench.freePort();
    List<String> cmd = List.of("java", "-Xmx1g", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
        "io.svcplane.eventlog.broker.KafkaBrokerMain", "--data-dir", dir.toString(), "--port", Integer.toString(port),
        "--controller-port", Integer.toString(ApiServerWriteBench.freePort()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("broker.log").toFile()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
    ApiServerWriteBench.waitForLine(dir.resolve("broker.log"), "kafka broker ready", 60);
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
    ApiServerWriteBench.deleteTree(dir);
  }
}
