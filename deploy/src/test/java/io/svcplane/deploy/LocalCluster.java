package io.svcplane.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A local cluster driven through {@code bin/svcplane} and {@code bin/svcctl} of this checkout, as
 * a person would, beside any cluster a developer runs: its own state directory (under
 * deploy/target, so the logs stay after a failure), free ports, and its own loopback networks.
 */
final class LocalCluster {
  /** Networks of the test cluster, apart from the defaults (127.96/16, 127.0.1.N, 127.244/16). */
  static final String SERVICE_NET = "127.98";
  static final String NODE_NET = "127.0.9";
  static final String POD_NET = "127.246";

  final Path repo;
  final Path home;
  final Map<String, String> env = new HashMap<>();

  record Result(int exitCode, String output) {
    Result expectSuccess(String what) {
      if (exitCode != 0) fail(what + " exited " + exitCode + ":\n" + output);
      return this;
    }
  }

  LocalCluster(Path home) throws IOException {
    this.repo = repoRoot();
    this.home = home;
    Files.createDirectories(home);
    int kafka = freePortPair();
    int apiserver = freePort();
    env.put("SVCPLANE_HOME", home.toString());
    env.put("SVCPLANE_KAFKA_PORT", Integer.toString(kafka));
    env.put("SVCPLANE_APISERVER_PORT", Integer.toString(apiserver));
    env.put("SVCPLANE_CONTROLLER_PORT", Integer.toString(freePort()));
    env.put("SVCPLANE_PROXY_PORT", Integer.toString(freePort()));
    env.put("SVCPLANE_SERVICE_NET", SERVICE_NET);
    env.put("SVCPLANE_NODE_NET", NODE_NET);
    env.put("SVCPLANE_POD_NET", POD_NET);
    env.put("SVCPLANE_SERVER", "127.0.0.1:" + apiserver);
    env.put("SVCPLANE_WAIT", "180");
    // not the default (512m): LocalClusterIT checks that up passes it on and saves it
    env.put("SVCPLANE_APISERVER_HEAP", APISERVER_HEAP);
  }

  static final String APISERVER_HEAP = "448m";

  /** The checkout: the parent of this module's directory (failsafe runs in the module). */
  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isExecutable(dir.resolve("bin/svcplane"))) dir = dir.getParent();
    if (dir == null) throw new IllegalStateException("bin/svcplane not found above " + Path.of("").toAbsolutePath());
    return dir;
  }

  /** Runs a bash script in the checkout, with this cluster's environment; stdout and stderr merged. */
  Result bash(String script, Duration timeout) {
    try {
      ProcessBuilder pb = new ProcessBuilder("bash", "-o", "pipefail", "-ec", script).directory(repo.toFile())
          .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().putAll(env);
      Process p = pb.start();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail("timed out after " + timeout + ": " + script + "\n" + out.getNow("(no output)"));
      }
      return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new AssertionError("cannot run: " + script, e);
    }
  }

  Result svcplane(String args) {
    return bash("bin/svcplane " + args, Duration.ofMinutes(8));
  }

  Result svcctl(String args) {
    return bash("bin/svcctl " + args, Duration.ofMinutes(2));
  }

  /** The pid in STATE/COMPONENT.pid, or -1. */
  long pid(String component) {
    try {
      return Long.parseLong(Files.readString(home.resolve(component + ".pid")).trim());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  Map<String, Long> pids(List<String> components) {
    Map<String, Long> m = new HashMap<>();
    for (String c : components) m.put(c, pid(c));
    return m;
  }

  /** A setting `bin/svcplane up` chose and saved in STATE/cluster.env ({@code saved_NAME=value}), or null. */
  String saved(String name) {
    try {
      for (String line : Files.readAllLines(home.resolve("cluster.env"))) {
        if (line.startsWith("saved_" + name + "=")) return line.substring(("saved_" + name + "=").length()).trim();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  String clusterIp(String suffix) {
    return SERVICE_NET + "." + suffix;
  }

  String nodeAddress(int n) {
    return NODE_NET + "." + n;
  }

  /**
   * Names that answered {@code count} HTTP GETs to host:port, each on a new connection (so each
   * is a new choice of endpoint by the proxy).
   */
  static Set<String> answers(String host, int port, int count) {
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < count; i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 2000);
        s.setSoTimeout(3000);
        OutputStream out = s.getOutputStream();
        out.write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String response = readAll(s.getInputStream());
        int body = response.indexOf("\r\n\r\n");
        names.add(body < 0 ? "(bad response) " + response : response.substring(body + 4).strip());
      } catch (IOException e) {
        names.add("(error) " + e.getMessage());
      }
    }
    return names;
  }

  /** Polls {@code value} until it passes {@code test} or the time is up; returns the last value. */
  static <T> T await(Supplier<T> value, Predicate<T> test, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    T v = value.get();
    while (!test.test(v) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      v = value.get();
    }
    return v;
  }

  /** The last lines of every component log, for a failure message. */
  String logTails() {
    StringBuilder b = new StringBuilder();
    try (var files = Files.list(home)) {
      for (Path log : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(log);
        b.append("--- ").append(log.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> b.append(l).append('\n'));
      }
    } catch (IOException e) {
      b.append("(cannot read logs: ").append(e).append(")\n");
    }
    return b.toString();
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(read failed: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress("0.0.0.0", 0));
      return s.getLocalPort();
    }
  }

  /** A free port P with P+1 free too (the broker's controller listener takes P+1). */
  private static int freePortPair() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int p = freePort();
      if (p >= 65535) continue;
      try (ServerSocket next = new ServerSocket()) {
        next.bind(new InetSocketAddress("127.0.0.1", p + 1));
        return p;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no two consecutive free ports found");
  }

  static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    for (String l : text.split("\n")) if (!l.isBlank()) out.add(l);
    return out;
  }
}
