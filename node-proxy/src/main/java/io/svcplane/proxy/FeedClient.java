package io.svcplane.proxy;

import io.grpc.Channel;
import io.grpc.Status;
import io.svcplane.security.TlsDiagnosis;
import io.grpc.stub.StreamObserver;
import io.svcplane.api.v1.Ack;
import io.svcplane.api.v1.Hello;
import io.svcplane.api.v1.Nack;
import io.svcplane.api.v1.ProxyFeedGrpc;
import io.svcplane.api.v1.ProxyRequest;
import io.svcplane.api.v1.ProxyUpdate;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's end of the ProxyFeed: opens the stream, says hello with where it stands, hands
 * updates to its handler, sends ACKs and NACKs, and reconnects with jittered exponential backoff
 * (100 ms doubling to 5 s) whenever the stream ends. Liveness of an idle stream comes from the
 * channel's gRPC keepalive.
 */
public final class FeedClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FeedClient.class);
  private static final long MIN_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5000;

  public interface Handler {
    void onUpdate(ProxyUpdate update);

    void onConnection(boolean connected);
  }

  private final ProxyFeedGrpc.ProxyFeedStub stub;
  private final String authority;
  private final String node;
  private final String address;
  private final String mode;
  private final Supplier<ResumePoint> resume;
  private final Handler handler;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "feed-reconnect");
    t.setDaemon(true);
    return t;
  });
  private StreamObserver<ProxyRequest> requests;
  private long generation;
  private long backoffMs = MIN_BACKOFF_MS;
  private boolean closed;

  public FeedClient(Channel channel, String node, String address, String mode, Supplier<ResumePoint> resume, Handler handler) {
    this.stub = ProxyFeedGrpc.newStub(channel);
    this.authority = channel.authority();
    this.node = node;
    this.address = address;
    this.mode = mode;
    this.resume = resume;
    this.handler = handler;
  }

  public synchronized void start() {
    connect();
  }

  private synchronized void connect() {
    if (closed) return;
    long gen = ++generation;
    ResumePoint at = resume.get();
    requests = stub.stream(new StreamObserver<>() {
      @Override
      public void onNext(ProxyUpdate u) {
        synchronized (FeedClient.this) {
          if (gen != generation) return;
          backoffMs = MIN_BACKOFF_MS;
        }
        handler.onUpdate(u);
      }

      @Override
      public void onError(Throwable t) {
        ended(gen, problem(t));
      }

      @Override
      public void onCompleted() {
        ended(gen, "stream completed by the apiserver");
      }
    });
    requests.onNext(ProxyRequest.newBuilder().setHello(Hello.newBuilder().setNodeName(node).setNodeAddress(address)
        .setMode(mode).setLastAppliedVersion(at.version()).putAllKnownServices(at.knownServices())).build());
    handler.onConnection(true);
  }

  private void ended(long gen, String why) {
    long delay;
    synchronized (this) {
      if (gen != generation || closed) return;
      requests = null;
      delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    }
    handler.onConnection(false);
    log.info("ProxyFeed stream ended ({}); reconnecting in {} ms", why, delay);
    timer.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /** Why the stream ended, worded for the operator when credentials or TLS are the reason. */
  private String problem(Throwable t) {
    Status s = Status.fromThrowable(t);
    if (s.getCode() == Status.Code.PERMISSION_DENIED || s.getCode() == Status.Code.UNAUTHENTICATED) {
      String why = s.getCode() + ": " + s.getDescription() + " (check this node's --cert-file: its CN must be system:node:"
          + node + ")";
      log.warn("the apiserver refused the ProxyFeed for node {}: {}", node, why);
      return why;
    }
    TlsDiagnosis.Problem p = TlsDiagnosis.classify(t);
    if (p != null) {
      String why = TlsDiagnosis.explain(p, authority, null);
      log.warn("ProxyFeed: {}", why);
      return why;
    }
    return t.toString();
  }

  public void ack(String version) {
    send(ProxyRequest.newBuilder().setAck(Ack.newBuilder().setVersion(version)).build());
  }

  public void nack(String version, String error) {
    send(ProxyRequest.newBuilder().setNack(Nack.newBuilder().setVersion(version).setError(error)).build());
  }

  private synchronized void send(ProxyRequest r) {
    // Without a stream the ACK is moot: the next hello says where the proxy stands.
    if (requests == null) return;
    try {
      requests.onNext(r);
    } catch (RuntimeException e) {
      log.debug("could not send on the ProxyFeed stream: {}", e.toString());
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (requests != null) {
        try {
          requests.onCompleted();
        } catch (RuntimeException ignored) {
          // The stream is already gone.
        }
        requests = null;
      }
    }
    timer.shutdownNow();
  }
}
