package io.svcplane.proxy;

import io.svcplane.apiserver.feed.InMemoryFeedSource;
import static io.svcplane.proxy.Fixtures.await;
import static io.svcplane.proxy.Fixtures.endpoints;
import static io.svcplane.proxy.Fixtures.fetch;
import static io.svcplane.proxy.Fixtures.service;
import static io.svcplane.proxy.Fixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.svcplane.api.v1.Hello;
import io.svcplane.api.v1.ProxyFeedGrpc;
import io.svcplane.api.v1.ProxyRequest;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.testkit.FreePorts;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Several proxies on one feed: shared ClusterIP listeners, a stuck proxy, a restarting feed server. */
class FeedSessionsTest {
  static final List<String> PODS = List.of("127.244.72.1", "127.244.72.2", "127.244.72.3");
  static int podPort;
  static PodServers pods;

  @BeforeAll
  static void pods() throws Exception {
    podPort = FreePorts.on(PODS.get(0));
    pods = new PodServers();
    for (int i = 0; i < 3; i++) pods.tcp(PODS.get(i), podPort, "pod-" + (i + 1));
  }

  @AfterAll
  static void stopPods() throws Exception {
    pods.close();
  }

  @Test
  void twoProxiesOnOneMachineBothServeAClusterIp() throws Exception {
    try (var feed = new FeedHarness(new InMemoryFeedSource(), FreePorts.loopback());
        var a = NodeProxy.start(new NodeProxy.Config("node-72a", "127.0.1.72", feed.target(), "userspace", null, 1));
        var b = NodeProxy.start(new NodeProxy.Config("node-72b", "127.0.1.73", feed.target(), "userspace", null, 1))) {
      String v = feed.log.put(service("shared", spec("127.96.72.1", "TCP", 80, podPort)),
          endpoints("shared", "TCP", podPort, PODS, List.of(), "node-72a"));
      feed.awaitAck("node-72a", v);
      feed.awaitAck("node-72b", v);
      for (int i = 0; i < 200; i++) assertTrue(fetch("127.96.72.1", 80).startsWith("pod-"));
      assertTrue(a.metrics().acceptedCount() > 10, "proxy a served " + a.metrics().acceptedCount());
      assertTrue(b.metrics().acceptedCount() > 10, "proxy b served " + b.metrics().acceptedCount());
      assertEquals(200, a.metrics().acceptedCount() + b.metrics().acceptedCount());

      // One proxy leaves: the other keeps serving the ClusterIP alone.
      a.close();
      for (int i = 0; i < 50; i++) assertTrue(fetch("127.96.72.1", 80).startsWith("pod-"));
    }
  }

  @Test
  void aStuckProxyDoesNotDelayAnotherProxysAckAndItsChangesCoalesce() throws Exception {
    try (var feed = new FeedHarness(new InMemoryFeedSource(), FreePorts.loopback());
        var fast = NodeProxy.start(new NodeProxy.Config("node-74", "127.0.1.74", feed.target(), "userspace", null, 1))) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(feed.target()).usePlaintext().build();
      AtomicInteger stuckReceived = new AtomicInteger();
      try {
        // The stuck proxy says hello, then never reads (no flow-control credit) and never ACKs.
        var stuck = ProxyFeedGrpc.newStub(channel).stream(new ClientResponseObserver<ProxyRequest, ProxyUpdate>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ProxyRequest> requests) {
            requests.disableAutoRequestWithInitial(1);
          }

          @Override
          public void onNext(ProxyUpdate value) {
            stuckReceived.incrementAndGet();
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
        stuck.onNext(ProxyRequest.newBuilder().setHello(Hello.newBuilder().setNodeName("node-stuck")
            .setNodeAddress("127.0.1.75").setMode("dry-run")).build());
        await("stuck proxy connected", Duration.ofSeconds(5), () -> feed.hub.sessionCount() == 2);
        String last = null;
        for (int i = 0; i < 50; i++) {
          long t0 = System.nanoTime();
          last = feed.log.put(service("churn-" + (i % 5), spec("127.96.74." + (1 + i % 5), "TCP", 80, podPort)),
              endpoints("churn-" + (i % 5), "TCP", podPort, PODS.subList(0, 1 + i % 3), List.of(), "node-74"));
          feed.awaitAck("node-74", last);
          // A stuck proxy would hold the other back for good; 5 s leaves room for a loaded machine.
          assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "the fast proxy ACKs promptly");
        }
        assertTrue(fetch("127.96.74.5", 80).startsWith("pod-"));
        assertTrue(feed.sentTo("node-stuck").size() <= 1,
            "a proxy that has not ACKed gets nothing more: " + feed.sentTo("node-stuck").size());
        assertFalse(last.equals(feed.acked.get("node-stuck")));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aRestartedFeedServerResumesTheProxyWithOnlyWhatItMissedWhileForwardingContinues() throws Exception {
    InMemoryFeedSource log = new InMemoryFeedSource();
    int port = FreePorts.loopback();
    var feed = new FeedHarness(log, port);
    try (var proxy = NodeProxy.start(new NodeProxy.Config("node-76", "127.0.1.76", feed.target(), "userspace", null, 1))) {
      feed.awaitAck("node-76", log.put(
          service("stay", spec("127.96.76.1", "TCP", 80, podPort)), endpoints("stay", "TCP", podPort, PODS, List.of(), "node-76"),
          service("move", spec("127.96.76.2", "TCP", 80, podPort)), endpoints("move", "TCP", podPort, PODS, List.of(), "node-76")));
      feed.close();

      // The apiserver is away: forwarding goes on; the log moves on without it.
      await("proxy sees the stream gone", Duration.ofSeconds(5), () -> !proxy.metrics().isConnected());
      for (int i = 0; i < 30; i++) assertTrue(fetch("127.96.76.1", 80).startsWith("pod-"));
      String missed = log.put(endpoints("move", "TCP", podPort, List.of(PODS.get(1)), List.of(), "node-76"));

      feed = new FeedHarness(log, port);
      feed.awaitAck("node-76", missed);
      ProxyUpdate resumed = feed.sentTo("node-76").get(0);
      assertFalse(resumed.getSnapshot(), "resumed, not a snapshot");
      assertEquals(List.of("default/move"), resumed.getEndpointsList().stream().map(e -> e.getNamespace() + "/" + e.getName()).toList());
      assertEquals(List.of("move"), resumed.getServicesList().stream().map(x -> x.getMetadata().getName()).toList(),
          "only the service that changed comes again");
      for (int i = 0; i < 20; i++) assertEquals("pod-2", fetch("127.96.76.2", 80));
      assertEquals(3, UserspaceForwardingTest.spread("127.96.76.1", 80, 60).size());
    } finally {
      feed.close();
    }
  }
}
