package io.svcplane.proxy;

import io.svcplane.apiserver.feed.InMemoryFeedSource;
import static io.svcplane.proxy.Fixtures.endpoints;
import static io.svcplane.proxy.Fixtures.service;
import static io.svcplane.proxy.Fixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.proxy.dns.ClusterNames;
import io.svcplane.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The guardian hands DNS the names of every version before it ACKs that version. */
class NodeGuardianDnsTest {

  @Test
  void theNamesOfAVersionArePublishedBeforeItsAck() throws Exception {
    Path table = Files.createTempFile("guardian-dns", ".json");
    Map<String, ClusterNames> published = new ConcurrentHashMap<>();
    List<String> early = new CopyOnWriteArrayList<>();
    try (var feed = new FeedHarness(new InMemoryFeedSource(), FreePorts.loopback())) {
      feed.hub.addObserver(new ProxyFeedHub.Observer() {
        @Override
        public void acked(String node, String version) {
          if (!published.containsKey(version)) early.add(version);
        }
      });
      ManagedChannel channel = NettyChannelBuilder.forTarget(feed.target()).usePlaintext().build();
      // A slow publish: were the ACK sent first, the apiserver would see it before the names.
      NodeGuardian.Settings settings = new NodeGuardian.Settings("node-77", "127.0.1.77", channel,
          ctx -> Backends.dryRun(table, "node-77"), new ProxyMetrics(), names -> {
            sleep(150);
            published.put(names.version(), names);
          });
      ActorSystem<NodeGuardian.Command> system = ActorSystem.create(NodeGuardian.create(settings), "guardian-dns");
      try {
        String v1 = feed.log.put(service("web", spec("127.96.77.1", "TCP", 80, 8080)),
            endpoints("web", "TCP", 8080, List.of("127.244.77.1"), List.of(), "node-77"));
        feed.awaitAck("node-77", v1);
        assertEquals(List.of(), early, "versions ACKed before their names were published");
        assertEquals(List.of(java.net.InetAddress.getByName("127.96.77.1")), published.get(v1).service("default", "web").clusterIps());
        String v2 = feed.log.delete(service("web", spec("127.96.77.1", "TCP", 80, 8080)));
        feed.awaitAck("node-77", v2);
        assertNull(published.get(v2).service("default", "web"));
        assertEquals(List.of(), early, "versions ACKed before their names were published");
        assertTrue(published.size() >= 2);
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(15, TimeUnit.SECONDS);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        Files.deleteIfExists(table);
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
