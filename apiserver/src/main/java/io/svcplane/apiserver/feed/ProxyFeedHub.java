package io.svcplane.apiserver.feed;

import io.grpc.stub.ServerCallStreamObserver;
import io.svcplane.api.v1.Hello;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.eventlog.LogRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The apiserver's side of the ProxyFeed, without gRPC: follows the read model batch by batch,
 * marks each proxy session's changed services, and keeps per node what is programmed. Node
 * registration and readiness go through {@link NodeRegistrar}.
 */
public final class ProxyFeedHub implements AutoCloseable {
  /** Sees what the feed sends and what proxies ACK (benchmarks, tests, metrics). */
  public interface Observer {
    default void sent(String node, ProxyUpdate update) {}

    default void acked(String node, String version) {}
  }

  private final FeedSource source;
  private final NodeProxyStatuses statuses;
  private final NodeRegistrar registrar;
  private final List<ProxySession> sessions = new CopyOnWriteArrayList<>();
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  private final ExecutorService executor;
  private AutoCloseable subscription;
  private ImageBackends current;

  public ProxyFeedHub(FeedSource source, NodeWriter writer, Duration notReadyGrace, Clock clock) {
    this.source = source;
    this.statuses = new NodeProxyStatuses(clock);
    this.registrar = new NodeRegistrar(this::image, writer, statuses, notReadyGrace, clock);
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "proxy-feed-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public ProxyFeedHub(FeedSource source, NodeWriter writer) {
    this(source, writer, Duration.ofSeconds(10), Clock.systemUTC());
  }

  public void start() {
    subscription = source.subscribe(this::onBatch);
    synchronized (this) {
      if (current == null) current = new ImageBackends(source.image());
    }
    registrar.start();
  }

  private void onBatch(List<LogRecord> records, ClusterImage before, ClusterImage after) {
    Set<String> touched = FeedChanges.servicesTouched(records, before, after);
    ImageBackends ib = new ImageBackends(after);
    synchronized (this) {
      current = ib;
    }
    for (ProxySession s : sessions) s.onBatch(touched, ib);
  }

  synchronized ImageBackends current() {
    return current;
  }

  private ClusterImage image() {
    ImageBackends c = current();
    return c == null ? source.image() : c.image();
  }

  /** Opens a session for a validated hello; its first update goes out when the stream is ready. */
  ProxySession open(Hello hello, ServerCallStreamObserver<ProxyUpdate> out) {
    ProxySession s;
    synchronized (this) {
      s = new ProxySession(this, hello, out, executor, current);
      sessions.add(s);
    }
    statuses.connected(hello.getNodeName(), hello.getMode());
    registrar.connected(hello.getNodeName(), hello.getNodeAddress(), hello.getMode());
    s.schedule();
    return s;
  }

  void close(ProxySession s) {
    if (!sessions.remove(s)) return;
    s.close();
    statuses.disconnected(s.node());
    registrar.disconnected(s.node());
  }

  /**
   * A proxy at {@code version} can be sent only what differs when our image has reached that
   * version (a version from a log we have not read, or another log, gets a snapshot).
   */
  boolean canResume(String version, ImageBackends image) {
    try {
      return image.image().positions().covers(LogPositions.decode(version));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  NodeProxyStatuses statuses() {
    return statuses;
  }

  /** {@code node} with {@code status.proxy} filled in from the live sessions. */
  public Node decorate(Node node) {
    return statuses.decorate(node, image().positions());
  }

  public void addObserver(Observer o) {
    observers.add(o);
  }

  void sent(String node, ProxyUpdate u) {
    for (Observer o : observers) o.sent(node, u);
  }

  void acked(String node, String version) {
    for (Observer o : observers) o.acked(node, version);
  }

  /** Number of open proxy streams. */
  public int sessionCount() {
    return sessions.size();
  }

  @Override
  public void close() {
    try {
      if (subscription != null) subscription.close();
    } catch (Exception ignored) {
      // Closing a subscription of a stopping read model.
    }
    for (ProxySession s : sessions) {
      close(s);
      s.end();
    }
    registrar.close();
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) executor.shutdownNow();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
