package io.svcplane.bench;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import io.svcplane.proxy.nftables.NftCommand;
import io.svcplane.proxy.nftables.NftablesBackend;
import io.svcplane.proxy.nftables.NodeNetwork;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Data path: the kernel DNAT of the nftables backend beside the userspace proxy, measured the way
 * {@code shared/peers/kernel_dnat.sh} measures kube-proxy's shape, in one network namespace
 * created here (the benchmark re-runs itself inside it) and deleted at the end.
 *
 * <p>As in the peers' script: three nginx backends on 10.244.0.{1,2,3}:8080 (veth kv1), the
 * client wrk on 10.244.1.1 (kv0), every address local to the namespace, so the comparison
 * isolates conntrack, NAT and the proxy. Variants, each with keep-alive and with "Connection:
 * close": {@code direct} (no table), {@code direct+ct} (direct with the svcplane table loaded, so
 * conntrack runs), {@code peer-dnat3} (the peers' 3-entry numgen map), {@code svcplane-nft}
 * (10.96.0.10:80 through the backend's whole table with SCALE_SERVICES filler services of 10
 * endpoints), {@code svcplane-userspace} (10.96.0.11:80 through a node proxy process in userspace
 * mode fed by a ProxyFeed server in this JVM; no table loaded). conntrack is flushed between runs.
 *
 * <p>Env: DUR (10 s), THREADS (2), CONNS (64), REPS (3), SCALE_SERVICES (10000), PROXY_THREADS (2).
 * Needs root, iproute2, nftables, conntrack, nginx, wrk. Run from the repository root; output on
 * stdout and in {@code bench/results/nftables_datapath-TIMESTAMP.txt}.
 */
public final class NftablesDataPathBench {
  static final List<String> BACKENDS = List.of("10.244.0.1", "10.244.0.2", "10.244.0.3");
  static final String CLIENT = "10.244.1.1";
  static final String NFT_VIP = "10.96.0.10";
  static final String USERSPACE_VIP = "10.96.0.11";

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--inside")) {
      inside();
      return;
    }
    String ns = "svp-datapath-" + ProcessHandle.current().pid();
    sh("ip", "netns", "add", ns);
    int rc;
    try {
      List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns,
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
          "-cp", System.getProperty("java.class.path"), NftablesDataPathBench.class.getName(), "--inside"));
      rc = new ProcessBuilder(cmd).inheritIO().start().waitFor();
    } finally {
      sh("ip", "netns", "del", ns);
    }
    System.exit(rc);
  }

  private static void inside() throws Exception {
    int dur = intEnv("DUR", 10);
    int threads = intEnv("THREADS", 2);
    int conns = intEnv("CONNS", 64);
    int reps = intEnv("REPS", 3);
    int scale = intEnv("SCALE_SERVICES", 10000);
    Path tmp = Files.createTempDirectory("svcplane-datapath");
    List<Process> processes = new ArrayList<>();
    Path results = Path.of("bench/results");
    Files.createDirectories(results);
    Path out = results.resolve("nftables_datapath-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".txt");
    try (PrintWriter file = new PrintWriter(Files.newBufferedWriter(out))) {
      Log log = new Log(file);
      network();
      for (int i = 0; i < BACKENDS.size(); i++) processes.add(nginx(tmp, i + 1, BACKENDS.get(i)));
      for (String b : BACKENDS) awaitListening(b + ":8080");

      // The userspace proxy, fed by an in-memory log through a real ProxyFeed server.
      FeedServer feed = FeedServer.start();
      String version = feed.log.put(service("userspace", USERSPACE_VIP), Kinds.wrap(endpoints("userspace")));
      Process proxy = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), "io.svcplane.proxy.NodeProxyMain",
          "--node", "bench-node", "--address", CLIENT, "--apiserver", feed.address(), "--mode", "userspace",
          "--threads", System.getenv().getOrDefault("PROXY_THREADS", "2"), "--metrics-port", "-1", "--insecure", "--dns-port", "0")
          .redirectErrorStream(true).redirectOutput(tmp.resolve("proxy.log").toFile()).start();
      processes.add(proxy);
      feed.awaitAck("bench-node", version, Duration.ofSeconds(60), proxy::isAlive, "the userspace proxy did not program its service");

      ForwardingTable table = table(scale);
      Files.writeString(tmp.resolve("dnat3.nft"), "table ip peerdnat {\n  chain out {\n"
          + "    type nat hook output priority -100; policy accept;\n"
          + "    ip daddr " + NFT_VIP + " tcp dport 80 dnat ip to numgen random mod 3 map { 0 : " + BACKENDS.get(0)
          + " . 8080, 1 : " + BACKENDS.get(1) + " . 8080, 2 : " + BACKENDS.get(2) + " . 8080 }\n  }\n}\n");

      log.line("# " + Runtime.getRuntime().availableProcessors() + " cores; kernel " + sh("uname", "-r").strip() + "; "
          + sh("nft", "--version").strip() + "; wrk -t" + threads + " -c" + conns + " -d" + dur + "s; 3 nginx backends; "
          + "svcplane table with " + (scale + 1) + " services; userspace proxy pid " + proxy.pid());
      // Variant -> {table, url}.
      Map<String, String[]> variants = new LinkedHashMap<>();
      variants.put("direct", new String[] {"none", "http://" + BACKENDS.get(0) + ":8080/index.html"});
      variants.put("direct+ct", new String[] {"svcplane", "http://" + BACKENDS.get(0) + ":8080/index.html"});
      variants.put("peer-dnat3", new String[] {"dnat3", "http://" + NFT_VIP + ":80/index.html"});
      variants.put("svcplane-nft", new String[] {"svcplane", "http://" + NFT_VIP + ":80/index.html"});
      variants.put("svcplane-userspace", new String[] {"none", "http://" + USERSPACE_VIP + ":80/index.html"});

      Tables tables = new Tables(table, tmp.resolve("dnat3.nft"), log);
      // Every variant answers 200; the userspace proxy's JIT warms up meanwhile (8 s).
      for (var v : variants.entrySet()) {
        tables.set(v.getValue()[0]);
        Wrk w = wrk(1, 1, 1, false, v.getValue()[1]);
        if (w.requests() == 0 || w.errors() > 0) throw new IllegalStateException(v.getKey() + " does not answer: " + w.raw());
      }
      tables.set("none");
      wrk(threads, 32, 4, false, variants.get("svcplane-userspace")[1]);
      wrk(threads, 32, 4, true, variants.get("svcplane-userspace")[1]);

      List<Map<String, String>> runs = new ArrayList<>();
      for (int rep = 1; rep <= reps; rep++) {
        for (var v : variants.entrySet()) {
          tables.set(v.getValue()[0]);
          for (boolean close : List.of(false, true)) {
            sh("conntrack", "-F");
            long cpu0 = v.getKey().equals("svcplane-userspace") ? cpuTicks(proxy.pid()) : 0;
            Wrk w = wrk(threads, conns, dur, close, v.getValue()[1]);
            long cpu1 = v.getKey().equals("svcplane-userspace") ? cpuTicks(proxy.pid()) : 0;
            Map<String, String> run = new LinkedHashMap<>();
            run.put("rep", Integer.toString(rep));
            run.put("conn", close ? "close" : "keepalive");
            run.put("target", v.getKey());
            run.put("rps", String.format("%.0f", w.rps()));
            run.put("p50_ms", String.format("%.3f", w.p50Ms()));
            run.put("p99_ms", String.format("%.3f", w.p99Ms()));
            run.put("requests", Long.toString(w.requests()));
            run.put("errors", Long.toString(w.errors()));
            run.put("proxy_cpu_us_per_req", w.requests() == 0 ? "0"
                : String.format("%.1f", (cpu1 - cpu0) * 10_000.0 / w.requests()));
            runs.add(run);
            StringBuilder line = new StringBuilder("RUN");
            run.forEach((k, val) -> line.append(' ').append(k).append('=').append(val));
            log.line(line.toString());
            Thread.sleep(1000);
          }
        }
      }
      tables.set("none");
      log.line(summary(runs, variants.keySet()));
      feed.close();
    } finally {
      for (Process p : processes) p.destroy();
      for (Process p : processes) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
      }
      sh("nft", "flush", "ruleset");
    }
    System.out.println("raw data: " + out);
  }

  /** Loads the table a variant needs, only when it changes. */
  private static final class Tables {
    private final ForwardingTable table;
    private final Path dnat3;
    private final Log log;
    private String current = "";

    Tables(ForwardingTable table, Path dnat3, Log log) {
      this.table = table;
      this.dnat3 = dnat3;
      this.log = log;
    }

    void set(String which) throws Exception {
      if (which.equals(current)) return;
      sh("nft", "flush", "ruleset");
      switch (which) {
        case "svcplane" -> {
          // A fresh backend each time: its first sync is a full one.
          NftablesBackend b = new NftablesBackend(new NodeNetwork("node-0", List.of(CLIENT), "10.244.0.0/16"), NftCommand.local());
          long t0 = System.nanoTime();
          b.apply(table);
          log.line(String.format("# loaded the svcplane table (%d service ports) in %.3f s", table.rules().size(),
              (System.nanoTime() - t0) / 1e9));
        }
        case "dnat3" -> sh("nft", "-f", dnat3.toString());
        default -> { }
      }
      current = which;
    }
  }

  static ForwardingTable table(int scale) {
    List<ServicePortRule> rules = new ArrayList<>();
    List<Endpoint> target = new ArrayList<>();
    for (String b : BACKENDS) target.add(new Endpoint(b, 8080, "node-0", true, true, false));
    rules.add(new ServicePortRule(new ServicePortName("default", "target", ""), Protocol.TCP, NFT_VIP, 80, 0, false, false, 0, target));
    for (int i = 0; i < scale; i++) {
      List<Endpoint> e = new ArrayList<>();
      for (int k = 0; k < 10; k++) {
        int x = i * 10 + k;
        e.add(new Endpoint(String.format("10.%d.%d.%d", 200 + x / 62500, (x / 250) % 250, x % 250 + 1), 8080, "node-1", true, true, false));
      }
      rules.add(new ServicePortRule(new ServicePortName("filler", "svc-" + i, ""), Protocol.TCP,
          String.format("10.97.%d.%d", i / 250, i % 250 + 1), 80, 0, false, false, 0, e));
    }
    return ForwardingTable.of(rules);
  }

  private static void network() throws Exception {
    sh("ip", "link", "set", "lo", "up");
    sh("ip", "link", "add", "kv0", "type", "veth", "peer", "name", "kv1");
    for (String b : BACKENDS) sh("ip", "addr", "add", b + "/24", "dev", "kv1");
    sh("ip", "addr", "add", CLIENT + "/24", "dev", "kv0");
    sh("ip", "link", "set", "kv0", "up");
    sh("ip", "link", "set", "kv1", "up");
    sh("ip", "route", "add", "10.96.0.0/12", "dev", "kv0", "src", CLIENT);
    // The userspace proxy listens on its ClusterIP: the address must be local.
    sh("ip", "addr", "add", USERSPACE_VIP + "/32", "dev", "lo");
  }

  /** nginx as in the peers' script: 64-byte file, reuseport, access log off. */
  private static Process nginx(Path tmp, int i, String ip) throws IOException {
    Path www = tmp.resolve("www");
    Files.createDirectories(www);
    Files.writeString(www.resolve("index.html"), "peer-baseline tiny static file, 64 bytes of payload..........\n");
    tmp.toFile().setExecutable(true, false);
    www.toFile().setExecutable(true, false);
    www.resolve("index.html").toFile().setReadable(true, false);
    Path conf = tmp.resolve("b" + i + ".conf");
    Files.writeString(conf, "worker_processes auto;\ndaemon off;\nmaster_process on;\npid " + tmp + "/b" + i + ".pid;\n"
        + "error_log " + tmp + "/b" + i + ".err warn;\nevents { worker_connections 8192; }\nhttp {\n  access_log off;\n"
        + "  sendfile on; tcp_nopush on; tcp_nodelay on;\n  keepalive_timeout 65; keepalive_requests 100000000;\n"
        + "  default_type text/plain;\n  server { listen " + ip + ":8080 backlog=4096 reuseport; root " + www
        + "; location / { } }\n}\n");
    return new ProcessBuilder("nginx", "-e", tmp + "/b" + i + ".err", "-p", tmp.toString(), "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(tmp.resolve("b" + i + ".out").toFile()).start();
  }

  private static void awaitListening(String address) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!sh("ss", "-Hltn").contains(address)) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("nothing listens on " + address);
      Thread.sleep(50);
    }
  }

  record Wrk(double rps, double p50Ms, double p99Ms, long requests, long errors, String raw) {}

  static Wrk wrk(int threads, int conns, int seconds, boolean close, String url) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + conns, "-d" + seconds + "s", "--latency"));
    if (close) cmd.addAll(List.of("-H", "Connection: close"));
    cmd.add(url);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String raw = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    double rps = 0;
    double p50 = 0;
    double p99 = 0;
    long requests = 0;
    long errors = 0;
    for (String line : raw.split("\n")) {
      String l = line.strip();
      String[] f = l.split("\\s+");
      if (l.startsWith("Requests/sec:")) rps = Double.parseDouble(f[1]);
      else if (l.startsWith("50%")) p50 = ms(f[1]);
      else if (l.startsWith("99%")) p99 = ms(f[1]);
      else if (l.contains("requests in")) requests = Long.parseLong(f[0]);
      else if (l.startsWith("Socket errors:")) {
        for (String x : l.replace(",", "").split("\\s+")) if (x.matches("\\d+")) errors += Long.parseLong(x);
      } else if (l.startsWith("Non-2xx")) errors += Long.parseLong(f[f.length - 1]);
    }
    return new Wrk(rps, p50, p99, requests, errors, raw);
  }

  private static double ms(String v) {
    if (v.endsWith("us")) return Double.parseDouble(v.substring(0, v.length() - 2)) / 1000;
    if (v.endsWith("ms")) return Double.parseDouble(v.substring(0, v.length() - 2));
    if (v.endsWith("s")) return Double.parseDouble(v.substring(0, v.length() - 1)) * 1000;
    return Double.parseDouble(v);
  }

  /** utime + stime of a process and its threads, in clock ticks (1/100 s). */
  private static long cpuTicks(long pid) throws IOException {
    String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceAll("^.*\\) ", "").split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  static String summary(List<Map<String, String>> runs, Iterable<String> targets) {
    StringBuilder out = new StringBuilder("\nSUMMARY (median of runs; ratio = req/s / direct req/s, same connection mode)\n");
    out.append(String.format("%-9s %-19s %9s %17s %8s %8s %10s %6s%n", "conn", "target", "req/s", "[min-max]", "p50 ms", "p99 ms",
        "proxyCPU", "ratio"));
    for (String conn : List.of("keepalive", "close")) {
      double direct = median(select(runs, conn, "direct"), "rps");
      for (String target : targets) {
        var l = select(runs, conn, target);
        if (l.isEmpty()) continue;
        double[] r = l.stream().mapToDouble(m -> Double.parseDouble(m.get("rps"))).sorted().toArray();
        out.append(String.format("%-9s %-19s %9.0f %17s %8.3f %8.3f %10s %6.2f%n", conn, target, median(l, "rps"),
            String.format("[%.0f-%.0f]", r[0], r[r.length - 1]), median(l, "p50_ms"), median(l, "p99_ms"),
            target.equals("svcplane-userspace") ? String.format("%.1fus", median(l, "proxy_cpu_us_per_req")) : "-",
            median(l, "rps") / direct));
      }
    }
    return out.toString();
  }

  private static List<Map<String, String>> select(List<Map<String, String>> runs, String conn, String target) {
    return runs.stream().filter(m -> m.get("conn").equals(conn) && m.get("target").equals(target)).toList();
  }

  private static double median(List<Map<String, String>> l, String key) {
    double[] v = l.stream().mapToDouble(m -> Double.parseDouble(m.get(key))).sorted().toArray();
    if (v.length == 0) return Double.NaN;
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static io.svcplane.api.v1.Resource service(String name, String vip) {
    return Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp(vip).addClusterIps(vip)
            .addPorts(ServicePort.newBuilder().setPort(80).setTargetPort("8080").setProtocol("TCP"))).build());
  }

  private static Endpoints endpoints(String name) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(8080).setProtocol("TCP"));
    BACKENDS.forEach(ip -> subset.addAddresses(EndpointAddress.newBuilder().setIp(ip)));
    return Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name)).addSubsets(subset).build();
  }

  private static int intEnv(String name, int dflt) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? dflt : Integer.parseInt(v);
  }

  static String sh(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + ": " + s);
    return s;
  }

  private record Log(PrintWriter file) {
    void line(String s) {
      System.out.println(s);
      file.println(s);
      file.flush();
    }
  }
}
