package io.svcplane.apiserver;

import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.svcplane.api.v1.ApplyRequest;
import io.svcplane.api.v1.ApplyResponse;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.ListResponse;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.api.v1.WatchEvent;
import io.svcplane.api.v1.WatchRequest;
import io.svcplane.core.validation.FieldError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC Resources service: a thin adapter over {@link ResourceApi}. */
public final class ResourcesService extends ResourcesGrpc.ResourcesImplBase {
  private static final Logger log = LoggerFactory.getLogger(ResourcesService.class);
  /** Events a watch may have queued for a slow client before it is cut off (it can resume). */
  static final int MAX_WATCH_BACKLOG = 100_000;

  private final ResourceApi api;

  public ResourcesService(ResourceApi api) {
    this.api = api;
  }

  @Override
  public void create(CreateRequest request, StreamObserver<Resource> out) {
    reply(api.create(request.getObject(), request.getDryRun()), r -> r.object(), out);
  }

  @Override
  public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
    reply(api.apply(request.getObject(), request.getDryRun()),
        r -> ApplyResponse.newBuilder().setObject(r.object()).setResult(r.result()).build(), out);
  }

  @Override
  public void get(GetRequest request, StreamObserver<Resource> out) {
    reply(api.get(request.getKind(), request.getNamespace(), request.getName()), r -> r, out);
  }

  @Override
  public void list(ListRequest request, StreamObserver<ListResponse> out) {
    reply(api.list(request.getKind(), request.getNamespace(), request.getLabelSelector()), r -> r, out);
  }

  @Override
  public void update(UpdateRequest request, StreamObserver<Resource> out) {
    reply(api.update(request.getObject(), request.getDryRun()), r -> r.object(), out);
  }

  @Override
  public void updateStatus(UpdateRequest request, StreamObserver<Resource> out) {
    reply(api.updateStatus(request.getObject(), request.getDryRun()), r -> r.object(), out);
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<Resource> out) {
    reply(api.delete(request.getKind(), request.getNamespace(), request.getName(), request.getResourceVersion(),
        request.getGracePeriodSeconds()), r -> r.object(), out);
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<WatchEvent> out) {
    ServerCallStreamObserver<WatchEvent> call = (ServerCallStreamObserver<WatchEvent>) out;
    FlowControlledSink sink = new FlowControlledSink(call);
    try {
      api.watch(request, sink).whenComplete((handle, e) -> {
        if (e != null) out.onError(toStatus(e));
        else sink.onClose(handle);
      });
    } catch (RuntimeException e) {
      out.onError(toStatus(e));
    }
  }

  /** Queues events for a client and sends them as fast as it reads; cuts off a client that lags far behind. */
  static final class FlowControlledSink implements WatchStream.Sink {
    private final ServerCallStreamObserver<WatchEvent> call;
    private final ConcurrentLinkedQueue<WatchEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private volatile boolean closed;
    private volatile AutoCloseable handle;
    private String lastVersion = "";

    FlowControlledSink(ServerCallStreamObserver<WatchEvent> call) {
      this.call = call;
      call.setOnReadyHandler(this::drain);
      call.setOnCancelHandler(this::close);
    }

    void onClose(AutoCloseable h) {
      handle = h;
      if (closed) close();
    }

    @Override
    public void send(WatchEvent event) {
      if (closed) return;
      if (size.incrementAndGet() > MAX_WATCH_BACKLOG) {
        close();
        synchronized (this) {
          call.onError(Status.RESOURCE_EXHAUSTED.withDescription("the watch client fell more than " + MAX_WATCH_BACKLOG
              + " events behind; resume the watch from the version of the last event received").asRuntimeException());
        }
        return;
      }
      queue.add(event);
      drain();
    }

    private synchronized void drain() {
      if (closed) return;
      WatchEvent e;
      while (call.isReady() && (e = queue.poll()) != null) {
        size.decrementAndGet();
        lastVersion = e.getVersion();
        call.onNext(e);
      }
    }

    private void close() {
      closed = true;
      AutoCloseable h = handle;
      if (h != null) {
        try {
          h.close();
        } catch (Exception ignored) {
          // a list removal
        }
      }
    }
  }

  private static <T, R> void reply(CompletableFuture<T> f, Function<T, R> map, StreamObserver<R> out) {
    f.whenComplete((v, e) -> {
      if (e != null) {
        out.onError(toStatus(e));
      } else {
        out.onNext(map.apply(v));
        out.onCompleted();
      }
    });
  }

  /** An ApiException as a gRPC status, field errors as a google.rpc.BadRequest detail. */
  static StatusRuntimeException toStatus(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    if (!(t instanceof ApiException e)) {
      log.error("internal error: {}", t.toString(), t);
      return Status.INTERNAL.withDescription(t.toString()).asRuntimeException();
    }
    com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder()
        .setCode(e.code().value()).setMessage(e.getMessage() == null ? "" : e.getMessage());
    if (!e.fieldErrors().isEmpty()) {
      BadRequest.Builder br = BadRequest.newBuilder();
      for (FieldError fe : e.fieldErrors()) {
        br.addFieldViolations(BadRequest.FieldViolation.newBuilder().setField(fe.field()).setDescription(fe.body()));
      }
      s.addDetails(com.google.protobuf.Any.pack(br.build()));
    }
    assert Code.forNumber(e.code().value()) != null;
    return StatusProto.toStatusRuntimeException(s.build());
  }
}
