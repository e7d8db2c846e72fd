package io.svcplane.bench;

import io.svcplane.apiserver.feed.InMemoryFeedSource;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.proxy.NodeProxy;
import io.svcplane.proxy.dns.DnsSettings;
import io.svcplane.proxy.userspace.NettyTransport;
import io.svcplane.testkit.FreePorts;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DNS benchmark: queries per second over UDP answered by one node proxy's DNS server, beside a
 * trivial UDP echo server (Netty, same event loops, same socket setup) that sends every query
 * packet straight back, in the same run. Debian's {@code dnsperf} sends the same query set to
 * both, alternating, {@code REPS} times; the figures are medians and the ratio is DNS / echo.
 *
 * <p>This JVM runs a ProxyFeed server over an in-memory log holding {@code SERVICES} ClusterIP
 * services (named port "http") and {@code HEADLESS} headless services with 3 ready endpoints
 * each, all in namespace "bench", and one node proxy (dry-run forwarding, DNS on
 * 127.0.1.250:PORT) fed by it. The echo server listens on 127.0.1.251:PORT. The query mix is the
 * one a pod's resolver sends (see bench/README.md). Output goes to stdout and
 * {@code bench/results/dns_qps-TIMESTAMP.txt} with every dnsperf run's raw output.
 *
 * <p>Env: SERVICES (1000), HEADLESS (100), DUR seconds per run (10), REPS (3), WARMUP seconds (8),
 * CLIENTS dnsperf -c (8), OUTSTANDING dnsperf -q (256), PERF_THREADS dnsperf -T (1),
 * DNS_THREADS event loops of the DNS server and of the echo (2).
 */
public final class DnsBench {
  static final String NS = "bench";
  static final String DNS_IP = "127.0.1.250";
  static final String ECHO_IP = "127.0.1.251";
  private static final Pattern QPS = Pattern.compile("Queries per second:\\s+([0-9.]+)");
  private static final Pattern LOST = Pattern.compile("Queries lost:\\s+(\\d+)");
  private static final Pattern COMPLETED = Pattern.compile("Queries completed:\\s+(\\d+)");
  private static final Pattern LATENCY = Pattern.compile("Average Latency \\(s\\):\\s+([0-9.]+)");
  private static final Pattern CODES = Pattern.compile("Response codes:\\s+(.*)");

  record Run(String target, double qps, long completed, long lost, double latencyMs, double cpuUsPerQuery, String codes) {}

  public static void main(String[] args) throws Exception {
    int services = env("SERVICES", 1000);
    int headless = env("HEADLESS", 100);
    int dur = env("DUR", 10);
    int reps = env("REPS", 3);
    int warmup = env("WARMUP", 8);
    int threads = env("DNS_THREADS", 2);
    requireDnsperf();

    FeedServer feed = FeedServer.start();
    InMemoryFeedSource log = feed.log;
    List<Resource> objects = new ArrayList<>();
    for (int i = 0; i < services; i++) objects.add(clusterIpService(i));
    for (int i = 0; i < headless; i++) {
      objects.add(headlessService(i));
      objects.add(Kinds.wrap(headlessEndpoints(i)));
    }
    String version = log.put(objects.toArray(Resource[]::new));

    int port = freeUdpPort(DNS_IP, ECHO_IP);
    Path dryRun = Files.createTempFile("svcplane-dns-bench", ".json");
    Path results = Path.of("bench/results");
    Files.createDirectories(results);
    Path out = results.resolve("dns_qps-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".txt");
    Path queries = Files.createTempFile("svcplane-dns-queries", ".txt");
    NettyTransport echoLoops = new NettyTransport(threads);
    List<Channel> echo = echoLoops.bindUdp(new InetSocketAddress(ECHO_IP, port), Echo::new).get(10, TimeUnit.SECONDS);
    DnsSettings dns = DnsSettings.parse(DNS_IP, port, "cluster.local", 5, null, threads);
    try (NodeProxy proxy = NodeProxy.start(new NodeProxy.Config("bench-dns", DNS_IP, feed.address(), "dry-run", dryRun, 1, dns));
        PrintWriter file = new PrintWriter(Files.newBufferedWriter(out))) {
      feed.awaitAck("bench-dns", version, Duration.ofSeconds(60), () -> true, "the proxy did not program the services");
      List<String> mix = queryMix(services, headless, 10_000, new Random(11));
      Files.write(queries, mix, StandardCharsets.UTF_8);
      String header = String.format("# DnsBench %s: %d ClusterIP + %d headless services; %d queries in the set; "
              + "dnsperf -c %d -q %d -T %d -l %d; %d event loops for DNS and echo; %d cores; %s", LocalDateTime.now(), services, headless,
          mix.size(), env("CLIENTS", 8), env("OUTSTANDING", 256), env("PERF_THREADS", 1), dur, threads,
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
      System.out.println(header);
      file.println(header);

      System.out.println("warm-up: " + warmup + " s each");
      dnsperf(port, DNS_IP, queries, warmup, null);
      dnsperf(port, ECHO_IP, queries, warmup, null);
      List<Run> runs = new ArrayList<>();
      for (int r = 1; r <= reps; r++) {
        for (String target : List.of("echo", "svcplane-dns")) {
          String ip = target.equals("echo") ? ECHO_IP : DNS_IP;
          file.println("## rep " + r + " " + target + " " + ip + ":" + port);
          Run run = dnsperf(port, ip, queries, dur, file);
          run = new Run(target, run.qps(), run.completed(), run.lost(), run.latencyMs(), run.cpuUsPerQuery(), run.codes());
          runs.add(run);
          String line = String.format("RUN rep=%d target=%s qps=%.0f completed=%d lost=%d avg_latency_ms=%.3f cpu_us_per_query=%.2f codes=[%s]",
              r, target, run.qps(), run.completed(), run.lost(), run.latencyMs(), run.cpuUsPerQuery(), run.codes());
          System.out.println(line);
          file.println(line);
        }
      }
      String summary = summary(runs);
      System.out.print(summary);
      file.print(summary);
    } finally {
      NettyTransport.closeAll(echo).get(5, TimeUnit.SECONDS);
      echoLoops.close();
      feed.close();
      Files.deleteIfExists(dryRun);
      Files.deleteIfExists(queries);
    }
    System.out.println("raw output: " + out);
    System.exit(0);
  }

  /**
   * What a pod's resolver sends (ndots:5, search NS.svc.cluster.local ...): A and AAAA for
   * services in other namespaces' search-list misses (NXDOMAIN), then the hit; plus headless
   * lookups and SRV. Shuffled with a fixed seed.
   */
  static List<String> queryMix(int services, int headless, int n, Random random) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int p = random.nextInt(100);
      String svc = "svc-" + random.nextInt(services);
      if (p < 40) out.add(svc + "." + NS + ".svc.cluster.local A");
      else if (p < 60) out.add(svc + "." + NS + ".svc.cluster.local AAAA");
      else if (p < 80) out.add(svc + "." + NS + "." + NS + ".svc.cluster.local A");
      else if (p < 90) out.add("db-" + random.nextInt(Math.max(1, headless)) + "." + NS + ".svc.cluster.local A");
      else out.add("_http._tcp." + svc + "." + NS + ".svc.cluster.local SRV");
    }
    return out;
  }

  static Run dnsperf(int port, String ip, Path queries, int seconds, PrintWriter raw) throws IOException, InterruptedException {
    List<String> cmd = List.of("dnsperf", "-s", ip, "-p", Integer.toString(port), "-d", queries.toString(),
        "-l", Integer.toString(seconds), "-c", Integer.toString(env("CLIENTS", 8)), "-q", Integer.toString(env("OUTSTANDING", 256)),
        "-T", Integer.toString(env("PERF_THREADS", 1)), "-t", "2");
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("dnsperf did not finish");
    }
    long cpu = os.getProcessCpuTime() - cpu0;
    if (raw != null) {
      raw.println("$ " + String.join(" ", cmd));
      raw.println(text);
    }
    double qps = number(QPS, text);
    long completed = (long) number(COMPLETED, text);
    if (Double.isNaN(qps)) throw new IllegalStateException("dnsperf printed no figures:\n" + text);
    Matcher codes = CODES.matcher(text);
    return new Run("", qps, completed, (long) number(LOST, text), number(LATENCY, text) * 1000,
        completed == 0 ? Double.NaN : cpu / 1000.0 / completed, codes.find() ? codes.group(1).trim() : "");
  }

  static String summary(List<Run> runs) {
    double echo = median(runs, "echo", Run::qps);
    double dns = median(runs, "svcplane-dns", Run::qps);
    StringBuilder s = new StringBuilder("\nDNS SUMMARY (median of runs; UDP; same query set, same dnsperf settings)\n");
    s.append(String.format("%-13s %10s %14s %16s %8s%n", "target", "qps", "avg latency ms", "JVM CPU us/query", "ratio"));
    for (String t : List.of("echo", "svcplane-dns")) {
      s.append(String.format("%-13s %10.0f %14.3f %16.2f %8.2f%n", t, median(runs, t, Run::qps), median(runs, t, Run::latencyMs),
          median(runs, t, Run::cpuUsPerQuery), median(runs, t, Run::qps) / echo));
    }
    double[] ratios = new double[runs.size() / 2];
    for (int i = 0; i + 1 < runs.size(); i += 2) ratios[i / 2] = runs.get(i + 1).qps() / runs.get(i).qps();
    Arrays.sort(ratios);
    s.append(String.format("svcplane-dns / echo: %.2f (per repetition %.2f-%.2f)%n", dns / echo,
        ratios.length == 0 ? Double.NaN : ratios[0], ratios.length == 0 ? Double.NaN : ratios[ratios.length - 1]));
    return s.toString();
  }

  private static double median(List<Run> runs, String target, java.util.function.ToDoubleFunction<Run> f) {
    double[] v = runs.stream().filter(r -> r.target().equals(target)).mapToDouble(f).sorted().toArray();
    if (v.length == 0) return Double.NaN;
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static double number(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  /** The trivial server: every datagram goes back to its sender as it came. */
  static final class Echo extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ctx.write(new DatagramPacket(packet.content().retain(), packet.sender()));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // An echo has nothing to say about errors; the socket stays open.
    }
  }

  private static void requireDnsperf() throws InterruptedException {
    try {
      new ProcessBuilder("dnsperf", "-h").redirectErrorStream(true).start().waitFor();
    } catch (IOException e) {
      System.err.println("DnsBench needs dnsperf: apt-get install dnsperf");
      System.exit(2);
    }
  }

  private static int freeUdpPort(String... ips) throws IOException {
    for (int i = 0; i < 50; i++) {
      int port = FreePorts.on(ips[0]);
      boolean free = true;
      for (String ip : ips) {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(ip, port))) {
          // free
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) return port;
    }
    throw new IOException("no free port");
  }

  private static int env(String name, int dflt) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
  }


  private static ObjectMeta meta(String name) {
    return ObjectMeta.newBuilder().setNamespace(NS).setName(name).build();
  }

  /** svc-I: ClusterIP 127.97.I/256.I%256, port "http" 80. */
  private static Resource clusterIpService(int i) {
    String ip = "127.97." + (i / 256) + "." + (i % 256);
    return Kinds.wrap(Service.newBuilder().setMetadata(meta("svc-" + i))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp(ip).addClusterIps(ip)
            .addPorts(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("8080").setProtocol("TCP"))).build());
  }

  private static Resource headlessService(int i) {
    return Kinds.wrap(Service.newBuilder().setMetadata(meta("db-" + i))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("None")
            .addPorts(ServicePort.newBuilder().setName("pg").setPort(5432).setProtocol("TCP"))).build());
  }

  private static Endpoints headlessEndpoints(int i) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setName("pg").setPort(5432).setProtocol("TCP"));
    for (int k = 1; k <= 3; k++) {
      subset.addAddresses(EndpointAddress.newBuilder().setIp("127.245." + (i % 256) + "." + k).setHostname("db-" + i + "-" + k));
    }
    return Endpoints.newBuilder().setMetadata(meta("db-" + i)).addSubsets(subset).build();
  }
}
