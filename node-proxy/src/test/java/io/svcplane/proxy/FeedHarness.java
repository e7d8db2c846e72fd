package io.svcplane.proxy;

import io.svcplane.apiserver.feed.InMemoryFeedSource;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.apiserver.feed.NodeWriter;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.apiserver.feed.ProxyFeedService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A ProxyFeed server over a {@link InMemoryFeedSource} on a real loopback port, recording what it sends and what proxies ACK. */
final class FeedHarness implements AutoCloseable {
  final InMemoryFeedSource log;
  final ProxyFeedHub hub;
  final Server server;
  final Map<String, String> acked = new ConcurrentHashMap<>();
  final Map<String, List<ProxyUpdate>> sent = new ConcurrentHashMap<>();
  final List<Node> nodeWrites = new CopyOnWriteArrayList<>();

  FeedHarness(InMemoryFeedSource log, int port) throws IOException {
    this.log = log;
    NodeWriter writer = new NodeWriter() {
      @Override
      public Node create(Node node) {
        nodeWrites.add(node);
        return node;
      }

      @Override
      public Node updateStatus(Node node) {
        nodeWrites.add(node);
        return node;
      }
    };
    hub = new ProxyFeedHub(log, writer, Duration.ofMillis(300), Clock.systemUTC());
    hub.addObserver(new ProxyFeedHub.Observer() {
      @Override
      public void sent(String node, ProxyUpdate update) {
        sent.computeIfAbsent(node, n -> new CopyOnWriteArrayList<>()).add(update);
      }

      @Override
      public void acked(String node, String version) {
        acked.put(node, version);
      }
    });
    hub.start();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .permitKeepAliveTime(5, TimeUnit.SECONDS).permitKeepAliveWithoutCalls(true)
        .addService(new ProxyFeedService(hub)).build().start();
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  void awaitAck(String node, String version) {
    Fixtures.await(node + " ACKs " + version, Duration.ofSeconds(10), () -> version.equals(acked.get(node)));
  }

  List<ProxyUpdate> sentTo(String node) {
    return sent.getOrDefault(node, List.of());
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    hub.close();
  }
}
