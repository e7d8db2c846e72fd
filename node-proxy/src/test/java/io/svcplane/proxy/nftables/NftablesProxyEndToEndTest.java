package io.svcplane.proxy.nftables;

import static io.svcplane.proxy.nftables.NodeLab.CLUSTER_CIDR;
import static io.svcplane.proxy.nftables.NodeLab.LOCAL_A;
import static io.svcplane.proxy.nftables.NodeLab.LOCAL_B;
import static io.svcplane.proxy.nftables.NodeLab.NODE_IP;
import static io.svcplane.proxy.nftables.NodeLab.REMOTE_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.core.Kinds;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.core.image.LogPositions;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.proxy.NodeProxy;
import io.svcplane.testkit.FreePorts;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node proxy in {@code --mode nftables}, fed by a real apiserver on the test broker, programming
 * the {@link NodeLab} node's kernel: connections from the client namespace follow every version
 * it ACKs; a version nft refuses is NACKed and the next sync is full.
 */
@ExtendWith(KafkaExtension.class)
class NftablesProxyEndToEndTest {
  static final String NODE = "node-1";
  static final String NS = "nft-" + Long.toString(System.nanoTime() % 1_000_000, 36);

  private final TestKafka kafka;

  NftablesProxyEndToEndTest(TestKafka kafka) {
    this.kafka = kafka;
  }

  static Resource service(String name, String clusterIp, int nodePort) {
    ServicePort.Builder port = ServicePort.newBuilder().setPort(80).setTargetPort("8080").setProtocol("TCP");
    if (nodePort > 0) port.setNodePort(nodePort);
    return Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name))
        .setSpec(ServiceSpec.newBuilder().setType(nodePort > 0 ? "NodePort" : "ClusterIP").setClusterIp(clusterIp)
            .addPorts(port)).build());
  }

  /** User Endpoints of a selector-less service: {ip, node} pairs. */
  static Resource endpoints(String name, List<String[]> ready, List<String[]> notReady) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(8080).setProtocol("TCP"));
    ready.forEach(a -> subset.addAddresses(EndpointAddress.newBuilder().setIp(a[0]).setNodeName(a[1])));
    notReady.forEach(a -> subset.addNotReadyAddresses(EndpointAddress.newBuilder().setIp(a[0]).setNodeName(a[1])));
    return Kinds.wrap(Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name))
        .addSubsets(subset).build());
  }

  static String[] at(String ip, String node) {
    return new String[] {ip, node};
  }

  @Test
  void aProxyInNftablesModeProgramsTheKernelAcksWhatNftAppliedAndRecoversFromARefusedTransaction() throws Exception {
    int apiPort = FreePorts.loopback();
    AtomicReference<String> acked = new AtomicReference<>();
    ApiServer server = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(apiPort)
        .serviceCidr(ServiceCidr.parse("10.96.0.0/16")).build().start();
    server.proxyFeed().addObserver(new ProxyFeedHub.Observer() {
      @Override
      public void acked(String node, String version) {
        if (NODE.equals(node)) acked.set(version);
      }
    });
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", apiPort).usePlaintext().build();
    var api = ResourcesGrpc.newBlockingStub(channel);
    NodeLab lab = NodeLab.create();
    System.setProperty("svcplane.nftables.netns", lab.node.name);
    System.setProperty("svcplane.cluster-cidr", CLUSTER_CIDR);
    NodeProxy proxy = null;
    try {
      api.create(CreateRequest.newBuilder().setObject(Kinds.wrap(Namespace.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setName(NS)).build())).build());
      api.create(CreateRequest.newBuilder().setObject(service("web", "10.96.0.10", 30080)).build());
      api.create(CreateRequest.newBuilder().setObject(endpoints("web",
          List.of(at(LOCAL_A, NODE), at(LOCAL_B, NODE), at(REMOTE_A, "node-2")), List.of())).build());
      proxy = NodeProxy.start(new NodeProxy.Config(NODE, NODE_IP, "127.0.0.1:" + apiPort, "nftables", null, 1));
      awaitProgrammed(api, acked);

      Set<String> all = Set.of(LOCAL_A + ":8080", LOCAL_B + ":8080", REMOTE_A + ":8080");
      assertEquals(all, lab.fromClient("10.96.0.10:80", 60).byEndpoint().keySet());
      assertEquals(all, lab.fromClient(NODE_IP + ":30080", 60).byEndpoint().keySet());
      Node node = api.get(GetRequest.newBuilder().setKind(Kind.NODE).setName(NODE).build()).getNode();
      assertEquals("nftables", node.getStatus().getProxy().getMode());
      assertEquals(List.of("table ip svcplane"), lab.tables());

      // A pod turned not-ready gets no new connections once the proxy ACKed.
      api.update(UpdateRequest.newBuilder().setObject(endpoints("web",
          List.of(at(LOCAL_A, NODE), at(REMOTE_A, "node-2")), List.<String[]>of(at(LOCAL_B, NODE)))).build());
      awaitProgrammed(api, acked);
      assertEquals(Set.of(LOCAL_A + ":8080", REMOTE_A + ":8080"), lab.fromClient("10.96.0.10:80", 40).byEndpoint().keySet());

      // Someone else puts an element where the next service goes: nft refuses the partial sync,
      // the proxy NACKs, retries with a full sync and ACKs.
      lab.node.run("nft", "add", "element", "ip", "svcplane", "service-ips", "{ 10.96.0.11 . tcp . 80 : goto cluster-tcp-2-to-8080 }");
      api.create(CreateRequest.newBuilder().setObject(service("api", "10.96.0.11", 0)).build());
      api.create(CreateRequest.newBuilder().setObject(endpoints("api", List.<String[]>of(at(REMOTE_A, "node-2")), List.of())).build());
      awaitProgrammed(api, acked);
      NodeProxy p = proxy;
      assertTrue(p.metrics().prometheusText().contains("svcplane_proxy_feed_nacks_total 1\n"), p.metrics().prometheusText());
      assertEquals(Map.of(REMOTE_A + ":8080", 20), lab.fromClient("10.96.0.11:80", 20).byEndpoint());

      proxy.close();
      proxy = null;
      assertEquals(List.of(), lab.tables(), "the table goes with the proxy");
    } finally {
      if (proxy != null) proxy.close();
      System.clearProperty("svcplane.nftables.netns");
      System.clearProperty("svcplane.cluster-cidr");
      lab.close();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop();
    }
  }

  /** Waits until the node's ACKed version covers everything written so far. */
  static void awaitProgrammed(ResourcesGrpc.ResourcesBlockingStub api, AtomicReference<String> acked) {
    LogPositions written = LogPositions.decode(api.list(ListRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(NS).build()).getVersion());
    await("the proxy ACKs " + written, Duration.ofSeconds(20), () -> {
      String v = acked.get();
      return v != null && LogPositions.decode(v).covers(written);
    });
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
