package io.svcplane.bench;

import io.svcplane.apiserver.feed.InMemoryFeedSource;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Data path benchmark: a svcplane ClusterIP (127.96.0.12:80) forwarding in user space to the three
 * nginx backends of {@code shared/peers/l4_proxy.sh} (127.244.50.{1,2,3}:8080), measured by that
 * script beside direct, HAProxy and nginx stream in the same runs.
 *
 * <p>This JVM runs a ProxyFeed server over an in-memory log holding that one service; the node
 * proxy is its own process ({@code NodeProxyMain --mode userspace}), whose pid the script samples
 * for CPU per request. Output goes to stdout and {@code bench/results/l4_proxy-TIMESTAMP.log}.
 *
 * <p>Args: {@code [path/to/l4_proxy.sh]}; env passes through (DUR, REPS, CONNS, ...).
 * PROXY_THREADS sets the proxy's event loops (default 2), PROXY_HEAP its -Xmx (default 256m).
 */
public final class L4DataPathBench {
  static final String VIP = "127.96.0.12";
  static final List<String> BACKENDS = List.of("127.244.50.1", "127.244.50.2", "127.244.50.3");
  static final String WARMUP_VIP = "127.96.0.13";
  static final List<String> WARMUP_BACKENDS = List.of("127.244.51.1", "127.244.51.2", "127.244.51.3");
  static final int NODE_PORT = 30080;
  static final int WARMUP_NODE_PORT = 30081;

  public static void main(String[] args) throws Exception {
    Path script = Path.of(args.length > 0 ? args[0] : "../shared/peers/l4_proxy.sh");
    if (!Files.exists(script) && !script.toString().equals("none")) script = Path.of("/work/shared/peers/l4_proxy.sh");
    FeedServer feed = FeedServer.start();
    InMemoryFeedSource log = feed.log;

    String version = log.put(service("svcplane-bench", VIP, NODE_PORT), Kinds.wrap(endpoints("svcplane-bench", BACKENDS)),
        service("svcplane-warmup", WARMUP_VIP, WARMUP_NODE_PORT), Kinds.wrap(endpoints("svcplane-warmup", WARMUP_BACKENDS)));

    String threads = System.getenv().getOrDefault("PROXY_THREADS", "2");
    List<Variant> variants = Variant.parse(System.getenv().getOrDefault("PROXY_VARIANTS", ""),
        System.getenv().getOrDefault("PROXY_TRANSPORT", "auto"), threads);
    List<Process> proxies = new ArrayList<>();
    List<List<String>> cmds = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) {
      Variant v = variants.get(i);
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx" + System.getenv().getOrDefault("PROXY_HEAP", "256m"), "-XX:+UseParallelGC"));
      String extraOpts = System.getenv().getOrDefault("PROXY_JAVA_OPTS", "");
      if (!extraOpts.isBlank()) cmd.addAll(List.of(extraOpts.trim().split("\\s+")));
      cmd.addAll(v.javaOpts());
      cmd.addAll(List.of(
          "-cp", System.getProperty("java.class.path"), "io.svcplane.proxy.NodeProxyMain",
          "--node", nodeName(i), "--address", nodeAddress(i), "--apiserver", feed.address(),
          "--mode", "userspace", "--threads", v.threads(), "--metrics-port", "-1", "--insecure", "--dns-port", "0"));
      cmds.add(cmd);
      proxies.add(new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("/tmp/svcplane-bench-proxy.log").toFile())).start());
    }
    Path results = Path.of("bench/results");
    Files.createDirectories(results);
    // Named after the script: l4_proxy-TIME.txt for the peers' script, l4-syscalls-TIME.txt for the profile.
    String prefix = script.getFileName().toString().replaceFirst("\\.sh$", "");
    Path out = results.resolve(prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".txt");
    int rc = 1;
    try {
      for (int i = 0; i < variants.size(); i++) {
        Process proxy = proxies.get(i);
        feed.awaitAck(nodeName(i), version, Duration.ofSeconds(90), proxy::isAlive,
            "proxy " + variants.get(i).label() + " did not program the service");
        System.out.println("svcplane proxy " + variants.get(i).label() + " pid " + proxies.get(i).pid() + " programmed " + VIP
            + ":80 and " + nodeAddress(i) + ":" + NODE_PORT + " -> " + BACKENDS + ":8080");
      }
      List<String> warmTargets = new ArrayList<>();
      for (int i = 0; i < variants.size(); i++) warmTargets.add("http://" + nodeAddress(i) + ":" + WARMUP_NODE_PORT + "/");
      warmUp(Integer.parseInt(System.getenv().getOrDefault("WARMUP_SECONDS", "4")),
          Integer.parseInt(System.getenv().getOrDefault("WARMUP_MAX_SECONDS", "180")), warmTargets, proxies);
      if (script.toString().equals("none")) {
        System.out.println("no script: warm-up only (for profiling)");
        return;
      }
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
      // One variant (the usual case): the ClusterIP, as a client in the cluster reaches it. Several:
      // each proxy's own node address at the NodePort, so each is measured alone (SVCPLANE_TARGETS).
      String url = variants.size() == 1 ? "http://" + VIP + ":80/index.html" : url(0);
      pb.environment().put("EXTRA_TARGET", variants.get(0).label() + " " + url);
      pb.environment().put("EXTRA_PID", Long.toString(proxies.get(0).pid()));
      List<String> targets = new ArrayList<>();
      for (int i = 0; i < variants.size(); i++) {
        targets.add(variants.get(i).label() + " " + (variants.size() == 1 ? url : url(i)) + " " + proxies.get(i).pid());
      }
      pb.environment().put("SVCPLANE_TARGETS", String.join(";", targets));
      Process bench = pb.start();
      try (var in = new BufferedReader(new InputStreamReader(bench.getInputStream(), StandardCharsets.UTF_8));
          var file = new PrintWriter(Files.newBufferedWriter(out))) {
        file.println("# load average at start: " + loadAverage());
        for (int i = 0; i < variants.size(); i++) {
          List<String> cmd = cmds.get(i);
          file.println("# " + variants.get(i).label() + ": " + String.join(" ", cmd.subList(0, cmd.indexOf("-cp")))
              + " ... NodeProxyMain --threads " + variants.get(i).threads());
        }
        String line;
        List<String> runs = new ArrayList<>();
        while ((line = in.readLine()) != null) {
          System.out.println(line);
          file.println(line);
          if (line.startsWith("RUN ")) runs.add(line);
        }
        List<String> labels = new ArrayList<>();
        variants.forEach(v -> labels.add(v.label()));
        String summary = summary(runs, labels);
        System.out.print(summary);
        file.print(summary);
        file.println("# load average at end: " + loadAverage());
      }
      rc = bench.waitFor();
      System.out.println("raw output: " + out);
    } finally {
      for (Process proxy : proxies) proxy.destroy();
      for (Process proxy : proxies) if (!proxy.waitFor(10, TimeUnit.SECONDS)) proxy.destroyForcibly();
      feed.close();
    }
    System.exit(rc);
  }

  private static ObjectMeta meta(String name) {
    return ObjectMeta.newBuilder().setNamespace("default").setName(name).build();
  }

  /** The script's table does not list the extra target: medians and ratios of every target, side by side. */
  static String summary(List<String> runs, List<String> proxies) {
    Map<String, List<Map<String, String>>> rows = new java.util.TreeMap<>();
    for (String r : runs) {
      Map<String, String> kv = new java.util.HashMap<>();
      for (String f : r.substring(4).split(" ")) {
        int eq = f.indexOf('=');
        if (eq > 0) kv.put(f.substring(0, eq), f.substring(eq + 1));
      }
      rows.computeIfAbsent(kv.get("conn") + " " + kv.get("target"), k -> new ArrayList<>()).add(kv);
    }
    StringBuilder out = new StringBuilder("\nSVCPLANE SUMMARY (median of runs; ratio = req/s / direct req/s, same mode)\n");
    out.append(String.format("%-9s %-13s %9s %8s %8s %10s %6s%n", "conn", "target", "req/s", "p50 ms", "p99 ms", "proxyCPU", "ratio"));
    for (String conn : List.of("keepalive", "close")) {
      double direct = median(rows.getOrDefault(conn + " direct", List.of()), "rps");
      List<String> targets = new ArrayList<>(List.of("direct", "haproxy", "nginx-stream"));
      targets.addAll(proxies);
      for (String target : targets) {
        var l = rows.get(conn + " " + target);
        if (l == null) continue;
        out.append(String.format("%-9s %-13s %9.0f %8.3f %8.3f %10s %6.2f%n", conn, target, median(l, "rps"),
            median(l, "p50_ms"), median(l, "p99_ms"),
            target.equals("direct") ? "-" : String.format("%.1fus", median(l, "proxy_cpu_us_per_req")),
            median(l, "rps") / direct));
      }
    }
    return out.toString();
  }

  private static double median(List<Map<String, String>> l, String key) {
    double[] v = l.stream().mapToDouble(m -> Double.parseDouble(m.get(key))).sorted().toArray();
    if (v.length == 0) return Double.NaN;
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static io.svcplane.api.v1.Resource service(String name, String vip, int nodePort) {
    return Kinds.wrap(Service.newBuilder().setMetadata(meta(name))
        .setSpec(ServiceSpec.newBuilder().setType("NodePort").setClusterIp(vip).addClusterIps(vip)
            .setExternalTrafficPolicy("Cluster")
            .addPorts(ServicePort.newBuilder().setPort(80).setTargetPort("8080").setProtocol("TCP").setNodePort(nodePort)))
        .build());
  }

  static String nodeName(int i) {
    return i == 0 ? "bench-node" : "bench-node-" + (i + 1);
  }

  static String nodeAddress(int i) {
    return "127.0.1." + (i + 1);
  }

  static String url(int i) {
    return "http://" + nodeAddress(i) + ":" + NODE_PORT + "/index.html";
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  /**
   * One proxy process to measure: {@code label=opt opt ...} where an option {@code threads=N}
   * sets its event loops and every other one is a JVM option (e.g.
   * {@code -Dsvcplane.proxy.transport=epoll}).
   */
  record Variant(String label, String threads, List<String> javaOpts) {
    /** {@code spec}: variants separated by ';'; empty: one proxy named svcplane. */
    static List<Variant> parse(String spec, String transport, String threads) {
      List<Variant> out = new ArrayList<>();
      if (spec.isBlank()) {
        out.add(new Variant("svcplane", threads, List.of("-Dsvcplane.proxy.transport=" + transport)));
        return out;
      }
      for (String v : spec.split(";")) {
        if (v.isBlank()) continue;
        int eq = v.indexOf('=');
        String label = (eq < 0 ? v : v.substring(0, eq)).trim();
        String t = threads;
        List<String> opts = new ArrayList<>();
        for (String o : (eq < 0 ? "" : v.substring(eq + 1)).trim().split("\\s+")) {
          if (o.isEmpty()) continue;
          if (o.startsWith("threads=")) t = o.substring("threads=".length());
          else opts.add(o);
        }
        out.add(new Variant(label, t, opts));
      }
      return out;
    }
  }

  private static Endpoints endpoints(String name, List<String> ips) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(8080).setProtocol("TCP"));
    ips.forEach(ip -> subset.addAddresses(EndpointAddress.newBuilder().setIp(ip)));
    return Endpoints.newBuilder().setMetadata(meta(name)).addSubsets(subset).build();
  }

  /**
   * The JVM's JIT compiles the relay only after it has run: warm it up through a second service
   * with its own small backends (the script's backend addresses must be free when it starts), in
   * rounds of {@code seconds} per target and connection mode, until the JIT compiler threads of every
   * proxy use under 3 % of its CPU in a round (or {@code maxSeconds} have passed). On a loaded
   * machine C2 takes minutes of wall clock; its compile time would otherwise be counted as CPU
   * per request.
   */
  private static void warmUp(int seconds, int maxSeconds, List<String> targets, List<Process> proxies) throws Exception {
    List<com.sun.net.httpserver.HttpServer> servers = new ArrayList<>();
    byte[] body = "warm-up\n".getBytes(StandardCharsets.UTF_8);
    for (String ip : WARMUP_BACKENDS) {
      var hs = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress(ip, 8080), 1024);
      hs.createContext("/", ex -> {
        ex.sendResponseHeaders(200, body.length);
        try (var o = ex.getResponseBody()) {
          o.write(body);
        }
      });
      hs.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2));
      hs.start();
      servers.add(hs);
    }
    long start = System.nanoTime();
    try {
      for (int round = 1; ; round++) {
        long[][] before = new long[proxies.size()][];
        for (int i = 0; i < proxies.size(); i++) before[i] = cpuTicks(proxies.get(i).pid());
        for (String target : targets) {
          for (String[] mode : List.of(new String[0], new String[] {"-H", "Connection: close"})) {
            List<String> wrk = new ArrayList<>(List.of("wrk", "-t2", "-c32", "-d" + seconds + "s"));
            wrk.addAll(List.of(mode));
            wrk.add(target);
            new ProcessBuilder(wrk).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
          }
        }
        boolean settled = true;
        StringBuilder shares = new StringBuilder();
        for (int i = 0; i < proxies.size(); i++) {
          long[] after = cpuTicks(proxies.get(i).pid());
          long total = after[0] - before[i][0];
          long jit = after[1] - before[i][1];
          double share = total == 0 ? 0 : (double) jit / total;
          if (share >= 0.03) settled = false;
          shares.append(String.format(" %.1f%%", 100 * share));
        }
        System.out.println("warm-up round " + round + ": JIT compiler share of proxy CPU" + shares);
        if (settled || System.nanoTime() - start > TimeUnit.SECONDS.toNanos(maxSeconds)) break;
      }
    } finally {
      servers.forEach(hs -> {
        hs.stop(0);
        ((java.util.concurrent.ExecutorService) hs.getExecutor()).shutdownNow();
      });
    }
    System.out.println("warmed the proxies up for " + (System.nanoTime() - start) / 1_000_000_000L + " s through " + targets);
  }

  /** {utime+stime of the process, of its JIT compiler threads} in clock ticks, from /proc. */
  static long[] cpuTicks(long pid) throws java.io.IOException {
    long total = 0;
    long jit = 0;
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
          total += ticks;
          if (Files.readString(t.resolve("comm")).contains("CompilerThre")) jit += ticks;
        } catch (java.nio.file.NoSuchFileException gone) {
          // a thread that ended meanwhile
        }
      }
    }
    return new long[] {total, jit};
  }
}
