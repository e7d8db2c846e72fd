package io.svcplane.bench;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.svcplane.api.v1.Node;
import io.svcplane.apiserver.feed.InMemoryFeedSource;
import io.svcplane.apiserver.feed.NodeWriter;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.apiserver.feed.ProxyFeedService;
import io.svcplane.testkit.FreePorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The apiserver's ProxyFeed over a log held in memory, on a free loopback port, remembering what
 * each node ACKed last: what the data-path benches feed a real node proxy from, without Kafka.
 * Nodes are not written anywhere (there is no apiserver to keep them).
 */
final class FeedServer implements AutoCloseable {
  private static final NodeWriter NO_NODES = new NodeWriter() {
    @Override
    public Node create(Node node) {
      return node;
    }

    @Override
    public Node updateStatus(Node node) {
      return node;
    }
  };

  /** The log the feed serves: put services and endpoints here. */
  final InMemoryFeedSource log = new InMemoryFeedSource();
  private final Map<String, String> acked = new ConcurrentHashMap<>();
  private final ProxyFeedHub hub;
  private final Server server;
  private final int port;

  private FeedServer() throws IOException {
    hub = new ProxyFeedHub(log, NO_NODES, Duration.ofSeconds(10), Clock.systemUTC());
    hub.addObserver(new ProxyFeedHub.Observer() {
      @Override
      public void acked(String node, String version) {
        acked.put(node, version);
      }
    });
    hub.start();
    port = FreePorts.loopback();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .permitKeepAliveTime(5, TimeUnit.SECONDS).permitKeepAliveWithoutCalls(true)
        .addService(new ProxyFeedService(hub)).build().start();
  }

  static FeedServer start() throws IOException {
    return new FeedServer();
  }

  /** HOST:PORT for a node proxy's {@code --apiserver}. */
  String address() {
    return "127.0.0.1:" + port;
  }

  /**
   * Waits until {@code node} ACKed {@code version}; throws {@code failure} once {@code timeout} has
   * passed or {@code alive} says the proxy is gone.
   */
  void awaitAck(String node, String version, Duration timeout, BooleanSupplier alive, String failure)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!version.equals(acked.get(node))) {
      if (System.nanoTime() > deadline || !alive.getAsBoolean()) throw new IllegalStateException(failure);
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
    hub.close();
  }
}
