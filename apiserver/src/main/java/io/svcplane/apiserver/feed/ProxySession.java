package io.svcplane.apiserver.feed;

import io.grpc.stub.ServerCallStreamObserver;
import io.svcplane.api.v1.Hello;
import io.svcplane.api.v1.ProxyUpdate;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxy's stream. It keeps its own pending state: the services that changed since its last
 * update (a dirty set) and the newest image. It sends one update covering all of it when the
 * stream is ready and the previous update is ACKed or NACKed, so changes coalesce per service and
 * a slow proxy only slows itself. Sending runs on the feed's executor, never on the fold thread.
 */
final class ProxySession {
  private static final Logger log = LoggerFactory.getLogger(ProxySession.class);

  private final ProxyFeedHub hub;
  private final Hello hello;
  private final ServerCallStreamObserver<ProxyUpdate> out;
  private final Executor executor;
  private final ProxyView view = new ProxyView();
  private final AtomicBoolean draining = new AtomicBoolean();

  // Guarded by this.
  private ImageBackends latest;
  private final Set<String> dirty = new HashSet<>();
  private boolean initialSent;
  private String inFlight;
  private boolean closed;

  ProxySession(ProxyFeedHub hub, Hello hello, ServerCallStreamObserver<ProxyUpdate> out, Executor executor, ImageBackends latest) {
    this.hub = hub;
    this.hello = hello;
    this.out = out;
    this.executor = executor;
    this.latest = latest;
  }

  String node() {
    return hello.getNodeName();
  }

  Hello hello() {
    return hello;
  }

  void onBatch(Set<String> touched, ImageBackends after) {
    synchronized (this) {
      if (closed) return;
      dirty.addAll(touched);
      latest = after;
    }
    hub.statuses().behind(node());
    schedule();
  }

  void onAck(String version) {
    boolean caughtUp;
    synchronized (this) {
      if (version.equals(inFlight)) inFlight = null;
      caughtUp = inFlight == null && dirty.isEmpty() && version.equals(latest.version());
    }
    hub.statuses().acked(node(), version, caughtUp);
    hub.acked(node(), version);
    schedule();
  }

  void onNack(String version, String error) {
    synchronized (this) {
      if (version.equals(inFlight)) inFlight = null;
    }
    log.warn("node {} could not program version {}: {}", node(), version, error);
    hub.statuses().nacked(node(), error);
    schedule();
  }

  void onReady() {
    schedule();
  }

  void close() {
    synchronized (this) {
      closed = true;
    }
  }

  /** The apiserver stops: end the stream so the proxy reconnects elsewhere (or later). */
  void end() {
    close();
    try {
      out.onCompleted();
    } catch (RuntimeException e) {
      // The stream is already gone.
    }
  }

  void schedule() {
    if (draining.compareAndSet(false, true)) executor.execute(this::drain);
  }

  private void drain() {
    try {
      while (true) {
        ProxyUpdate next = plan();
        if (next == null) break;
        out.onNext(next);
        hub.sent(node(), next);
      }
    } catch (RuntimeException e) {
      log.warn("sending to node {} failed: {}", node(), e.toString());
    } finally {
      draining.set(false);
    }
    if (hasWork()) schedule();
  }

  /** The next update to send now, or null (closed, not ready, one in flight, or nothing to say). */
  private synchronized ProxyUpdate plan() {
    if (closed || inFlight != null || !out.isReady()) return null;
    ProxyUpdate u;
    if (!initialSent) {
      u = hello.getLastAppliedVersion().isEmpty() || !hub.canResume(hello.getLastAppliedVersion(), latest)
          ? view.snapshot(latest) : view.resume(latest, hello.getKnownServicesMap());
      initialSent = true;
    } else if (!dirty.isEmpty() || !view.version().equals(latest.version())) {
      u = view.delta(latest, dirty);
    } else {
      return null;
    }
    dirty.clear();
    inFlight = u.getVersion();
    return u;
  }

  private synchronized boolean hasWork() {
    return !closed && inFlight == null && out.isReady()
        && (!initialSent || !dirty.isEmpty() || !view.version().equals(latest.version()));
  }
}
