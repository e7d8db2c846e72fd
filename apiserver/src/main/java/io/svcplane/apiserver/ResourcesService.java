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
import io.svcplane.api.v1.Kind;
import io.svcplane.apiserver.auth.Attributes;
import io.svcplane.apiserver.auth.RequestAuthorizer;
import io.svcplane.core.Kinds;
import io.svcplane.core.validation.FieldError;
import io.svcplane.core.validation.ResourceDefaults;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC Resources service: a thin adapter over {@link ResourceApi}. Each call is first
 * authorized (verb, kind, namespace, name) by the {@link RequestAuthorizer}: a denied request
 * does nothing and appends nothing.
 */
public final class ResourcesService extends ResourcesGrpc.ResourcesImplBase {
  private static final Logger log = LoggerFactory.getLogger(ResourcesService.class);
  /** Events a watch may have queued for a slow client before it is cut off (it can resume). */
  static final int MAX_WATCH_BACKLOG = 100_000;

  private final ResourceApi api;
  private final RequestAuthorizer authorizer;
  /** Where List and the start of a Watch run: see {@link #ResourcesService(ResourceApi, RequestAuthorizer, Executor)}. */
  private final Executor heavyCalls;

  /** Everyone may do everything (in-process use and tests). */
  public ResourcesService(ResourceApi api) {
    this(api, RequestAuthorizer.ALLOW_ALL, Runnable::run);
  }

  /**
   * The server runs calls on its transport threads (a direct executor): every verb but List and
   * Watch only checks the request and hands it to the writer or the fold, and a hop to another
   * thread and back per call (a wake-up each way) cost about a tenth of the apiserver's CPU per
   * write at 64 clients. List (may sort and serialize a whole collection) and the start of a
   * Watch (may replay a backlog) go to {@code heavyCalls}, so that they do not hold up the other
   * calls of their connection.
   */
  public ResourcesService(ResourceApi api, RequestAuthorizer authorizer, Executor heavyCalls) {
    this.api = api;
    this.authorizer = authorizer;
    this.heavyCalls = heavyCalls;
  }

  @Override
  public void create(CreateRequest request, StreamObserver<Resource> out) {
    // As in Kubernetes, a create is authorized before the name is known ("services is forbidden"),
    // but for a Node: a node proxy may create its own Node only (NodeRestriction).
    if (!authorized(out, () -> authorizeWrite("create", request.getObject(),
        request.getObject().getObjectCase() == Resource.ObjectCase.NODE))) {
      return;
    }
    reply(api.create(request.getObject(), request.getDryRun()), r -> r.object(), out);
  }

  @Override
  public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
    // Apply patches an existing object and creates a new one (Kubernetes' server-side apply).
    if (!authorized(out, () -> {
      Resource o = request.getObject();
      if (o.getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) return;
      Kind kind = Kinds.kindOf(o);
      String ns = namespaceOf(kind, Kinds.metadata(o).getNamespace());
      String name = Kinds.metadata(o).getName();
      authorizer.check(Attributes.of("patch", kind, ns, name));
      if (!api.exists(kind, ns, name)) authorizer.check(Attributes.of("create", kind, ns, kind == Kind.NODE ? name : ""));
    })) {
      return;
    }
    reply(api.apply(request.getObject(), request.getDryRun()),
        r -> ApplyResponse.newBuilder().setObject(r.object()).setResult(r.result()).build(), out);
  }

  @Override
  public void get(GetRequest request, StreamObserver<Resource> out) {
    if (!authorized(out, () -> authorizer.check(Attributes.of("get", request.getKind(),
        namespaceOf(request.getKind(), request.getNamespace()), request.getName())))) {
      return;
    }
    reply(api.get(request.getKind(), request.getNamespace(), request.getName()), r -> r, out);
  }

  @Override
  public void list(ListRequest request, StreamObserver<ListResponse> out) {
    // An empty namespace lists every namespace: that needs the right cluster-wide, as in Kubernetes.
    if (!authorized(out, () -> authorizer.check(Attributes.of("list", request.getKind(), request.getNamespace(), "")))) return;
    heavyCalls.execute(() -> reply(api.list(request.getKind(), request.getNamespace(), request.getLabelSelector()),
        r -> r, out));
  }

  @Override
  public void update(UpdateRequest request, StreamObserver<Resource> out) {
    if (!authorized(out, () -> authorizeWrite("update", request.getObject(), true))) return;
    reply(api.update(request.getObject(), request.getDryRun()), r -> r.object(), out);
  }

  @Override
  public void updateStatus(UpdateRequest request, StreamObserver<Resource> out) {
    if (!authorized(out, () -> {
      Resource o = request.getObject();
      if (o.getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) return;
      Kind kind = Kinds.kindOf(o);
      authorizer.check(Attributes.of("update", kind, namespaceOf(kind, Kinds.metadata(o).getNamespace()),
          Kinds.metadata(o).getName()).subresource("status"));
    })) {
      return;
    }
    reply(api.updateStatus(request.getObject(), request.getDryRun()), r -> r.object(), out);
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<Resource> out) {
    if (!authorized(out, () -> authorizer.check(Attributes.of("delete", request.getKind(),
        namespaceOf(request.getKind(), request.getNamespace()), request.getName())))) {
      return;
    }
    reply(api.delete(request.getKind(), request.getNamespace(), request.getName(), request.getResourceVersion(),
        request.getGracePeriodSeconds()), r -> r.object(), out);
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<WatchEvent> out) {
    // Every kind watched needs watch, in the namespace or (empty) cluster-wide.
    if (!authorized(out, () -> {
      List<Kind> kinds = request.getKind() == Kind.KIND_UNSPECIFIED
          ? List.of(Kind.NAMESPACE, Kind.NODE, Kind.POD, Kind.SERVICE, Kind.ENDPOINTS) : List.of(request.getKind());
      for (Kind k : kinds) {
        if (k == Kind.UNRECOGNIZED || !request.getNamespace().isEmpty() && !Kinds.isNamespaced(k)) continue;
        authorizer.check(Attributes.of("watch", k, request.getNamespace(), ""));
      }
    })) {
      return;
    }
    ServerCallStreamObserver<WatchEvent> call = (ServerCallStreamObserver<WatchEvent>) out;
    FlowControlledSink sink = new FlowControlledSink(call);
    heavyCalls.execute(() -> {
      try {
        api.watch(request, sink).whenComplete((handle, e) -> {
          if (e != null) out.onError(toStatus(e));
          else sink.onClose(handle);
        });
      } catch (RuntimeException e) {
        out.onError(toStatus(e));
      }
    });
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

  /** Runs the authorization check; on a refusal answers with its status and returns false. */
  private static boolean authorized(StreamObserver<?> out, Runnable check) {
    try {
      check.run();
      return true;
    } catch (RuntimeException e) {
      out.onError(toStatus(e));
      return false;
    }
  }

  private void authorizeWrite(String verb, Resource o, boolean named) {
    if (o.getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) return;
    Kind kind = Kinds.kindOf(o);
    authorizer.check(Attributes.of(verb, kind, namespaceOf(kind, Kinds.metadata(o).getNamespace()),
        named ? Kinds.metadata(o).getName() : ""));
  }

  /** The namespace a request about one object lands in: "default" when empty, as the write path does. */
  private static String namespaceOf(Kind kind, String namespace) {
    return Kinds.isNamespaced(kind) && namespace.isEmpty() ? ResourceDefaults.DEFAULT_NAMESPACE : namespace;
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
