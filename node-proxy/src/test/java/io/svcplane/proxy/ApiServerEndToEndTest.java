package io.svcplane.proxy;

import static io.svcplane.proxy.Fixtures.await;
import static io.svcplane.proxy.Fixtures.fetch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.svcplane.api.v1.Container;
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
import io.svcplane.api.v1.ObjectReference;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.ProxyUpdate;
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
import io.svcplane.testkit.FreePorts;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real thing end to end: an apiserver on the test broker, a node proxy in user space fed by
 * its ProxyFeed, pods as small servers on 127.244.81.{1,2,3}, traffic on loopback; the apiserver
 * restarted while traffic flows.
 */
@ExtendWith(KafkaExtension.class)
class ApiServerEndToEndTest {
  static final String NODE = "node-81";
  static final String NODE_IP = "127.0.1.81";
  static final List<String> PODS = List.of("127.244.81.1", "127.244.81.2", "127.244.81.3");
  static final String NS = "e2e-" + Long.toString(System.nanoTime() % 1_000_000, 36);

  private final TestKafka kafka;

  ApiServerEndToEndTest(TestKafka kafka) {
    this.kafka = kafka;
  }

  ApiServer apiserver(int port) throws Exception {
    return ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(port)
        .serviceCidr(ServiceCidr.parse("127.96.0.0/16")).nodeNotReadyGrace(Duration.ofMillis(500)).build().start();
  }

  static Resource pod(String name, String ip, boolean ready) {
    return Kinds.wrap(Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name).putLabels("app", "web"))
        .setSpec(PodSpec.newBuilder().setNodeName(NODE).addContainers(Container.newBuilder().setName("c").setImage("pod-server")))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")))
        .build());
  }

  static Resource endpoints(int port, List<String> ready, List<String> notReady) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(port).setProtocol("TCP"));
    for (String ip : ready) subset.addAddresses(address(ip));
    for (String ip : notReady) subset.addNotReadyAddresses(address(ip));
    return Kinds.wrap(Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("web"))
        .addSubsets(subset).build());
  }

  static EndpointAddress address(String ip) {
    String pod = "pod-" + ip.substring(ip.lastIndexOf('.') + 1);
    return EndpointAddress.newBuilder().setIp(ip).setNodeName(NODE)
        .setTargetRef(ObjectReference.newBuilder().setKind("Pod").setNamespace(NS).setName(pod)).build();
  }

  /** Waits until the node's ACKed version covers everything written so far. */
  static void awaitProgrammed(ResourcesGrpc.ResourcesBlockingStub api, AtomicReference<String> acked) {
    LogPositions written = LogPositions.decode(api.list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(NS).build()).getVersion());
    await("the proxy ACKs " + written, Duration.ofSeconds(15), () -> {
      String v = acked.get();
      return v != null && LogPositions.decode(v).covers(written);
    });
  }

  static void observe(ApiServer server, AtomicReference<String> acked, List<ProxyUpdate> sent) {
    server.proxyFeed().addObserver(new ProxyFeedHub.Observer() {
      @Override
      public void sent(String node, ProxyUpdate update) {
        if (NODE.equals(node)) sent.add(update);
      }

      @Override
      public void acked(String node, String version) {
        if (NODE.equals(node)) acked.set(version);
      }
    });
  }

  @Test
  void aProxyFedByTheApiServerForwardsRegistersItsNodeAndResumesAfterARestartWithoutASnapshot() throws Exception {
    int podPort = FreePorts.on(PODS.get(0));
    int apiPort = FreePorts.loopback();
    AtomicReference<String> acked = new AtomicReference<>();
    List<ProxyUpdate> sent = new CopyOnWriteArrayList<>();
    ApiServer server = apiserver(apiPort);
    observe(server, acked, sent);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", apiPort).usePlaintext().build();
    var api = ResourcesGrpc.newBlockingStub(channel);
    try (var pods = new PodServers();
        var proxy = NodeProxy.start(new NodeProxy.Config(NODE, NODE_IP, "127.0.0.1:" + apiPort, "userspace", null, 2))) {
      for (int i = 0; i < 3; i++) pods.tcp(PODS.get(i), podPort, "pod-" + (i + 1));
      api.create(CreateRequest.newBuilder().setObject(Kinds.wrap(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(NS)).build())).build());
      for (int i = 0; i < 3; i++) api.create(CreateRequest.newBuilder().setObject(pod("pod-" + (i + 1), PODS.get(i), true)).build());
      api.create(CreateRequest.newBuilder().setObject(Kinds.wrap(Service.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName("web"))
          .setSpec(ServiceSpec.newBuilder().setClusterIp("127.96.81.1")
              .addPorts(ServicePort.newBuilder().setPort(80).setTargetPort(Integer.toString(podPort)))).build())).build());
      api.create(CreateRequest.newBuilder().setObject(endpoints(podPort, PODS, List.of())).build());
      awaitProgrammed(api, acked);

      // 300 connections reach all three pods.
      Map<String, Integer> hits = UserspaceForwardingTest.spread("127.96.81.1", 80, 300);
      assertEquals(3, hits.size(), hits.toString());
      hits.forEach((pod, n) -> assertTrue(n > 50, hits.toString()));

      // The node registered itself through the write path, and shows what it programmed.
      Node node = api.get(GetRequest.newBuilder().setKind(Kind.NODE).setName(NODE).build()).getNode();
      assertEquals(NODE_IP, node.getStatus().getAddresses(0).getAddress());
      assertEquals("True", node.getStatus().getConditionsList().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow().getStatus());
      assertTrue(node.getStatus().getProxy().getConnected());
      assertEquals("userspace", node.getStatus().getProxy().getMode());
      assertFalse(node.getStatus().getProxy().getProgrammedVersion().isEmpty());

      // A pod turned not-ready gets no new connection once the ACK is in.
      api.updateStatus(UpdateRequest.newBuilder().setObject(pod("pod-3", PODS.get(2), false)).build());
      api.update(UpdateRequest.newBuilder().setObject(endpoints(podPort, PODS.subList(0, 2), PODS.subList(2, 3))).build());
      awaitProgrammed(api, acked);
      assertFalse(UserspaceForwardingTest.spread("127.96.81.1", 80, 100).containsKey("pod-3"));

      // Restart the apiserver while traffic flows; a change lands while the proxy is away.
      AtomicBoolean flowing = new AtomicBoolean(true);
      AtomicInteger served = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      Thread traffic = new Thread(() -> {
        while (flowing.get()) {
          try {
            if (fetch("127.96.81.1", 80).startsWith("pod-")) served.incrementAndGet();
            else failed.incrementAndGet();
          } catch (Exception e) {
            failed.incrementAndGet();
          }
        }
      });
      traffic.start();
      server.stop();
      int servedBefore = served.get();
      // Another apiserver (same writer identity) takes one write while the proxy's one is away.
      ApiServer other = apiserver(0);
      try {
        var otherChannel = NettyChannelBuilder.forAddress("127.0.0.1", other.port()).usePlaintext().build();
        ResourcesGrpc.newBlockingStub(otherChannel).update(UpdateRequest.newBuilder()
            .setObject(endpoints(podPort, PODS.subList(1, 2), PODS.subList(0, 1))).build());
        otherChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } finally {
        other.stop();
      }
      await("traffic flows during the outage", Duration.ofSeconds(10), () -> served.get() > servedBefore + 50);
      sent.clear();
      server = apiserver(apiPort);
      observe(server, acked, sent);
      awaitProgrammed(api, acked);
      flowing.set(false);
      traffic.join();
      assertEquals(0, failed.get(), "no connection failed during the outage (" + served.get() + " served)");
      ProxyUpdate resumed = sent.get(0);
      assertFalse(resumed.getSnapshot(), "the proxy resumed with only what it missed");
      assertEquals(List.of("web"), resumed.getEndpointsList().stream().map(e -> e.getName()).toList());
      assertEquals(Map.of("pod-2", 40), UserspaceForwardingTest.spread("127.96.81.1", 80, 40));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop();
    }
  }

  @Test
  void aNodeWhoseProxyIsGoneTurnsNotReadyAfterTheGrace() throws Exception {
    int apiPort = FreePorts.loopback();
    ApiServer server = apiserver(apiPort);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", apiPort).usePlaintext().build();
    var api = ResourcesGrpc.newBlockingStub(channel);
    try {
      String name = "node-82";
      var proxy = NodeProxy.start(new NodeProxy.Config(name, "127.0.1.82", "127.0.0.1:" + apiPort, "userspace", null, 1));
      await("node Ready", Duration.ofSeconds(15), () -> readyOf(api, name).equals("True"));
      proxy.close();
      await("node NotReady", Duration.ofSeconds(15), () -> readyOf(api, name).equals("Unknown"));
      Node node = api.get(GetRequest.newBuilder().setKind(Kind.NODE).setName(name).build()).getNode();
      assertFalse(node.getStatus().getProxy().getConnected());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop();
    }
  }

  static String readyOf(ResourcesGrpc.ResourcesBlockingStub api, String node) {
    try {
      return api.get(GetRequest.newBuilder().setKind(Kind.NODE).setName(node).build()).getNode().getStatus()
          .getConditionsList().stream().filter(c -> c.getType().equals("Ready")).findFirst().map(c -> c.getStatus()).orElse("");
    } catch (io.grpc.StatusRuntimeException e) {
      return "";
    }
  }
}
