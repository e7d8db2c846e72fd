package io.svcplane.proxy;

import io.svcplane.apiserver.feed.InMemoryFeedSource;
import static io.svcplane.proxy.Fixtures.await;
import static io.svcplane.proxy.Fixtures.endpoints;
import static io.svcplane.proxy.Fixtures.fetch;
import static io.svcplane.proxy.Fixtures.service;
import static io.svcplane.proxy.Fixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.testkit.FreePorts;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real TCP and UDP traffic through the userspace backend on loopback: three pod servers on
 * 127.244.71.{1,2,3}, services on 127.96.71.x, the node at 127.0.1.71, fed by a ProxyFeed server
 * over an in-memory log.
 */
class UserspaceForwardingTest {
  static final String NODE = "node-71";
  static final String NODE_IP = "127.0.1.71";
  static final List<String> PODS = List.of("127.244.71.1", "127.244.71.2", "127.244.71.3");
  static int podPort;
  static int udpPort;
  static PodServers pods;
  static FeedHarness feed;
  static NodeProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    podPort = FreePorts.on(PODS.get(0));
    udpPort = podPort;
    pods = new PodServers();
    for (int i = 0; i < 3; i++) {
      pods.tcp(PODS.get(i), podPort, "pod-" + (i + 1));
      pods.udp(PODS.get(i), udpPort, "pod-" + (i + 1));
    }
    feed = new FeedHarness(new InMemoryFeedSource(), FreePorts.loopback());
    proxy = NodeProxy.start(new NodeProxy.Config(NODE, NODE_IP, feed.target(), "userspace", null, 2));
  }

  @AfterAll
  static void stop() throws Exception {
    if (proxy != null) proxy.close();
    if (feed != null) feed.close();
    if (pods != null) pods.close();
  }

  static String put(io.svcplane.api.v1.Resource... objects) {
    String v = feed.log.put(objects);
    feed.awaitAck(NODE, v);
    return v;
  }

  static Map<String, Integer> spread(String ip, int port, int connections) throws Exception {
    Map<String, Integer> hits = new TreeMap<>();
    for (int i = 0; i < connections; i++) hits.merge(fetch(ip, port), 1, Integer::sum);
    return hits;
  }

  @Test
  void threeHundredConnectionsToTheClusterIpReachAllThreePods() throws Exception {
    put(service("spread", spec("127.96.71.1", "TCP", 80, podPort)),
        endpoints("spread", "TCP", podPort, PODS, List.of(), NODE));
    Map<String, Integer> hits = spread("127.96.71.1", 80, 300);
    assertEquals(3, hits.size(), hits.toString());
    hits.forEach((pod, n) -> assertTrue(n > 50, "each pod well over 50: " + hits));
  }

  @Test
  void aPodTurnedNotReadyGetsNoNewConnectionOnceItsAckIsIn() throws Exception {
    put(service("unready", spec("127.96.71.2", "TCP", 80, podPort)),
        endpoints("unready", "TCP", podPort, PODS, List.of(), NODE));
    assertEquals(3, spread("127.96.71.2", 80, 60).size());
    put(endpoints("unready", "TCP", podPort, PODS.subList(0, 2), PODS.subList(2, 3), NODE));
    Map<String, Integer> hits = spread("127.96.71.2", 80, 100);
    assertEquals(Map.of("pod-1", hits.get("pod-1"), "pod-2", hits.get("pod-2")), hits);
  }

  @Test
  void clientIpAffinityKeepsOneClientOnOnePod() throws Exception {
    put(service("sticky", Fixtures.clientIpAffinity(spec("127.96.71.3", "TCP", 80, podPort), 60)),
        endpoints("sticky", "TCP", podPort, PODS, List.of(), NODE));
    Map<String, Integer> fromA = new TreeMap<>();
    Map<String, Integer> fromB = new TreeMap<>();
    for (int i = 0; i < 40; i++) {
      fromA.merge(fetch("127.96.71.3", 80, "127.0.0.21"), 1, Integer::sum);
      fromB.merge(fetch("127.96.71.3", 80, "127.0.0.22"), 1, Integer::sum);
    }
    assertEquals(1, fromA.size(), fromA.toString());
    assertEquals(1, fromB.size(), fromB.toString());
  }

  @Test
  void nodePortWorksOnTheNodeAddressAndLocalPolicyUsesOnlyThisNodesEndpoints() throws Exception {
    int nodePort = FreePorts.on(NODE_IP);
    var s = spec("127.96.71.4", "TCP", 80, podPort).setType("NodePort");
    s.setPorts(0, s.getPorts(0).toBuilder().setNodePort(nodePort));
    put(service("np", s), endpoints("np", "TCP", podPort, PODS, List.of(), NODE));
    assertEquals(3, spread(NODE_IP, nodePort, 60).size());

    int localPort = FreePorts.on(NODE_IP);
    var l = spec("127.96.71.5", "TCP", 80, podPort).setType("NodePort").setExternalTrafficPolicy("Local");
    l.setPorts(0, l.getPorts(0).toBuilder().setNodePort(localPort));
    var mixed = io.svcplane.api.v1.Endpoints.newBuilder(endpoints("local", "TCP", podPort, List.of(PODS.get(0)), List.of(), NODE).getEndpoints());
    var other = endpoints("x", "TCP", podPort, PODS.subList(1, 3), List.of(), "node-elsewhere").getEndpoints().getSubsets(0);
    mixed.addSubsets(other);
    put(service("local", l), io.svcplane.core.Kinds.wrap(mixed.build()));
    assertEquals(Map.of("pod-1", 30), spread(NODE_IP, localPort, 30));
    assertEquals(3, spread("127.96.71.5", 80, 60).size(), "ClusterIP traffic still goes to every node's endpoints");
  }

  @Test
  void udpEchoWorksThroughTheClusterIp() throws Exception {
    put(service("dns", spec("127.96.71.6", "UDP", 53, udpPort)),
        endpoints("dns", "UDP", udpPort, PODS, List.of(), NODE));
    String answer = Fixtures.udpAsk("127.96.71.6", 53, "hello");
    assertTrue(answer.matches("pod-[123]:hello"), answer);
  }

  @Test
  void aServiceWithNoEndpointsRefusesAndDeletingAServiceClosesItsPort() throws Exception {
    put(service("empty", spec("127.96.71.7", "TCP", 80, podPort)), endpoints("empty", "TCP", podPort, List.of(), List.of(), NODE));
    long t0 = System.nanoTime();
    assertTrue(Fixtures.refused("127.96.71.7", 80));
    // Refused, not left to time out (3 s): well under that even on a loaded machine.
    assertTrue(System.nanoTime() - t0 < Duration.ofMillis(2500).toNanos(), "refused at once");

    put(service("gone", spec("127.96.71.8", "TCP", 80, podPort)), endpoints("gone", "TCP", podPort, PODS, List.of(), NODE));
    assertTrue(fetch("127.96.71.8", 80).startsWith("pod-"));
    String v = feed.log.delete(service("gone", spec("127.96.71.8", "TCP", 80, podPort)));
    feed.awaitAck(NODE, v);
    assertTrue(Fixtures.refused("127.96.71.8", 80));
  }

  @Test
  void establishedConnectionsSurviveEndpointChanges() throws Exception {
    int echoPort = FreePorts.on("127.244.71.9");
    try (var echo = new java.net.ServerSocket()) {
      echo.bind(new java.net.InetSocketAddress("127.244.71.9", echoPort));
      put(service("long", spec("127.96.71.9", "TCP", 80, echoPort)),
          endpoints("long", "TCP", echoPort, List.of("127.244.71.9"), List.of(), NODE));
      try (var client = new java.net.Socket("127.96.71.9", 80); var server = echo.accept()) {
        put(endpoints("long", "TCP", echoPort, List.of(), List.of("127.244.71.9"), NODE));
        client.getOutputStream().write("still here\n".getBytes());
        client.getOutputStream().flush();
        byte[] buf = new byte[11];
        server.setSoTimeout(3000);
        int n = server.getInputStream().readNBytes(buf, 0, buf.length);
        assertEquals("still here\n", new String(buf, 0, n));
      }
      assertTrue(Fixtures.refused("127.96.71.9", 80), "new connections are refused");
    }
  }

  @Test
  void whenNoEndpointIsReadyConnectionsFallBackToTerminatingPodsThatStillServe() throws Exception {
    var spec = spec("127.96.71.10", "TCP", 80, podPort).setSelector(com.google.protobuf.Struct.newBuilder()
        .putFields("app", com.google.protobuf.Value.newBuilder().setStringValue("drain").build()));
    var leaving = io.svcplane.api.v1.Pod.newBuilder()
        .setMetadata(io.svcplane.api.v1.ObjectMeta.newBuilder().setNamespace("default").setName("leaving").putLabels("app", "drain")
            .setDeletionTimestamp(com.google.protobuf.Timestamp.newBuilder().setSeconds(1)))
        .setSpec(io.svcplane.api.v1.PodSpec.newBuilder().setNodeName(NODE))
        .setStatus(io.svcplane.api.v1.PodStatus.newBuilder().setPhase("Running").setPodIp(PODS.get(0))
            .addConditions(io.svcplane.api.v1.PodCondition.newBuilder().setType("Ready").setStatus("True")))
        .build();
    put(service("drain", spec), io.svcplane.core.Kinds.wrap(leaving));
    // The controller publishes only the pod that is not being deleted.
    String v = feed.log.publish(endpoints("drain", "TCP", podPort, List.of(PODS.get(1)), List.of(), NODE));
    feed.awaitAck(NODE, v);
    assertEquals(Map.of("pod-2", 30), spread("127.96.71.10", 80, 30), "ready endpoints first");
    v = feed.log.publish(endpoints("drain", "TCP", podPort, List.of(), List.of(PODS.get(1)), NODE));
    feed.awaitAck(NODE, v);
    assertEquals(Map.of("pod-1", 30), spread("127.96.71.10", 80, 30), "then the terminating pod that still serves");
  }

  @Test
  void theProxyRegistersItsNodeReady() {
    await("node registered", Duration.ofSeconds(5), () -> feed.nodeWrites.stream().anyMatch(n ->
        n.getMetadata().getName().equals(NODE)
            && n.getStatus().getConditions(0).getStatus().equals("True")
            && n.getStatus().getAddresses(0).getAddress().equals(NODE_IP)));
    await("first update sent", Duration.ofSeconds(5), () -> !feed.sentTo(NODE).isEmpty());
    assertTrue(feed.sentTo(NODE).get(0).getSnapshot(), "a fresh proxy starts from a snapshot");
  }
}
