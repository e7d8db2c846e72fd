package io.svcplane.proxy;

import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.grpc.Channel;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.proxy.dns.ClusterNames;
import io.svcplane.proxy.dns.NameCatalog;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guardian of one node's proxy: folds the ProxyFeed's updates into the node's state, hands the
 * resulting forwarding table to the backend (one apply at a time, off the actor's thread), and
 * ACKs the version once the backend returns, or NACKs it. Updates that arrive during an apply
 * coalesce into the next one. A failed apply is retried with backoff. With DNS on, the names of
 * the version being applied are published to the DNS server just before its ACK (or NACK).
 */
public final class NodeGuardian extends AbstractBehavior<NodeGuardian.Command> {
  private static final Logger log = LoggerFactory.getLogger(NodeGuardian.class);

  public interface Command {}

  /** An update from the ProxyFeed stream. */
  public record FeedUpdate(ProxyUpdate update) implements Command {}

  private record Connection(boolean connected) implements Command {}

  private record Applied(String version, int rules, long micros, Throwable error, ClusterNames names) implements Command {}

  private enum Retry implements Command { INSTANCE }

  /**
   * How the guardian is set up; the backend is built in the guardian's context (it may spawn
   * actors). {@code dns}: where the names of each programmed version go (the node's DNS server's
   * publish), or null when DNS is off.
   */
  public record Settings(String node, String address, Channel apiserver,
      Function<ActorContext<Command>, ForwardingBackend> backend, ProxyMetrics metrics, Consumer<ClusterNames> dns) {
    public Settings(String node, String address, Channel apiserver,
        Function<ActorContext<Command>, ForwardingBackend> backend, ProxyMetrics metrics) {
      this(node, address, apiserver, backend, metrics, null);
    }
  }

  private final Settings settings;
  private final ForwardingBackend backend;
  private final FeedClient feed;
  private final ProxyState state = new ProxyState();
  private final NameCatalog names;
  private final AtomicReference<ResumePoint> resume = new AtomicReference<>(ResumePoint.FRESH);
  private final ExecutorService applier = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "forwarding-apply");
    t.setDaemon(true);
    return t;
  });
  private boolean applying;
  private boolean dirty;
  private long retryMs = 200;

  public static Behavior<Command> create(Settings settings) {
    return Behaviors.setup(ctx -> new NodeGuardian(ctx, settings));
  }

  private NodeGuardian(ActorContext<Command> ctx, Settings settings) {
    super(ctx);
    this.settings = settings;
    this.backend = settings.backend().apply(ctx);
    this.names = settings.dns() == null ? null : new NameCatalog();
    var self = ctx.getSelf();
    this.feed = new FeedClient(settings.apiserver(), settings.node(), settings.address(), backend.mode(), resume::get,
        new FeedClient.Handler() {
          @Override
          public void onUpdate(ProxyUpdate update) {
            self.tell(new FeedUpdate(update));
          }

          @Override
          public void onConnection(boolean connected) {
            self.tell(new Connection(connected));
          }
        });
    feed.start();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FeedUpdate.class, this::onUpdate)
        .onMessage(Connection.class, c -> {
          settings.metrics().connected(c.connected());
          return this;
        })
        .onMessage(Applied.class, this::onApplied)
        .onMessageEquals(Retry.INSTANCE, this::onRetry)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onUpdate(FeedUpdate m) {
    ProxyUpdate u = m.update();
    settings.metrics().update(u.getSnapshot());
    try {
      state.apply(u);
    } catch (RuntimeException e) {
      log.warn("update {} does not fit the proxy's state: {}", u.getVersion(), e.getMessage());
      feed.nack(u.getVersion(), "update does not fit: " + e.getMessage());
      return this;
    } finally {
      // Also after a partial fold: the names follow whatever the state now holds.
      if (names != null) names.fold(u, state);
    }
    resume.set(new ResumePoint(state.version(), state.digests()));
    if (applying) dirty = true;
    else startApply();
    return this;
  }

  private void startApply() {
    applying = true;
    dirty = false;
    ForwardingTable table = state.table();
    String version = state.version();
    ClusterNames dnsNames = names == null ? null : names.snapshot(version);
    long t0 = System.nanoTime();
    CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
      try {
        backend.apply(table);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, applier);
    getContext().pipeToSelf(done, (v, err) ->
        new Applied(version, table.rules().size(), (System.nanoTime() - t0) / 1000, err, dnsNames));
  }

  private Behavior<Command> onApplied(Applied a) {
    applying = false;
    // DNS does not depend on the forwarding backend: its names are published either way.
    if (a.names() != null) settings.dns().accept(a.names());
    if (a.error() == null) {
      retryMs = 200;
      // Health first: once the apiserver shows the version as programmed, /healthz says so too.
      settings.metrics().acked(a.version(), a.micros(), a.rules());
      feed.ack(a.version());
    } else {
      Throwable cause = a.error() instanceof CompletionException && a.error().getCause() != null ? a.error().getCause() : a.error();
      String msg = cause.getMessage() == null ? cause.toString() : cause.getMessage();
      log.warn("programming version {} failed: {}", a.version(), msg);
      feed.nack(a.version(), msg);
      settings.metrics().nacked();
      if (!dirty) getContext().scheduleOnce(Duration.ofMillis(retryMs), getContext().getSelf(), Retry.INSTANCE);
      retryMs = Math.min(30_000, retryMs * 2);
    }
    if (dirty) startApply();
    return this;
  }

  private Behavior<Command> onRetry() {
    if (!applying) startApply();
    return this;
  }

  private Behavior<Command> onPostStop() {
    feed.close();
    applier.shutdown();
    backend.close();
    return this;
  }
}
