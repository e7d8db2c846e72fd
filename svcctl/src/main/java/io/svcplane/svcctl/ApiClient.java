package io.svcplane.svcctl;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.svcplane.api.v1.ApplyRequest;
import io.svcplane.api.v1.ApplyResponse;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.ListResponse;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.api.v1.WatchEvent;
import io.svcplane.api.v1.WatchRequest;
import io.svcplane.security.ClientTls;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The Resources API of one apiserver, with a deadline on every unary call. */
final class ApiClient implements AutoCloseable {
  final ServerAddress server;
  private final ManagedChannel channel;
  private final ResourcesGrpc.ResourcesBlockingStub blocking;
  private final ResourcesGrpc.ResourcesStub async;
  private final Duration timeout;

  /** Plaintext, no credentials (an apiserver started with --insecure). */
  ApiClient(ServerAddress server, Duration timeout) {
    this(server, ClientTls.plaintext(), timeout);
  }

  ApiClient(ServerAddress server, ClientTls tls, Duration timeout) {
    this.server = server;
    this.timeout = timeout;
    ChannelCredentials credentials;
    try {
      credentials = tls.credentials();
    } catch (java.io.IOException e) {
      throw new CliException("error: " + e.getMessage());
    }
    this.channel = NettyChannelBuilder.forAddress(server.host(), server.port(), credentials).build();
    this.blocking = ResourcesGrpc.newBlockingStub(channel);
    this.async = ResourcesGrpc.newStub(channel);
  }

  private ResourcesGrpc.ResourcesBlockingStub call() {
    return blocking.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  Resource get(Kind kind, String namespace, String name) {
    return call().get(GetRequest.newBuilder().setKind(kind).setNamespace(namespace).setName(name).build());
  }

  ListResponse list(Kind kind, String namespace, String selector) {
    return call().list(ListRequest.newBuilder().setKind(kind).setNamespace(namespace).setLabelSelector(selector).build());
  }

  Resource create(Resource r, boolean dryRun) {
    return call().create(CreateRequest.newBuilder().setObject(r).setDryRun(dryRun).build());
  }

  ApplyResponse apply(Resource r, boolean dryRun) {
    return call().apply(ApplyRequest.newBuilder().setObject(r).setDryRun(dryRun).build());
  }

  Resource update(Resource r) {
    return call().update(UpdateRequest.newBuilder().setObject(r).build());
  }

  Resource delete(Kind kind, String namespace, String name, int gracePeriodSeconds) {
    return call().delete(DeleteRequest.newBuilder().setKind(kind).setNamespace(namespace).setName(name)
        .setGracePeriodSeconds(gracePeriodSeconds).build());
  }

  /** Opens a Watch; its events (and its end) arrive on the returned stream's queue. */
  WatchStream watch(WatchRequest request) {
    WatchStream stream = new WatchStream();
    async.watch(request, stream);
    return stream;
  }

  /** One Watch call: events in order, then exactly one end marker (error or completion). */
  static final class WatchStream implements ClientResponseObserver<WatchRequest, WatchEvent> {
    /** The stream ended: {@code error} null when the server completed it. */
    record End(Throwable error) {}

    final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private volatile ClientCallStreamObserver<WatchRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.call = requestStream;
    }

    @Override
    public void onNext(WatchEvent value) {
      queue.add(value);
    }

    @Override
    public void onError(Throwable t) {
      queue.add(new End(t));
    }

    @Override
    public void onCompleted() {
      queue.add(new End(null));
    }

    void cancel() {
      if (call != null) call.cancel("svcctl stopped watching", null);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
