package io.svcplane.svcctl;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Runs svcctl in-process with captured streams: the exit code, stdout and stderr of one command. */
final class Cli {
  record Result(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final Map<String, String> env = new HashMap<>();
  private Clock clock = Clock.systemUTC();
  private ZoneId zone = ZoneId.of("UTC");

  Cli server(String hostPort) {
    env.put("SVCPLANE_SERVER", hostPort);
    return this;
  }

  Cli env(String name, String value) {
    env.put(name, value);
    return this;
  }

  Cli clock(Clock c) {
    this.clock = c;
    return this;
  }

  Result run(String... args) {
    return runWithStdin("", args);
  }

  /** A command running in the background (get -w): its output so far, and a way to stop it. */
  final class Background {
    private final ByteArrayOutputStream out;
    private final ByteArrayOutputStream err;
    private final ExecutorService thread;
    private final Future<Integer> code;

    private Background(ByteArrayOutputStream out, ByteArrayOutputStream err, ExecutorService thread, Future<Integer> code) {
      this.out = out;
      this.err = err;
      this.thread = thread;
      this.code = code;
    }

    String out() {
      return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
      return err.toString(StandardCharsets.UTF_8);
    }

    /** Waits until stdout satisfies {@code condition}; fails with what was printed after {@code timeout}. */
    String awaitOut(Predicate<String> condition, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        String o = out();
        if (condition.test(o)) return o;
        if (code.isDone()) break;
        Thread.sleep(20);
      }
      throw new AssertionError("not printed within " + timeout + "\n--- stdout\n" + out() + "--- stderr\n" + err());
    }

    /** Interrupts the command (Ctrl-C in-process) and returns its exit code. */
    int stop() throws Exception {
      thread.shutdownNow();
      if (!thread.awaitTermination(10, TimeUnit.SECONDS)) throw new AssertionError("svcctl did not stop");
      return code.get();
    }
  }

  Background start(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Terminal t = new Terminal(new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.copyOf(env), clock, zone);
    ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "svcctl-background"));
    return new Background(out, err, thread, thread.submit(() -> Svcctl.run(t, args)));
  }

  Result runWithStdin(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Terminal t = new Terminal(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.copyOf(env), clock, zone);
    int code = Svcctl.run(t, args);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
