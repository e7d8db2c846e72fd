package io.svcplane.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs the Python scripts of examples/scripts with Debian's /usr/bin/python3, as a user would:
 * a separate process, output read line by line as it comes.
 */
final class Scripts {
  /** Debian's Python, which has python3-grpcio, python3-protobuf and python3-yaml. */
  static final String PYTHON = "/usr/bin/python3";
  static final Path DIR = Path.of("..", "examples", "scripts").toAbsolutePath().normalize();

  private Scripts() {}

  /** A finished run. */
  record Result(int exitCode, List<String> out, List<String> err, Duration took) {
    String stdout() {
      return String.join("\n", out);
    }

    String stderr() {
      return String.join("\n", err);
    }

    @Override
    public String toString() {
      return "exit " + exitCode + " after " + took.toMillis() + " ms\n--- stdout\n" + stdout() + "\n--- stderr\n" + stderr();
    }
  }

  /** A script that is still running; its output so far. */
  static final class Running implements AutoCloseable {
    final Process process;
    final List<String> out = new CopyOnWriteArrayList<>();
    final List<String> err = new CopyOnWriteArrayList<>();
    private final long started = System.nanoTime();
    private final Thread outReader;
    private final Thread errReader;

    private Running(Process process) {
      this.process = process;
      this.outReader = pump(process.getInputStream(), out, "stdout");
      this.errReader = pump(process.getErrorStream(), err, "stderr");
    }

    private static Thread pump(InputStream in, List<String> lines, String name) {
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) lines.add(line);
        } catch (IOException ignored) {
          // the process went away
        }
      }, "script-" + name);
      t.setDaemon(true);
      t.start();
      return t;
    }

    /** Waits until some line of {@code lines} matches; fails with everything printed so far. */
    String awaitLine(List<String> lines, Predicate<String> match, Duration timeout, String what) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (String l : lines) if (match.test(l)) return l;
        if (!process.isAlive() && finishedReading()) break;
        Thread.sleep(20);
      }
      for (String l : lines) if (match.test(l)) return l;
      throw new AssertionError("no line " + what + " within " + timeout + " (alive " + process.isAlive() + ")\n" + snapshot());
    }

    /** Waits until stdout has at least {@code n} lines. */
    List<String> awaitOut(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < n && System.nanoTime() < deadline && process.isAlive()) Thread.sleep(20);
      if (out.size() < n) throw new AssertionError("expected " + n + " lines on stdout within " + timeout + "\n" + snapshot());
      return List.copyOf(out);
    }

    Result await(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        close();
        throw new AssertionError("the script did not end within " + timeout + "\n" + snapshot());
      }
      outReader.join(5000);
      errReader.join(5000);
      return new Result(process.exitValue(), List.copyOf(out), List.copyOf(err), Duration.ofNanos(System.nanoTime() - started));
    }

    private boolean finishedReading() {
      return !outReader.isAlive() && !errReader.isAlive();
    }

    String snapshot() {
      return "--- stdout\n" + String.join("\n", out) + "\n--- stderr\n" + String.join("\n", err);
    }

    /** Ends the script (SIGTERM, then SIGKILL after 5 s). */
    @Override
    public void close() {
      if (!process.isAlive()) return;
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts {@code /usr/bin/python3 SCRIPT ARGS...} in examples/scripts (no script: just the options). */
  static Running start(String script, List<String> args) throws IOException {
    return start(List.of(), script, args, Map.of());
  }

  static Running start(List<String> pythonOptions, String script, List<String> args, Map<String, String> env)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(PYTHON);
    cmd.addAll(pythonOptions);
    if (script != null) cmd.add(DIR.resolve(script).toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(DIR.toFile());
    Map<String, String> e = pb.environment();
    // Only what a test says: no server, proto dir or Python path from the environment.
    e.keySet().removeIf(k -> k.startsWith("SVCPLANE_") || k.startsWith("PYTHON"));
    e.put("PATH", "/usr/bin:/bin:" + e.getOrDefault("PATH", ""));
    e.putAll(env);
    return new Running(pb.start());
  }

  static Result run(String script, String... args) throws Exception {
    return run(List.of(), script, List.of(args), Map.of());
  }

  static Result run(List<String> pythonOptions, String script, List<String> args, Map<String, String> env)
      throws Exception {
    try (Running r = start(pythonOptions, script, args, env)) {
      return r.await(Duration.ofSeconds(90));
    }
  }
}
