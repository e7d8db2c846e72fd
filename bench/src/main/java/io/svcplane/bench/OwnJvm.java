package io.svcplane.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A cluster component started in a JVM of its own on the bench's classpath, as a cluster runs it. */
final class OwnJvm {
  private OwnJvm() {}

  /** The JVM flags in system property {@code property}, split at spaces (e.g. {@code -Xlog:gc:file=...}). */
  static List<String> extraFlags(String property) {
    String v = System.getProperty(property, "").trim();
    return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
  }

  /** Whether {@code flags} choose a garbage collector. */
  static boolean choosesCollector(List<String> flags) {
    return flags.stream().anyMatch(f -> f.matches("-XX:\\+Use\\w+GC"));
  }

  /**
   * Starts {@code mainClass} with {@code flags}, its output (both streams) to {@code log}; the
   * process is stopped with this JVM at the latest.
   */
  static Process start(List<String> flags, Path log, String mainClass, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("java");
    cmd.addAll(flags);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
    return p;
  }
}
