package io.svcplane.core;

import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import java.util.Locale;

/** The five kinds: their names, scope, and uniform access to the object inside a {@link Resource}. */
public final class Kinds {
  private Kinds() {}

  public static Kind kindOf(Resource r) {
    return switch (r.getObjectCase()) {
      case NAMESPACE -> Kind.NAMESPACE;
      case NODE -> Kind.NODE;
      case POD -> Kind.POD;
      case SERVICE -> Kind.SERVICE;
      case ENDPOINTS -> Kind.ENDPOINTS;
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
  }

  public static boolean isNamespaced(Kind kind) {
    return kind == Kind.POD || kind == Kind.SERVICE || kind == Kind.ENDPOINTS;
  }

  /** Kubernetes' kind name: "Service". */
  public static String kindName(Kind kind) {
    return switch (kind) {
      case NAMESPACE -> "Namespace";
      case NODE -> "Node";
      case POD -> "Pod";
      case SERVICE -> "Service";
      case ENDPOINTS -> "Endpoints";
      default -> throw new IllegalArgumentException("no kind: " + kind);
    };
  }

  /** Resource name, plural and lowercase, as kubectl and RBAC use it: "services". */
  public static String plural(Kind kind) {
    return kind == Kind.ENDPOINTS ? "endpoints" : singular(kind) + "s";
  }

  /** Lowercase singular, as in kubectl's "service/web". */
  public static String singular(Kind kind) {
    return kindName(kind).toLowerCase(Locale.ROOT);
  }

  /** Parses a kind name as it appears in manifests and keys ("Service"). */
  public static Kind byName(String name) {
    return switch (name) {
      case "Namespace" -> Kind.NAMESPACE;
      case "Node" -> Kind.NODE;
      case "Pod" -> Kind.POD;
      case "Service" -> Kind.SERVICE;
      case "Endpoints" -> Kind.ENDPOINTS;
      default -> throw new IllegalArgumentException("unknown kind \"" + name + "\"");
    };
  }

  public static ObjectMeta metadata(Resource r) {
    return switch (r.getObjectCase()) {
      case NAMESPACE -> r.getNamespace().getMetadata();
      case NODE -> r.getNode().getMetadata();
      case POD -> r.getPod().getMetadata();
      case SERVICE -> r.getService().getMetadata();
      case ENDPOINTS -> r.getEndpoints().getMetadata();
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
  }

  /** The same resource with its metadata replaced. */
  public static Resource withMetadata(Resource r, ObjectMeta meta) {
    return switch (r.getObjectCase()) {
      case NAMESPACE -> wrap(r.getNamespace().toBuilder().setMetadata(meta).build());
      case NODE -> wrap(r.getNode().toBuilder().setMetadata(meta).build());
      case POD -> wrap(r.getPod().toBuilder().setMetadata(meta).build());
      case SERVICE -> wrap(r.getService().toBuilder().setMetadata(meta).build());
      case ENDPOINTS -> wrap(r.getEndpoints().toBuilder().setMetadata(meta).build());
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
  }

  /** The same resource with apiVersion "v1" and its kind filled in, as the server returns it. */
  public static Resource withTypeMeta(Resource r) {
    return switch (r.getObjectCase()) {
      case NAMESPACE -> wrap(r.getNamespace().toBuilder().setApiVersion("v1").setKind("Namespace").build());
      case NODE -> wrap(r.getNode().toBuilder().setApiVersion("v1").setKind("Node").build());
      case POD -> wrap(r.getPod().toBuilder().setApiVersion("v1").setKind("Pod").build());
      case SERVICE -> wrap(r.getService().toBuilder().setApiVersion("v1").setKind("Service").build());
      case ENDPOINTS -> wrap(r.getEndpoints().toBuilder().setApiVersion("v1").setKind("Endpoints").build());
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
  }

  /**
   * {@link #withTypeMeta} of {@link #withMetadata}: the object with {@code meta} as the server
   * returns it, in one copy rather than two.
   */
  public static Resource withTypeMetaAndMetadata(Resource r, ObjectMeta meta) {
    return switch (r.getObjectCase()) {
      case NAMESPACE -> wrap(r.getNamespace().toBuilder().setApiVersion("v1").setKind("Namespace").setMetadata(meta).build());
      case NODE -> wrap(r.getNode().toBuilder().setApiVersion("v1").setKind("Node").setMetadata(meta).build());
      case POD -> wrap(r.getPod().toBuilder().setApiVersion("v1").setKind("Pod").setMetadata(meta).build());
      case SERVICE -> wrap(r.getService().toBuilder().setApiVersion("v1").setKind("Service").setMetadata(meta).build());
      case ENDPOINTS -> wrap(r.getEndpoints().toBuilder().setApiVersion("v1").setKind("Endpoints").setMetadata(meta).build());
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
  }

  public static Resource wrap(Namespace o) { return Resource.newBuilder().setNamespace(o).build(); }
  public static Resource wrap(Node o) { return Resource.newBuilder().setNode(o).build(); }
  public static Resource wrap(Pod o) { return Resource.newBuilder().setPod(o).build(); }
  public static Resource wrap(Service o) { return Resource.newBuilder().setService(o).build(); }
  public static Resource wrap(Endpoints o) { return Resource.newBuilder().setEndpoints(o).build(); }
}
