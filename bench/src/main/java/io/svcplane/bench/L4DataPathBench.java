package io.svcplane.bench;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.apiserver.feed.NodeWriter;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.apiserver.feed.ProxyFeedService;
import io.svcplane.core.Kinds;
import io.svcplane.testkit.FreePorts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

  public static void main(String[] args) throws Exception {
    Path script = Path.of(args.length > 0 ? args[0] : "../shared/peers/l4_proxy.sh");
    if (!Files.exists(script) && !script.toString().equals("none")) script = Path.of("/work/shared/peers/l4_proxy.sh");
    MemoryFeedLog log = new MemoryFeedLog();
    Map<String, String> acked = new ConcurrentHashMap<>();
    NodeWriter noNodes = new NodeWriter() {
      @Override
      public Node create(Node node) {
        return node;
      }

      @Override
      public Node updateStatus(Node node) {
        return node;
      }
    };
    ProxyFeedHub hub = new ProxyFeedHub(log, noNodes, Duration.ofSeconds(10), Clock.systemUTC());
    hub.addObserver(new ProxyFeedHub.Observer() {
      @Override
      public void acked(String node, String version) {
        acked.put(node, version);
      }
    });
    hub.start();
    int feedPort = FreePorts.loopback();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", feedPort))
        .permitKeepAliveTime(5, TimeUnit.SECONDS).permitKeepAliveWithoutCalls(true)
        .addService(new ProxyFeedService(hub)).build().start();

    String version = log.put(service("svcplane-bench", VIP), Kinds.wrap(endpoints("svcplane-bench", BACKENDS)),
        service("svcplane-warmup", WARMUP_VIP), Kinds.wrap(endpoints("svcplane-warmup", WARMUP_BACKENDS)));

    String threads = System.getenv().getOrDefault("PROXY_THREADS", "2");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + System.getenv().getOrDefault("PROXY_HEAP", "256m"), "-XX:+UseParallelGC"));
    String extraOpts = System.getenv().getOrDefault("PROXY_JAVA_OPTS", "");
    if (!extraOpts.isBlank()) cmd.addAll(List.of(extraOpts.trim().split("\\s+")));
    cmd.addAll(List.of(
        "-cp", System.getProperty("java.class.path"), "io.svcplane.proxy.NodeProxyMain",
        "--node", "bench-node", "--address", "127.0.1.1", "--apiserver", "127.0.0.1:" + feedPort,
        "--mode", "userspace", "--threads", threads, "--metrics-port", "-1"));
    Process proxy = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("/tmp/svcplane-bench-proxy.log").toFile())).start();
    Path results = Path.of("bench/results");
    Files.createDirectories(results);
    Path out = results.resolve("l4_proxy-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".txt");
    int rc = 1;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!version.equals(acked.get("bench-node"))) {
        if (System.nanoTime() > deadline || !proxy.isAlive()) throw new IllegalStateException("the proxy did not program the service");
        Thread.sleep(20);
      }
      System.out.println("svcplane proxy pid " + proxy.pid() + " programmed " + VIP + ":80 -> " + BACKENDS + ":8080");
      warmUp(Integer.parseInt(System.getenv().getOrDefault("WARMUP_SECONDS", "4")));
      if (script.toString().equals("none")) {
        System.out.println("no script: warm-up only (for profiling)");
        return;
      }
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
      pb.environment().put("EXTRA_TARGET", "svcplane http://" + VIP + ":80/index.html");
      pb.environment().put("EXTRA_PID", Long.toString(proxy.pid()));
      Process bench = pb.start();
      try (var in = new BufferedReader(new InputStreamReader(bench.getInputStream(), StandardCharsets.UTF_8));
          var file = new PrintWriter(Files.newBufferedWriter(out))) {
        file.println("# " + String.join(" ", cmd.subList(0, 3)) + " ... NodeProxyMain --threads " + threads);
        String line;
        List<String> runs = new ArrayList<>();
        while ((line = in.readLine()) != null) {
          System.out.println(line);
          file.println(line);
          if (line.startsWith("RUN ")) runs.add(line);
        }
        String summary = summary(runs);
        System.out.print(summary);
        file.print(summary);
      }
      rc = bench.waitFor();
      System.out.println("raw output: " + out);
    } finally {
      proxy.destroy();
      if (!proxy.waitFor(10, TimeUnit.SECONDS)) proxy.destroyForcibly();
      server.shutdownNow();
      hub.close();
    }
    System.exit(rc);
  }

  private static ObjectMeta meta(String name) {
    return ObjectMeta.newBuilder().setNamespace("default").setName(name).build();
  }

  /** The script's table does not list the extra target: medians and ratios of every target, side by side. */
  static String summary(List<String> runs) {
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
      for (String target : List.of("direct", "haproxy", "nginx-stream", "svcplane")) {
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

  private static io.svcplane.api.v1.Resource service(String name, String vip) {
    return Kinds.wrap(Service.newBuilder().setMetadata(meta(name))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp(vip).addClusterIps(vip)
            .addPorts(ServicePort.newBuilder().setPort(80).setTargetPort("8080").setProtocol("TCP"))).build());
  }

  private static Endpoints endpoints(String name, List<String> ips) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(8080).setProtocol("TCP"));
    ips.forEach(ip -> subset.addAddresses(EndpointAddress.newBuilder().setIp(ip)));
    return Endpoints.newBuilder().setMetadata(meta(name)).addSubsets(subset).build();
  }

  /**
   * The JVM's JIT compiles the relay only after it has run: warm it up through a second service
   * with its own small backends (the script's backend addresses must be free when it starts).
   */
  private static void warmUp(int seconds) throws Exception {
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
    try {
      for (String[] mode : List.of(new String[0], new String[] {"-H", "Connection: close"})) {
        List<String> wrk = new ArrayList<>(List.of("wrk", "-t2", "-c32", "-d" + seconds + "s"));
        wrk.addAll(List.of(mode));
        wrk.add("http://" + WARMUP_VIP + ":80/");
        new ProcessBuilder(wrk).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
      }
    } finally {
      servers.forEach(hs -> {
        hs.stop(0);
        ((java.util.concurrent.ExecutorService) hs.getExecutor()).shutdownNow();
      });
    }
    System.out.println("warmed the proxy up for " + 2 * seconds + " s through " + WARMUP_VIP);
  }
}
