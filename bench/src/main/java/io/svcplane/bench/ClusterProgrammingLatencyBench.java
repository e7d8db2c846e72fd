package io.svcplane.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.svcplane.api.v1.ApplyRequest;
import io.svcplane.api.v1.ApplyResponse;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeAddress;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.core.Kinds;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.LogRecord;
import io.svcplane.eventlog.LogTail;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The headline figure on the full local cluster (bin/svcplane up: broker, apiserver, endpoint
 * controller and node proxies, each its own process): network programming latency from a pod's
 * readiness change, i.e. the UpdateStatus request to the apiserver, to the ACK of every node
 * proxy of a version that contains the resulting Endpoints change.
 *
 * <p>Load: SERVICES services (default 1,000) in NAMESPACES namespaces, PODS_PER_SERVICE pods each
 * (default 10: 10,000 pods), then RATE readiness flips per second (default 100) for DURATION
 * seconds, open loop (sent on schedule, not after the previous one finished), each pod flipped at
 * most once.
 *
 * <p>How the end is observed, per change: (1) the apiserver answers with the pod's
 * resourceVersion, the offset O of its event in the namespace's partition P of svcplane.resources;
 * (2) this process reads svcplane.endpoints (read_committed) and takes the first Endpoints record
 * of the pod's service in partition P whose cause (the resources record the controller folded) is
 * at or after O: offset E; (3) a poller lists the Nodes every POLL_MS (default 5) and records each
 * new {@code status.proxy.programmedVersion} with its {@code lastAckTime}, the apiserver's clock
 * when that ACK arrived; the change is programmed on a node at the lastAckTime of the first
 * version it ACKed whose svcplane.endpoints position in P is past E. A version ACKed and replaced
 * between two polls is not seen, so the next one's time counts: the summary prints how many of the
 * proxies' ACKs (their /metrics counter) the poller saw. Same machine, one wall clock.
 *
 * <p>Output: the summary on stdout and in bench/results/cluster_programming_latency-TIME.txt,
 * every change in ...-TIME.csv (milliseconds after the request was sent).
 */
public final class ClusterProgrammingLatencyBench {
  private record Change(int index, String namespace, String pod, int service, Instant sent,
                        AtomicReference<Instant> answered, AtomicReference<long[]> offset) {}

  private record Programmed(LogPositions version, Instant ackTime) {}

  private record EndpointsRecord(long causeOffset, long offset, long timestamp) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    String apiserver = env.getOrDefault("APISERVER", "127.0.0.1:6443");
    String kafka = env.getOrDefault("KAFKA", "127.0.0.1:9092");
    int services = Integer.parseInt(env.getOrDefault("SERVICES", "1000"));
    int podsPerService = Integer.parseInt(env.getOrDefault("PODS_PER_SERVICE", "10"));
    int namespaces = Integer.parseInt(env.getOrDefault("NAMESPACES", "10"));
    int rate = Integer.parseInt(env.getOrDefault("RATE", "100"));
    int duration = Integer.parseInt(env.getOrDefault("DURATION", "60"));
    int pollMs = Integer.parseInt(env.getOrDefault("POLL_MS", "5"));
    int proxyPort = Integer.parseInt(env.getOrDefault("PROXY_PORT", "10249"));
    String podNet = env.getOrDefault("POD_NET", "127.244");
    Path out = Path.of(env.getOrDefault("OUT", "bench/results"));

    ManagedChannel channel = NettyChannelBuilder.forTarget(apiserver).usePlaintext().maxInboundMessageSize(64 << 20).build();
    var api = ResourcesGrpc.newBlockingStub(channel);
    var async = ResourcesGrpc.newStub(channel);

    List<Node> nodes = readyNodes(api);
    if (nodes.isEmpty()) throw new IllegalStateException("no Ready node with a connected proxy at " + apiserver + ": run bin/svcplane up");
    System.out.printf("cluster at %s: %d nodes (%s)%n", apiserver, nodes.size(),
        String.join(", ", nodes.stream().map(n -> n.getMetadata().getName()).toList()));

    // ---- load: namespaces, services, pods (Apply: a rerun on the same cluster changes nothing) ----
    long t0 = System.nanoTime();
    for (int n = 0; n < namespaces; n++) {
      api.apply(ApplyRequest.newBuilder().setObject(Kinds.wrap(Namespace.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName(ns(n))).build())).build());
    }
    List<Resource> objects = new ArrayList<>();
    for (int s = 0; s < services; s++) objects.add(service(ns(s % namespaces), s));
    for (int s = 0; s < services; s++) {
      for (int k = 0; k < podsPerService; k++) objects.add(pod(ns(s % namespaces), s, k, podIp(podNet, s, k), nodes, true));
    }
    applyAll(async, objects, 256);
    System.out.printf("applied %d services and %d pods in %d namespaces in %.1f s%n",
        services, services * podsPerService, namespaces, (System.nanoTime() - t0) / 1e9);
    awaitCaughtUp(api, nodes.size(), Duration.ofMinutes(5));
    System.out.printf("every proxy caught up %.1f s after the start of the load%n", (System.nanoTime() - t0) / 1e9);

    // ---- observers: svcplane.endpoints and the Nodes' programmed versions ----
    Map<String, List<EndpointsRecord>> endpointsByKey = new ConcurrentHashMap<>();
    Map<String, List<Programmed>> programmed = new ConcurrentHashMap<>();
    for (Node n : nodes) programmed.put(n.getMetadata().getName(), new CopyOnWriteArrayList<>());
    CountDownLatch stop = new CountDownLatch(1);
    KafkaClients clients = KafkaClients.of(kafka);
    Thread endpointsReader = new Thread(() -> readEndpoints(clients, endpointsByKey, stop), "endpoints-reader");
    endpointsReader.start();
    Thread poller = new Thread(() -> pollNodes(channel, programmed, pollMs, stop), "node-poller");
    poller.start();
    Thread.sleep(2000); // the reader is positioned at the end before the first change
    Map<String, Long> acksBefore = proxyAcks(nodes, proxyPort);

    // ---- changes: RATE per second, open loop, each pod at most once ----
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < services * podsPerService; i++) order.add(i);
    Collections.shuffle(order, new Random(7));
    int total = Math.min(rate * duration, order.size());
    List<Change> changes = new CopyOnWriteArrayList<>();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    CountDownLatch answered = new CountDownLatch(total);
    long periodNanos = 1_000_000_000L / rate;
    ticker.scheduleAtFixedRate(() -> {
      int i = next.getAndIncrement();
      if (i >= total) return;
      int podIndex = order.get(i);
      int s = podIndex / podsPerService;
      int k = podIndex % podsPerService;
      String namespace = ns(s % namespaces);
      Resource flipped = pod(namespace, s, k, podIp(podNet, s, k), nodes, false);
      Change c = new Change(i, namespace, podName(s, k), s, Instant.now(), new AtomicReference<>(), new AtomicReference<>());
      changes.add(c);
      async.updateStatus(UpdateRequest.newBuilder().setObject(flipped).build(), new StreamObserver<>() {
        @Override
        public void onNext(Resource r) {
          c.answered().set(Instant.now());
          c.offset().set(new long[] {Long.parseLong(Kinds.metadata(r).getResourceVersion())});
        }

        @Override
        public void onError(Throwable t) {
          failures.incrementAndGet();
          System.err.println("update of " + c.pod() + " failed: " + t);
          answered.countDown();
        }

        @Override
        public void onCompleted() {
          answered.countDown();
        }
      });
    }, 0, periodNanos, TimeUnit.NANOSECONDS);
    if (!answered.await(duration + 120L, TimeUnit.SECONDS)) System.err.println("not every change was answered");
    ticker.shutdownNow();
    double sendSeconds = Duration.between(changes.get(0).sent(), changes.get(changes.size() - 1).sent()).toNanos() / 1e9;

    // How many partitions the topics have: a namespace's partition follows from it.
    int partitions = LogPositions.decode(api.list(ListRequest.newBuilder().setKind(Kind.NAMESPACE).build()).getVersion())
        .partitions(LogTopic.RESOURCES);

    // ---- wait until every change is matched on every node (or give up after 2 minutes) ----
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    List<long[]> rows;
    while (true) {
      rows = match(changes, endpointsByKey, programmed, nodes, partitions);
      long complete = rows.stream().filter(r -> r != null && r[r.length - 1] >= 0).count();
      if (complete == changes.size() - failures.get() || System.nanoTime() > deadline) break;
      Thread.sleep(500);
    }
    Map<String, Long> acksAfter = proxyAcks(nodes, proxyPort);
    stop.countDown();
    endpointsReader.join(10_000);
    poller.join(10_000);

    // ---- report ----
    Files.createDirectories(out);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path csv = out.resolve("cluster_programming_latency-" + stamp + ".csv");
    List<Double> allNodes = new ArrayList<>();
    List<Double> anyNode = new ArrayList<>();
    List<Double> commit = new ArrayList<>();
    List<Double> controller = new ArrayList<>();
    int unmatched = 0;
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv))) {
      StringBuilder header = new StringBuilder("change,namespace,pod,sent_epoch_ms,answered_ms,endpoints_committed_ms");
      for (Node n : nodes) header.append(",ack_").append(n.getMetadata().getName()).append("_ms");
      w.println(header.append(",all_nodes_ms"));
      for (int i = 0; i < changes.size(); i++) {
        Change c = changes.get(i);
        long[] r = rows.get(i);
        if (r == null || r[r.length - 1] < 0) {
          unmatched++;
          continue;
        }
        double sentMs = c.sent().toEpochMilli() + (c.sent().getNano() % 1_000_000) / 1e6;
        StringBuilder line = new StringBuilder();
        line.append(c.index()).append(',').append(c.namespace()).append(',').append(c.pod()).append(',')
            .append(String.format("%.3f", sentMs));
        double ans = micros(c.sent(), c.answered().get()) / 1e3;
        double ctl = r[0] / 1e3 - sentMs; // record timestamp (ms) of the Endpoints change
        line.append(',').append(String.format("%.3f", ans)).append(',').append(String.format("%.3f", ctl));
        double min = Double.MAX_VALUE;
        for (int n = 0; n < nodes.size(); n++) {
          double ms = r[1 + n] / 1e3;
          min = Math.min(min, ms);
          line.append(',').append(String.format("%.3f", ms));
        }
        double all = r[r.length - 1] / 1e3;
        line.append(',').append(String.format("%.3f", all));
        w.println(line);
        allNodes.add(all);
        anyNode.add(min);
        commit.add(ans);
        controller.add(ctl);
      }
    }
    long acksTotal = 0;
    for (Node n : nodes) acksTotal += acksAfter.getOrDefault(n.getMetadata().getName(), 0L) - acksBefore.getOrDefault(n.getMetadata().getName(), 0L);
    long seen = 0;
    for (List<Programmed> l : programmed.values()) seen += l.size();

    StringBuilder summary = new StringBuilder();
    summary.append(String.format("network programming latency on the local cluster: %d services, %d pods, %d namespaces, %d node proxies (userspace)%n",
        services, services * podsPerService, namespaces, nodes.size()));
    summary.append(String.format("%d readiness changes sent at %d/s (achieved %.1f/s), %d failed, %d not matched%n",
        changes.size(), rate, (changes.size() - 1) / Math.max(sendSeconds, 1e-9), failures.get(), unmatched));
    summary.append(String.format("  request -> apiserver answer (committed):        %s%n", pcts(commit)));
    summary.append(String.format("  request -> Endpoints committed by controller:   %s%n", pcts(controller)));
    summary.append(String.format("  request -> ACK of the first node proxy:         %s%n", pcts(anyNode)));
    summary.append(String.format("  request -> ACK of every node proxy (headline):  %s%n", pcts(allNodes)));
    summary.append(String.format("ACK observation: the poller (every %d ms) saw %d programmed versions; the proxies ACKed %d versions meanwhile (/metrics)%n",
        pollMs, seen, acksTotal));
    summary.append("raw data: ").append(csv).append('\n');
    System.out.print(summary);
    Files.writeString(out.resolve("cluster_programming_latency-" + stamp + ".txt"), summary.toString());
    channel.shutdownNow();
    System.exit(0);
  }

  // ---- matching ----

  /**
   * Per change: {endpoints record time in µs since epoch, µs to each node's ACK..., µs to the last
   * ACK}, -1 where not yet seen; null when the change has no answer.
   */
  private static List<long[]> match(List<Change> changes, Map<String, List<EndpointsRecord>> endpoints,
      Map<String, List<Programmed>> programmed, List<Node> nodes, int partitions) {
    List<long[]> rows = new ArrayList<>();
    for (Change c : changes) {
      long[] off = c.offset().get();
      if (off == null) {
        rows.add(null);
        continue;
      }
      long o = off[0];
      long[] row = new long[nodes.size() + 2];
      java.util.Arrays.fill(row, -1);
      EndpointsRecord e = null;
      for (EndpointsRecord r : endpoints.getOrDefault("Endpoints/" + c.namespace() + "/" + serviceName(c.service()), List.of())) {
        if (r.causeOffset() >= o) {
          e = r;
          break;
        }
      }
      if (e != null) {
        row[0] = e.timestamp() * 1000;
        int p = io.svcplane.eventlog.NamespacePartitioner.partitionFor(c.namespace(), partitions);
        long last = -1;
        boolean all = true;
        for (int n = 0; n < nodes.size(); n++) {
          Instant at = null;
          for (Programmed pv : programmed.get(nodes.get(n).getMetadata().getName())) {
            if (pv.version().next(LogTopic.ENDPOINTS, p) > e.offset()) {
              at = pv.ackTime();
              break;
            }
          }
          if (at == null) {
            all = false;
          } else {
            row[1 + n] = micros(c.sent(), at);
            last = Math.max(last, row[1 + n]);
          }
        }
        if (all) row[row.length - 1] = last;
      }
      rows.add(row);
    }
    return rows;
  }

  private static long micros(Instant from, Instant to) {
    return Duration.between(from, to).toNanos() / 1000;
  }

  // ---- observers ----

  private static void readEndpoints(KafkaClients clients, Map<String, List<EndpointsRecord>> byKey, CountDownLatch stop) {
    try (LogTail tail = new LogTail(clients, List.of(LogTopic.ENDPOINTS))) {
      tail.seek(tail.endPositions());
      while (stop.getCount() > 0) {
        for (LogRecord r : tail.poll(Duration.ofMillis(100))) {
          if (r.event() == null || !r.event().hasCause()) continue;
          byKey.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
              .add(new EndpointsRecord(r.event().getCause().getOffset(), r.offset(), r.timestamp()));
        }
      }
    }
  }

  private static void pollNodes(ManagedChannel channel, Map<String, List<Programmed>> programmed, int pollMs, CountDownLatch stop) {
    var api = ResourcesGrpc.newBlockingStub(channel);
    Map<String, String> last = new ConcurrentHashMap<>();
    try {
      while (!stop.await(pollMs, TimeUnit.MILLISECONDS)) {
        for (Resource r : api.withDeadlineAfter(5, TimeUnit.SECONDS).list(ListRequest.newBuilder().setKind(Kind.NODE).build()).getItemsList()) {
          Node n = r.getNode();
          List<Programmed> l = programmed.get(n.getMetadata().getName());
          String v = n.getStatus().getProxy().getProgrammedVersion();
          if (l == null || v.isEmpty() || v.equals(last.get(n.getMetadata().getName()))) continue;
          last.put(n.getMetadata().getName(), v);
          var t = n.getStatus().getProxy().getLastAckTime();
          l.add(new Programmed(LogPositions.decode(v), Instant.ofEpochSecond(t.getSeconds(), t.getNanos())));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final Pattern ACKS = Pattern.compile("(?m)^svcplane_proxy_feed_acks_total (\\d+)");

  /** Each node proxy's ACK counter from its /metrics (at the node's InternalIP), -1 if it cannot be read. */
  private static Map<String, Long> proxyAcks(List<Node> nodes, int port) {
    HttpClient http = HttpClient.newHttpClient();
    Map<String, Long> acks = new ConcurrentHashMap<>();
    for (Node n : nodes) {
      String ip = n.getStatus().getAddressesList().stream().filter(a -> a.getType().equals("InternalIP"))
          .map(NodeAddress::getAddress).findFirst().orElse("127.0.0.1");
      try {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = ACKS.matcher(body);
        acks.put(n.getMetadata().getName(), m.find() ? Long.parseLong(m.group(1)) : -1);
      } catch (Exception e) {
        acks.put(n.getMetadata().getName(), -1L);
      }
    }
    return acks;
  }

  // ---- cluster state ----

  private static List<Node> readyNodes(ResourcesGrpc.ResourcesBlockingStub api) {
    List<Node> ready = new ArrayList<>();
    for (Resource r : api.list(ListRequest.newBuilder().setKind(Kind.NODE).build()).getItemsList()) {
      Node n = r.getNode();
      boolean isReady = n.getStatus().getConditionsList().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
      if (isReady && n.getStatus().getProxy().getConnected()) ready.add(n);
    }
    return ready;
  }

  private static void awaitCaughtUp(ResourcesGrpc.ResourcesBlockingStub api, int nodes, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      long behind = 0;
      int seen = 0;
      for (Resource r : api.list(ListRequest.newBuilder().setKind(Kind.NODE).build()).getItemsList()) {
        if (!r.getNode().getStatus().getProxy().getConnected()) continue;
        seen++;
        behind += r.getNode().getStatus().getProxy().getLagEvents();
      }
      if (seen >= nodes && behind == 0) return;
      Thread.sleep(200);
    }
    throw new IllegalStateException("the proxies did not catch up within " + within);
  }

  private static void applyAll(ResourcesGrpc.ResourcesStub async, List<Resource> objects, int inFlight) throws InterruptedException {
    Semaphore window = new Semaphore(inFlight);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    for (Resource o : objects) {
      window.acquire();
      if (failed.get() != null) break;
      async.apply(ApplyRequest.newBuilder().setObject(o).build(), new StreamObserver<ApplyResponse>() {
        @Override public void onNext(ApplyResponse r) {}
        @Override public void onError(Throwable t) {
          failed.compareAndSet(null, t);
          window.release();
        }
        @Override public void onCompleted() {
          window.release();
        }
      });
    }
    window.acquire(inFlight);
    if (failed.get() != null) throw new IllegalStateException("apply failed: " + failed.get(), failed.get());
  }

  static String ns(int n) {
    return "bench-" + n;
  }

  static String serviceName(int s) {
    return "svc-" + s;
  }

  static String podName(int s, int k) {
    return "svc-" + s + "-pod-" + k;
  }

  /** Distinct addresses in POD_NET.0.0/16 (no server listens there: no traffic is sent). */
  static String podIp(String podNet, int s, int k) {
    int i = s * 16 + k + 256;
    return podNet + "." + (i / 256) + "." + (i % 256);
  }

  static Resource service(String ns, int s) {
    return Kinds.wrap(Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(serviceName(s)).setNamespace(ns))
        .setSpec(ServiceSpec.newBuilder()
            .setSelector(Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue(serviceName(s)).build()))
            .addPorts(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("8080").setProtocol("TCP")))
        .build());
  }

  static Resource pod(String ns, int s, int k, String ip, List<Node> nodes, boolean ready) {
    return Kinds.wrap(Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(podName(s, k)).setNamespace(ns).putLabels("app", serviceName(s)))
        .setSpec(PodSpec.newBuilder().setNodeName(nodes.get((s + k) % nodes.size()).getMetadata().getName())
            .addContainers(Container.newBuilder().setName("app").setImage("bench")
                .addPorts(ContainerPort.newBuilder().setContainerPort(8080).setProtocol("TCP"))))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")))
        .build());
  }

  private static String pcts(List<Double> v) {
    if (v.isEmpty()) return "no samples";
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return String.format("p50 %7.1f ms   p90 %7.1f ms   p99 %7.1f ms   max %7.1f ms   (n=%d)",
        pct(s, 50), pct(s, 90), pct(s, 99), s.get(s.size() - 1), s.size());
  }

  private static double pct(List<Double> sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}
