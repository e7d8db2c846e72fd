package io.svcplane.apiserver;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListResponse;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.WatchRequest;
import io.svcplane.apiserver.state.LogFolder;
import io.svcplane.apiserver.state.ResumableReadModel;
import io.svcplane.apiserver.write.ResourceWriter;
import io.svcplane.apiserver.write.WriteOp;
import io.svcplane.apiserver.write.WriteResult;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.selector.LabelSelector;
import io.svcplane.core.validation.ResourceDefaults;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The apiserver's verbs as plain Java, knowing nothing of gRPC: writes go to the
 * {@link ResourceWriter}, reads come from the fold. The gRPC Resources service is a thin adapter
 * over it, and other in-process services (the ProxyFeed registering Nodes) can call it directly.
 * Failures are {@link ApiException}s (thrown, or completing the future).
 */
public final class ResourceApi {
  private final LogFolder folder;
  private final ResourceWriter writer;
  private final BooleanSupplier ready;

  private volatile java.util.function.UnaryOperator<io.svcplane.api.v1.Node> nodeStatus = java.util.function.UnaryOperator.identity();

  public ResourceApi(LogFolder folder, ResourceWriter writer, BooleanSupplier ready) {
    this.folder = folder;
    this.writer = writer;
    this.ready = ready;
  }

  /**
   * Live state added to Node objects whenever they are served (Get, List, Watch): the ProxyFeed's
   * {@code status.proxy}, which is kept in memory and never written to the log.
   */
  public void decorateNodes(java.util.function.UnaryOperator<io.svcplane.api.v1.Node> decorate) {
    this.nodeStatus = decorate;
  }

  private Resource served(Resource r) {
    Resource typed = Kinds.withTypeMeta(r);
    return typed.hasNode() ? Kinds.wrap(nodeStatus.apply(typed.getNode())) : typed;
  }

  public CompletableFuture<WriteResult> create(Resource object, boolean dryRun) {
    return write(object, () -> new WriteOp.Create(object, dryRun));
  }

  public CompletableFuture<WriteResult> apply(Resource object, boolean dryRun) {
    return write(object, () -> new WriteOp.Apply(object, dryRun));
  }

  public CompletableFuture<WriteResult> update(Resource object, boolean dryRun) {
    return write(object, () -> new WriteOp.Update(object, dryRun));
  }

  public CompletableFuture<WriteResult> updateStatus(Resource object, boolean dryRun) {
    return write(object, () -> new WriteOp.UpdateStatus(object, dryRun));
  }

  /**
   * @param resourceVersion precondition, or "" for none
   * @param gracePeriodSeconds pods only; 0 deletes at once
   */
  public CompletableFuture<WriteResult> delete(Kind kind, String namespace, String name, String resourceVersion,
      int gracePeriodSeconds) {
    try {
      checkReady();
      ObjectKey key = key(kind, namespace, name);
      if (gracePeriodSeconds < 0) {
        throw ApiException.badRequest("gracePeriodSeconds: Invalid value: " + gracePeriodSeconds + ": must be >= 0");
      }
      return writer.submit(new WriteOp.Delete(key, resourceVersion, gracePeriodSeconds, false));
    } catch (ApiException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The object as stored, once the fold holds every write acknowledged before this call
   * (read-your-writes; usually at once).
   */
  public CompletableFuture<Resource> get(Kind kind, String namespace, String name) {
    try {
      checkReady();
      ObjectKey key = key(kind, namespace, name);
      return folded().thenApply(image -> image.get(key).map(this::served).orElseThrow(() -> ApiException.notFound(key)));
    } catch (ApiException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Whether the object exists now (for authorizing Apply: a new object also needs create). */
  public boolean exists(Kind kind, String namespace, String name) {
    if (kind == Kind.KIND_UNSPECIFIED || kind == Kind.UNRECOGNIZED || name.isEmpty()) return false;
    return folder.image().get(key(kind, namespace, name)).isPresent();
  }

  /**
   * Objects of one kind, sorted by namespace then name, with the collection version of the list;
   * like {@link #get}, it holds every write acknowledged before it.
   */
  public CompletableFuture<ListResponse> list(Kind kind, String namespace, String labelSelector) {
    try {
      checkReady();
      requireKind(kind);
      LabelSelector selector = selector(labelSelector);
      return folded().thenApply(image -> {
        List<Resource> items = image.list(kind, Kinds.isNamespaced(kind) ? namespace : "",
            r -> selector.matches(Kinds.metadata(r).getLabelsMap()));
        ListResponse.Builder b = ListResponse.newBuilder().setVersion(image.positions().encode());
        for (Resource r : items) b.addItems(served(r));
        return b.build();
      });
    } catch (ApiException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The fold once it holds every write acknowledged so far. */
  private CompletableFuture<ClusterImage> folded() {
    return folder.awaitPositions(writer.acknowledged()).exceptionallyCompose(t -> CompletableFuture.failedFuture(
        t instanceof ApiException ? t : ApiException.unavailable("the fold of the log failed: " + t)));
  }

  /**
   * Starts a watch: every matching event after the request's version (or, without one, after
   * every write acknowledged so far), in log order, to {@code sink}. Close the returned handle to
   * stop. Bad requests throw at once.
   */
  public CompletableFuture<AutoCloseable> watch(WatchRequest request, WatchStream.Sink sink) {
    checkReady();
    if (request.getKind() == Kind.UNRECOGNIZED) throw ApiException.badRequest("kind: unknown kind");
    LabelSelector selector = selector(request.getLabelSelector());
    LogPositions since;
    try {
      since = request.getSinceVersion().isEmpty() ? null : LogPositions.decode(request.getSinceVersion());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("since_version: " + e.getMessage());
    }
    WatchStream.Sink decorated = e -> sink.send(e.getObject().hasNode()
        ? e.toBuilder().setObject(Kinds.wrap(nodeStatus.apply(e.getObject().getNode()))).build() : e);
    WatchStream stream = new WatchStream(request.getKind(), request.getNamespace(), selector, since, decorated);
    return folded().thenApply(image -> {
      try {
        return folder.subscribeFolded(since, (missed, img) -> stream.catchUp(missed, img, request.getSendInitial()),
            stream);
      } catch (ResumableReadModel.VersionTooOldException e) {
        throw new ApiException(io.grpc.Status.Code.OUT_OF_RANGE, e.getMessage() + " (window start "
            + e.windowStart().encode() + ")");
      }
    });
  }

  private CompletableFuture<WriteResult> write(Resource object, java.util.function.Supplier<WriteOp> op) {
    try {
      checkReady();
      if (object.getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) {
        throw ApiException.badRequest("object: Required value: the request holds no object");
      }
      return writer.submit(op.get());
    } catch (ApiException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void checkReady() {
    if (!ready.getAsBoolean()) throw ApiException.unavailable("the apiserver is starting: it is replaying the log");
  }

  static void requireKind(Kind kind) {
    if (kind == Kind.KIND_UNSPECIFIED || kind == Kind.UNRECOGNIZED) {
      throw ApiException.badRequest("kind: Required value: one of NAMESPACE, NODE, POD, SERVICE, ENDPOINTS");
    }
  }

  static ObjectKey key(Kind kind, String namespace, String name) {
    requireKind(kind);
    if (name.isEmpty()) throw ApiException.badRequest("name: Required value: resource name may not be empty");
    String ns = Kinds.isNamespaced(kind) && namespace.isEmpty() ? ResourceDefaults.DEFAULT_NAMESPACE : namespace;
    return new ObjectKey(kind, ns, name);
  }

  static LabelSelector selector(String text) {
    try {
      return LabelSelector.parse(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("unable to parse requirement: " + e.getMessage());
    }
  }
}
