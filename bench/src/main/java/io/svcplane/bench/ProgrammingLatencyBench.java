package io.svcplane.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.svcplane.api.v1.ClientIPConfig;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.SessionAffinityConfig;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.core.Kinds;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.NamespacePartitioner;
import io.svcplane.eventlog.broker.EmbeddedKafkaBroker;
import io.svcplane.proxy.NodeProxy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Network programming latency, as Kubernetes defines it: from a change to a service or to its set
 * of ready endpoints until forwarding on each node reflects it. Here: from the apiserver's answer
 * to the write (given after the Kafka transaction commits) until each node proxy's ACK of a
 * version covering it, with SERVICES services (default 1,000) programmed on NODES proxies
 * (default 3, userspace mode, all in this JVM) on a real single-node Kafka broker.
 *
 * <p>CHANGES changes (default 300), one at a time, each waited for on every node; half flip one
 * endpoint between ready and not ready, half change a service (ClientIP affinity timeout).
 * Output: stdout and bench/results/programming_latency-TIMESTAMP.txt (every sample).
 */
public final class ProgrammingLatencyBench {
  public static void main(String[] args) throws Exception {
    int services = Integer.parseInt(System.getenv().getOrDefault("SERVICES", "1000"));
    int nodes = Integer.parseInt(System.getenv().getOrDefault("NODES", "3"));
    int changes = Integer.parseInt(System.getenv().getOrDefault("CHANGES", "300"));
    String mode = System.getenv().getOrDefault("MODE", "userspace");
    String ns = "bench";
    Path data = Files.createTempDirectory("svcplane-bench-kafka");
    List<NodeProxy> proxies = new ArrayList<>();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data)) {
      ApiServer server = ApiServer.builder(KafkaClients.of(broker.bootstrapServers())).port(0)
          .serviceCidr(ServiceCidr.parse("127.96.0.0/16")).build().start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      var api = ResourcesGrpc.newBlockingStub(channel);
      server.proxyFeed().addObserver(new ProxyFeedHub.Observer() {
        @Override
        public void acked(String node, String version) {
          latestAck.put(node, new Object[] {LogPositions.decode(version), System.nanoTime()});
        }
      });
      try {
        api.create(CreateRequest.newBuilder().setObject(Kinds.wrap(Namespace.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setName(ns)).build())).build());
        long t0 = System.nanoTime();
        for (int i = 0; i < services; i++) {
          api.create(CreateRequest.newBuilder().setObject(service(ns, i, 0)).build());
          api.create(CreateRequest.newBuilder().setObject(endpoints(ns, i, -1)).build());
        }
        System.out.printf("created %d services with 3 endpoints each in %.1f s%n", services, (System.nanoTime() - t0) / 1e9);
        for (int n = 0; n < nodes; n++) {
          proxies.add(NodeProxy.start(new NodeProxy.Config("bench-" + n, "127.0.1." + (100 + n),
              "127.0.0.1:" + server.port(), mode, mode.equals("dry-run") ? Path.of("/tmp/svcplane-bench-dry-run-" + n + ".json") : null, 1)));
        }
        int partitions = LogPositions.decode(api.list(io.svcplane.api.v1.ListRequest.newBuilder()
            .setKind(io.svcplane.api.v1.Kind.NAMESPACE).build()).getVersion()).partitions(LogTopic.RESOURCES);
        int partition = NamespacePartitioner.partitionFor(ns, partitions);
        long t1 = System.nanoTime();
        long lastOffset = Long.parseLong(api.update(UpdateRequest.newBuilder().setObject(service(ns, 0, 0)).build())
            .getService().getMetadata().getResourceVersion());
        awaitAll(nodes, partition, lastOffset);
        System.out.printf("%d %s proxies programmed %d services in %.1f s (snapshot)%n", nodes, mode, services, (System.nanoTime() - t1) / 1e9);

        Random random = new Random(42);
        int[] flips = new int[services];
        List<Double> fromAnswer = new ArrayList<>();
        List<Double> fromRequest = new ArrayList<>();
        for (int c = 0; c < changes; c++) {
          int s = random.nextInt(services);
          Resource change;
          if (c % 2 == 0) change = endpoints(ns, s, (flips[s]++) % 3);
          else change = service(ns, s, 60 + c);
          long sentAt = System.nanoTime();
          Resource written = c % 2 == 0
              ? Kinds.wrap(api.update(UpdateRequest.newBuilder().setObject(change).build()).getEndpoints())
              : Kinds.wrap(api.update(UpdateRequest.newBuilder().setObject(change).build()).getService());
          long answeredAt = System.nanoTime();
          long offset = Long.parseLong(Kinds.metadata(written).getResourceVersion());
          long[] ackTimes = awaitAll(nodes, partition, offset);
          for (long at : ackTimes) {
            fromAnswer.add(Math.max(0, at - answeredAt) / 1e6);
            fromRequest.add((at - sentAt) / 1e6);
          }
        }
        Path out = Path.of("bench/results");
        Files.createDirectories(out);
        Path file = out.resolve("programming_latency-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".txt");
        try (var w = new PrintWriter(Files.newBufferedWriter(file))) {
          w.printf("# services=%d nodes=%d mode=%s changes=%d; ms per (change, node): from_write_answer from_write_request%n",
              services, nodes, mode, changes);
          for (int i = 0; i < fromAnswer.size(); i++) w.printf("%.3f %.3f%n", fromAnswer.get(i), fromRequest.get(i));
        }
        System.out.printf("network programming latency, %d services, %d %s proxies, %d changes (%d samples):%n",
            services, nodes, mode, changes, fromAnswer.size());
        System.out.printf("  from the apiserver's commit answer to each proxy's ACK: p50 %.1f ms  p99 %.1f ms  max %.1f ms%n",
            pct(fromAnswer, 50), pct(fromAnswer, 99), pct(fromAnswer, 100));
        System.out.printf("  from sending the write to each proxy's ACK:             p50 %.1f ms  p99 %.1f ms  max %.1f ms%n",
            pct(fromRequest, 50), pct(fromRequest, 99), pct(fromRequest, 100));
        System.out.println("raw samples: " + file);
      } finally {
        for (NodeProxy p : proxies) p.close();
        channel.shutdownNow();
        server.stop();
      }
    } finally {
      deleteTree(data);
    }
    System.exit(0);
  }

  private static final Map<String, Object[]> latestAck = new ConcurrentHashMap<>();

  /** Waits until every node ACKed a version past {@code offset} in the namespace's partition; returns when each did. */
  private static long[] awaitAll(int nodes, int partition, long offset) throws InterruptedException {
    long[] at = new long[nodes];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      int done = 0;
      for (int n = 0; n < nodes; n++) {
        if (at[n] != 0) {
          done++;
          continue;
        }
        Object[] a = latestAck.get("bench-" + n);
        if (a != null && ((LogPositions) a[0]).next(LogTopic.RESOURCES, partition) > offset) {
          at[n] = (Long) a[1];
          done++;
        }
      }
      if (done == nodes) return at;
      if (System.nanoTime() > deadline) throw new IllegalStateException("proxies did not ACK offset " + offset);
      Thread.onSpinWait();
      Thread.sleep(0, 200_000);
    }
  }

  private static double pct(List<Double> v, double p) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (a.length == 0) return Double.NaN;
    int i = (int) Math.ceil(p / 100.0 * a.length) - 1;
    return a[Math.max(0, Math.min(a.length - 1, i))];
  }

  static Resource service(String ns, int i, int affinitySeconds) {
    var spec = ServiceSpec.newBuilder().addPorts(ServicePort.newBuilder().setPort(80).setTargetPort("8080"));
    if (affinitySeconds > 0) {
      spec.setSessionAffinity("ClientIP").setSessionAffinityConfig(SessionAffinityConfig.newBuilder()
          .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(affinitySeconds)));
    }
    return Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName("svc-" + i))
        .setSpec(spec).build());
  }

  /** Three endpoints on 127.244.(i/250).(i%250*3+k); {@code notReady} (0-2) is not ready, -1 none. */
  static Resource endpoints(String ns, int i, int notReady) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(8080).setProtocol("TCP"));
    for (int k = 0; k < 3; k++) {
      var a = EndpointAddress.newBuilder().setIp("127.244." + (100 + i / 80) + "." + (1 + (i % 80) * 3 + k));
      if (k == notReady) subset.addNotReadyAddresses(a);
      else subset.addAddresses(a);
    }
    return Kinds.wrap(Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName("svc-" + i))
        .addSubsets(subset).build());
  }

  private static void deleteTree(Path p) throws java.io.IOException {
    if (!Files.exists(p)) return;
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    }
  }
}
