package io.svcplane.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.apiserver.write.ResourceWriter;
import io.svcplane.core.Kinds;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Write throughput and latency of the apiserver (Create Service over gRPC, 1/8/64 concurrent
 * clients), beside the raw transactional-producer rate on the same broker and Kubernetes' own
 * store (etcd, via /work/shared/peers/etcd_writes.sh) in the same run.
 *
 * <p>Options (system properties): {@code -Dbench.kafka=HOST:PORT} (default: a broker of its own,
 * in a temp dir, in a separate process), {@code -Dbench.duration=10} seconds per level,
 * {@code -Dbench.warmup=5}, {@code -Dbench.clients=1,8,64}, {@code -Dbench.etcd=true}, {@code -Dbench.raw=true} (the raw producer rows),
 * {@code -Dbench.etcdReps=1}.
 */
public final class ApiServerWriteBench {
  private ApiServerWriteBench() {}

  record Level(String name, int clients, long writes, double seconds, double p50, double p90, double p99, double max,
      String extra) {
    double rate() {
      return writes / seconds;
    }

    String row() {
      return String.format(Locale.ROOT, "%-24s %7d %9.0f %8.2f %8.2f %8.2f %8.1f  %s", name, clients, rate(), p50, p90, p99, max, extra);
    }
  }

  public static void main(String[] args) throws Exception {
    int duration = Integer.getInteger("bench.duration", 10);
    int warmup = Integer.getInteger("bench.warmup", 5);
    int jitWarmup = Integer.getInteger("bench.jitWarmup", 60);
    int[] levels = Arrays.stream(System.getProperty("bench.clients", "1,8,64").split(",")).mapToInt(Integer::parseInt).toArray();
    boolean etcd = Boolean.parseBoolean(System.getProperty("bench.etcd", "true"));
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path results = Path.of("bench", "results");
    Files.createDirectories(results);
    StringBuilder raw = new StringBuilder();

    String bootstrap = System.getProperty("bench.kafka");
    BrokerProcess brokerProcess = bootstrap == null ? BrokerProcess.start() : null;
    if (brokerProcess != null) bootstrap = brokerProcess.bootstrap();
    Process broker = brokerProcess == null ? null : brokerProcess.process();
    String clientProps = System.getProperty("bench.clientProperties");
    KafkaClients clients = clientProps == null ? KafkaClients.of(bootstrap) : KafkaClients.of(bootstrap, Path.of(clientProps));
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
    String header = "# " + Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version")
        + ", broker " + (brokerProcess == null ? bootstrap : "own process (KafkaBrokerMain, -Xmx1g)") + ", duration "
        + duration + " s per level after " + warmup + " s warm-up, " + jitWarmup
        + " s JIT warm-up before the levels; clients " + (Boolean.getBoolean("bench.clientThreads") ? "blocking threads" : "async")
        + " over " + System.getProperty("bench.connections", "1") + " connection(s); load average at start " + loadAverage();
    System.out.println(header);
    raw.append(header).append('\n');

    List<Level> table = new ArrayList<>();
    // 1. The log alone: transactional producers, as fast as they go.
    if (Boolean.parseBoolean(System.getProperty("bench.raw", "true"))) {
      table.add(rawProducer(clients, "raw txn 1 rec, 1 producer", 1, 1, duration, warmup));
      int np = ResourceWriter.DEFAULT_PRODUCERS_FOR_BENCH;
      table.add(rawProducer(clients, "raw txn 1 rec, " + np + " in turn", np, 1, duration, warmup));
      table.add(rawProducer(clients, "raw txn 64 rec, " + np + " in turn", np, 64, duration, warmup));
    }
    for (Level l : table) System.out.println(l.row());

    // 2. The apiserver: Create Service over gRPC on loopback, N clients with one channel each.
    // A /12 (Kubernetes' largest IPv4 service range): the three levels create more Services than a
    // /16 holds, and a full pool turns the rest into fast RESOURCE_EXHAUSTED errors.
    ApiServer.Builder builder = ApiServer.builder(clients).port(0).writerId("bench-" + stamp)
        .serviceCidr(io.svcplane.core.allocation.ServiceCidr.parse("10.96.0.0/12"));
    if (System.getProperty("bench.partitions") != null) builder.partitions(Integer.getInteger("bench.partitions"));
    ApiServer server = builder.build().start();
    try {
      if (jitWarmup > 0) warmUp(server, levels[levels.length - 1], jitWarmup, stamp);
      for (int n : levels) {
        Level l = apiserver(server, n, duration, warmup, stamp, broker);
        System.out.println(l.row());
        table.add(l);
      }
    } finally {
      server.stop();
    }

    // 3. etcd, Kubernetes' store, on the same machine in the same run.
    String etcdOut = "";
    if (etcd) {
      etcdOut = runEtcd(levels[levels.length - 1], duration);
      table.addAll(parseEtcd(etcdOut));
    }
    if (brokerProcess != null) brokerProcess.close();

    StringBuilder summary = new StringBuilder();
    summary.append(String.format(Locale.ROOT, "%-24s %7s %9s %8s %8s %8s %8s  %s%n", "target", "clients", "writes/s", "p50 ms",
        "p90 ms", "p99 ms", "max ms", "notes"));
    for (Level l : table) summary.append(l.row()).append('\n');
    summary.append(ratios(table));
    summary.append("# load average at end ").append(loadAverage()).append('\n');
    System.out.println();
    System.out.print(summary);
    raw.append(etcdOut).append('\n').append(summary);
    Path out = results.resolve("apiserver-writes-" + stamp + ".txt");
    Files.writeString(out, raw.toString());
    System.out.println("raw data: " + out);
    System.exit(0);
  }

  // ---- raw producer ---------------------------------------------------------------------------

  static Level rawProducer(KafkaClients clients, String name, int producers, int perTxn, int duration, int warmup)
      throws Exception {
    List<KafkaProducer<String, ResourceEvent>> ps = new ArrayList<>();
    for (int k = 0; k < producers; k++) {
      KafkaProducer<String, ResourceEvent> p = new KafkaProducer<>(clients.producer("bench-raw-" + name.hashCode() + "-" + k));
      p.initTransactions();
      ps.add(p);
    }
    Resource svc = sampleService("raw", "x");
    ResourceEvent event = ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(svc).setWriter("bench").build();
    LatencyRecorder rec = new LatencyRecorder();
    long writes = 0;
    int i = 0;
    long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
    long end = warmEnd + TimeUnit.SECONDS.toNanos(duration);
    long measuredStart = 0;
    while (true) {
      long now = System.nanoTime();
      if (now >= end) break;
      boolean measure = now >= warmEnd;
      if (measure && measuredStart == 0) measuredStart = now;
      KafkaProducer<String, ResourceEvent> p = ps.get(i++ % producers);
      long t0 = System.nanoTime();
      p.beginTransaction();
      List<Future<?>> fs = new ArrayList<>(perTxn);
      for (int r = 0; r < perTxn; r++) {
        fs.add(p.send(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), "Service/bench-raw-" + (r % 6) + "/s" + i, event)));
      }
      p.commitTransaction();
      if (measure) {
        rec.add(System.nanoTime() - t0);
        writes += perTxn;
      }
    }
    double secs = (System.nanoTime() - measuredStart) / 1e9;
    ps.forEach(KafkaProducer::close);
    return rec.level(name, 1, writes, secs, String.format(Locale.ROOT, "latency per transaction; %.0f txn/s", rec.count() / secs));
  }

  // ---- apiserver ------------------------------------------------------------------------------

  /**
   * How many gRPC connections the clients share: {@code bench.connections}, a number or
   * {@code per-client}. Default 1, as etcd's putbench (conns=1) beside it.
   */
  static int connections(int clients) {
    String v = System.getProperty("bench.connections", "1");
    return v.equals("per-client") ? clients : Math.max(1, Math.min(clients, Integer.parseInt(v)));
  }

  /**
   * The clients' own event loop. By default gRPC gives every channel and server of a JVM one
   * shared group of event loops, so the clients' connection and the server's end of it can land
   * on the same thread, which then encodes and decodes both sides of every call one after the
   * other (it did in the profiled runs of 27 Nov). The clients of a real apiserver, and etcd's
   * putbench beside it, are other processes with threads of their own.
   */
  private static EventLoopGroup clientLoop;

  private static synchronized EventLoopGroup clientLoop() {
    if (clientLoop == null) {
      ThreadFactory daemon = r -> {
        Thread t = new Thread(r, "bench-client-loop");
        t.setDaemon(true);
        return t;
      };
      clientLoop = new MultiThreadIoEventLoopGroup(1, daemon,
          Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }
    return clientLoop;
  }

  /**
   * A client connection to the apiserver. Callbacks run on the event loop (async clients: no hop
   * to an executor per answer). {@code bench.clientLoop=shared} puts it on gRPC's shared event
   * loops instead of the clients' own (as before 27 Nov); {@code bench.clientRetry=true} keeps
   * grpc-java's transparent retries, which wrap every call in a buffering stream (none of the
   * bench's calls is retried either way: no retry policy is configured).
   */
  static ManagedChannel clientChannel(int port) {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor();
    if (!System.getProperty("bench.clientLoop", "own").equals("shared")) {
      b.eventLoopGroup(clientLoop()).channelType(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class);
    }
    if (!Boolean.parseBoolean(System.getProperty("bench.clientRetry", "false"))) b.disableRetry();
    return b.build();
  }

  static Level apiserver(ApiServer server, int n, int duration, int warmup, String stamp, Process broker) throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    List<String> namespaces = new ArrayList<>();
    ResourcesGrpc.ResourcesBlockingStub admin = null;
    int connections = connections(n);
    for (int k = 0; k < connections; k++) {
      channels.add(clientChannel(server.port()));
    }
    for (int c = 0; c < n; c++) {
      ResourcesGrpc.ResourcesBlockingStub stub = ResourcesGrpc.newBlockingStub(channels.get(c % connections));
      if (admin == null) admin = stub;
      // One namespace per client: namespaces spread over the partitions, as many tenants would.
      String ns = "bench-" + stamp.replace("-", "") + "-n" + n + "-c" + c;
      stub.withDeadlineAfter(30, TimeUnit.SECONDS).create(CreateRequest.newBuilder().setObject(Kinds.wrap(Namespace.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName(ns)).build())).build());
      namespaces.add(ns);
    }
    long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
    long end = warmEnd + TimeUnit.SECONDS.toNanos(duration);
    LatencyRecorder[] recs = new LatencyRecorder[n];
    long[] errors = new long[n];
    ResourceWriter.Stats[] atWarmEnd = new ResourceWriter.Stats[1];
    CountDownLatch done = new CountDownLatch(n);
    boolean threads = Boolean.parseBoolean(System.getProperty("bench.clientThreads", "false"));
    for (int c = 0; c < n; c++) {
      int client = c;
      recs[c] = new LatencyRecorder();
      if (!threads) {
        // Each client sends its next Create when the answer to the last one arrives, from the
        // channel's event loop: n requests outstanding at any time, as n goroutines in etcd's
        // putbench, without n threads to wake per answer.
        new AsyncClient(ResourcesGrpc.newStub(channels.get(client % connections)), namespaces.get(client), warmEnd, end,
            recs[client], errors, client, done).next();
        continue;
      }
      Thread t = new Thread(() -> {
        ResourcesGrpc.ResourcesBlockingStub stub = ResourcesGrpc.newBlockingStub(channels.get(client % connections));
        int i = 0;
        while (true) {
          long now = System.nanoTime();
          if (now >= end) break;
          Resource svc = sampleService(namespaces.get(client), "s" + (i++));
          long t0 = System.nanoTime();
          try {
            stub.withDeadlineAfter(30, TimeUnit.SECONDS).create(CreateRequest.newBuilder().setObject(svc).build());
            if (t0 >= warmEnd) recs[client].add(System.nanoTime() - t0);
          } catch (RuntimeException e) {
            errors[client]++;
          }
        }
        done.countDown();
      }, "bench-client-" + c);
      t.start();
    }
    while (System.nanoTime() < warmEnd) Thread.sleep(10);
    atWarmEnd[0] = server.writeStats();
    long taken0 = server.ownEvents().taken();
    long cpu0 = EndpointControllerBench.processCpuNanos();
    Map<Long, ThreadAllocation> alloc0 = threadAllocations();
    long brokerCpu0 = processCpuNanos(broker);
    done.await();
    long cpu = EndpointControllerBench.processCpuNanos() - cpu0;
    Map<Long, ThreadAllocation> alloc1 = threadAllocations();
    long brokerCpu = processCpuNanos(broker) - brokerCpu0;
    double secs = duration;
    ResourceWriter.Stats s1 = server.writeStats();
    long taken = server.ownEvents().taken() - taken0;
    channels.forEach(ManagedChannel::shutdownNow);
    LatencyRecorder all = new LatencyRecorder();
    long errs = 0;
    for (int c = 0; c < n; c++) {
      all.addAll(recs[c]);
      errs += errors[c];
    }
    ResourceWriter.Stats d = s1.since(atWarmEnd[0]);
    String extra = String.format(Locale.ROOT,
        "%.1f writes/txn, %d txns; per txn: waiting for returning clients %.2f ms, decide %.2f ms, send %.2f ms, "
            + "commit %.2f ms, commit->folded %.2f ms; "
            + "per write in the server: queued %.2f ms, answered after %.2f ms (client: mean %.2f ms); "
            + "records the fold took from the writer unparsed %.0f %%; errors %d",
        d.recordsPerTransaction(), d.transactions(), d.meanGatherMillis(), d.meanDecideMillis(), d.meanSendMillis(), d.meanCommitMillis(),
        d.meanFoldLagMillis(), d.meanQueuedMillis(), d.meanAnsweredMillis(), all.meanMillis(),
        d.records() == 0 ? 0.0 : 100.0 * taken / d.records(), errs);
    if (all.count() > 0) {
      extra += String.format(Locale.ROOT, "; CPU per write: apiserver+clients %.0f us, broker %s",
          cpu / 1e3 / all.count(), brokerCpu < 0 ? "?" : String.format(Locale.ROOT, "%.0f us", brokerCpu / 1e3 / all.count()));
      extra += "; " + allocatedPerWrite(alloc0, alloc1, all.count());
    }
    return all.level("svcplane apiserver create", n, all.count(), secs, extra);
  }

  /**
   * Runs {@code clients} clients creating and deleting Services for {@code seconds}, unmeasured:
   * on two cores the JIT compilers of the bench JVM and the broker are still busy (a third of a
   * core and more) a minute into the load, and a long-running apiserver is measured without them.
   * Deleting what it created keeps the image the levels start from as small as without it.
   */
  static void warmUp(ApiServer server, int clients, int seconds, String stamp) throws Exception {
    ManagedChannel ch = clientChannel(server.port());
    ResourcesGrpc.ResourcesStub stub = ResourcesGrpc.newStub(ch);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch done = new CountDownLatch(clients);
    java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
    for (int c = 0; c < clients; c++) {
      String ns = "bench-" + stamp.replace("-", "") + "-warm-c" + c;
      ResourcesGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).create(CreateRequest.newBuilder()
          .setObject(Kinds.wrap(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(ns)).build())).build());
      new Object() {
        int i;

        void create() {
          if (System.nanoTime() >= end) {
            done.countDown();
            return;
          }
          String name = "w" + (i++);
          stub.withDeadlineAfter(30, TimeUnit.SECONDS).create(CreateRequest.newBuilder()
              .setObject(sampleService(ns, name)).build(), then(() -> delete(name)));
        }

        void delete(String name) {
          stub.withDeadlineAfter(30, TimeUnit.SECONDS).delete(io.svcplane.api.v1.DeleteRequest.newBuilder()
              .setKind(io.svcplane.api.v1.Kind.SERVICE).setNamespace(ns).setName(name).build(), then(this::create));
        }

        io.grpc.stub.StreamObserver<Resource> then(Runnable next) {
          return new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(Resource value) {}

            @Override
            public void onError(Throwable t) {
              next.run();
            }

            @Override
            public void onCompleted() {
              writes.incrementAndGet();
              next.run();
            }
          };
        }
      }.create();
    }
    done.await();
    ch.shutdownNow();
    System.out.printf(Locale.ROOT, "# JIT warm-up: %d clients created and deleted Services for %d s (%d writes), not measured%n",
        clients, seconds, writes.get());
  }

  /** One client of the async mode: one Create outstanding, the next sent from the answer's callback. */
  private static final class AsyncClient implements io.grpc.stub.StreamObserver<Resource> {
    private final ResourcesGrpc.ResourcesStub stub;
    private final String namespace;
    private final long warmEnd;
    private final long end;
    private final LatencyRecorder rec;
    private final long[] errors;
    private final int client;
    private final CountDownLatch done;
    private int i;
    private long t0;

    AsyncClient(ResourcesGrpc.ResourcesStub stub, String namespace, long warmEnd, long end, LatencyRecorder rec,
        long[] errors, int client, CountDownLatch done) {
      this.stub = stub;
      this.namespace = namespace;
      this.warmEnd = warmEnd;
      this.end = end;
      this.rec = rec;
      this.errors = errors;
      this.client = client;
      this.done = done;
    }

    void next() {
      t0 = System.nanoTime();
      if (t0 >= end) {
        done.countDown();
        return;
      }
      stub.withDeadlineAfter(30, TimeUnit.SECONDS)
          .create(CreateRequest.newBuilder().setObject(sampleService(namespace, "s" + (i++))).build(), this);
    }

    @Override
    public void onNext(Resource value) {}

    @Override
    public void onError(Throwable t) {
      errors[client]++;
      next();
    }

    @Override
    public void onCompleted() {
      if (t0 >= warmEnd) rec.add(System.nanoTime() - t0);
      next();
    }
  }

  /** A Service as a user would create it: one port, a selector, labels. */
  static Resource sampleService(String ns, String name) {
    return Kinds.wrap(Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).putLabels("app", "bench"))
        .setSpec(ServiceSpec.newBuilder()
            .setSelector(com.google.protobuf.Struct.newBuilder().putFields("app",
                com.google.protobuf.Value.newBuilder().setStringValue("bench").build()))
            .addPorts(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("8080")))
        .build());
  }

  // ---- etcd -----------------------------------------------------------------------------------

  static String runEtcd(int concurrency, int duration) throws Exception {
    Path script = Path.of("/work/shared/peers/etcd_writes.sh");
    if (!Files.exists(script)) {
      return "# etcd: " + script + " not found, skipped\n";
    }
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
    pb.environment().put("DUR", Integer.toString(duration));
    pb.environment().put("REPS", System.getProperty("bench.etcdReps", "1"));
    pb.environment().put("CHECK_PERF", "0");
    pb.environment().put("CONC", Integer.toString(concurrency));
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        System.out.println("  etcd | " + line);
        out.append(line).append('\n');
      }
    }
    p.waitFor(10, TimeUnit.MINUTES);
    return out.toString();
  }

  /** Rows of the script's RUN lines: {@code RUN rep=1 test=put-clients-64 writes=... writes_per_s=... p50_ms=...}. */
  static List<Level> parseEtcd(String out) {
    List<Level> rows = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.startsWith("RUN ") || !line.contains("test=put-clients-") || line.contains("FAILED")) continue;
      Map<String, String> kv = new HashMap<>();
      for (String part : line.split(" ")) {
        int eq = part.indexOf('=');
        if (eq > 0) kv.put(part.substring(0, eq), part.substring(eq + 1));
      }
      int clients = Integer.parseInt(kv.get("test").substring("put-clients-".length()));
      rows.add(new Level("etcd 3.4 put (rep " + kv.get("rep") + ")", clients, Long.parseLong(kv.get("writes")),
          Double.parseDouble(kv.get("seconds")), Double.parseDouble(kv.get("p50_ms")), Double.parseDouble(kv.get("p90_ms")),
          Double.parseDouble(kv.get("p99_ms")), Double.parseDouble(kv.get("max_ms")),
          "etcd CPU " + kv.get("etcd_cpu_us_per_write") + " us/write"));
    }
    return rows;
  }

  static String ratios(List<Level> table) {
    StringBuilder b = new StringBuilder();
    for (Level a : table) {
      if (!a.name().startsWith("svcplane")) continue;
      for (Level e : table) {
        if (e.name().startsWith("etcd") && e.clients() == a.clients()) {
          b.append(String.format(Locale.ROOT, "ratio svcplane/etcd at %d client(s): %.2f x writes/s; p99 %.2f ms vs %.2f ms%n",
              a.clients(), a.rate() / e.rate(), a.p99(), e.p99()));
        }
      }
    }
    return b.toString();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private record ThreadAllocation(String name, long bytes) {}

  /** Bytes each live thread of this JVM has allocated so far, by thread id. */
  static Map<Long, ThreadAllocation> threadAllocations() {
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = mx.getAllThreadIds();
    long[] bytes = mx.getThreadAllocatedBytes(ids);
    ThreadInfo[] infos = mx.getThreadInfo(ids);
    Map<Long, ThreadAllocation> out = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (infos[i] != null && bytes[i] >= 0) out.put(ids[i], new ThreadAllocation(infos[i].getThreadName(), bytes[i]));
    }
    return out;
  }

  /**
   * Heap allocated per write between two snapshots, in all and by the four busiest kinds of
   * thread (numbers in names folded): what the collector has to clean up after each write.
   */
  static String allocatedPerWrite(Map<Long, ThreadAllocation> before, Map<Long, ThreadAllocation> after,
      long writes) {
    Map<String, Long> byKind = new HashMap<>();
    long total = 0;
    for (var e : after.entrySet()) {
      ThreadAllocation was = before.get(e.getKey());
      long d = e.getValue().bytes() - (was == null ? 0 : was.bytes());
      total += d;
      byKind.merge(e.getValue().name().replaceAll("\\d+", "N"), d, Long::sum);
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "allocated per write %.1f KB (", total / 1024.0 / writes));
    List<Map.Entry<String, Long>> top = byKind.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(4).toList();
    for (int i = 0; i < top.size(); i++) {
      if (i > 0) sb.append(", ");
      sb.append(String.format(Locale.ROOT, "%s %.1f", top.get(i).getKey(), top.get(i).getValue() / 1024.0 / writes));
    }
    return sb.append("; threads that ended meanwhile not counted)").toString();
  }

  /** Latencies of one run, in nanoseconds. */
  static final class LatencyRecorder {
    private long[] values = new long[1024];
    private int n;

    void add(long nanos) {
      if (n == values.length) values = Arrays.copyOf(values, n * 2);
      values[n++] = nanos;
    }

    void addAll(LatencyRecorder other) {
      for (int i = 0; i < other.n; i++) add(other.values[i]);
    }

    int count() {
      return n;
    }

    double meanMillis() {
      if (n == 0) return Double.NaN;
      double sum = 0;
      for (int i = 0; i < n; i++) sum += values[i];
      return sum / n / 1e6;
    }

    Level level(String name, int clients, long writes, double seconds, String extra) {
      long[] v = Arrays.copyOf(values, n);
      Arrays.sort(v);
      return new Level(name, clients, writes, seconds, pct(v, 0.50), pct(v, 0.90), pct(v, 0.99), pct(v, 1.0), extra);
    }

    private static double pct(long[] sorted, double p) {
      if (sorted.length == 0) return Double.NaN;
      return sorted[(int) (p * (sorted.length - 1))] / 1e6;
    }
  }

  /** CPU time (user + system) of another process, from /proc; -1 if unknown. */
  static long processCpuNanos(Process p) {
    if (p == null) return -1;
    try {
      String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // Fields 14 and 15 of stat (utime, stime), in clock ticks of 10 ms.
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    } catch (Exception e) {
      return -1;
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "?";
    }
  }
}
