package io.svcplane.core.image;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The whole cluster as of a position in the log: the fold of every event up to it, after Kafka's
 * MetadataImage. Immutable; {@link ClusterDelta} replays events over one image and
 * {@link ClusterDelta#apply()} returns the next image, reusing every part that did not change.
 * The apiserver, the endpoint controller, the node proxies and svcctl's replay all fold with it.
 */
public final class ClusterImage {
  public static final ClusterImage EMPTY =
      new ClusterImage(Map.of(), Map.of(), Map.of(), LogPositions.EMPTY);

  private final Map<String, NamespaceImage> namespaces;
  private final Map<String, Node> nodes;
  private final Map<String, Namespace> namespaceObjects;
  private final LogPositions positions;

  ClusterImage(
      Map<String, NamespaceImage> namespaces,
      Map<String, Node> nodes,
      Map<String, Namespace> namespaceObjects,
      LogPositions positions) {
    this.namespaces = namespaces;
    this.nodes = nodes;
    this.namespaceObjects = namespaceObjects;
    this.positions = positions;
  }

  /** Namespaced objects per namespace name; a namespace with no objects has no entry. */
  public Map<String, NamespaceImage> namespaces() {
    return namespaces;
  }

  public NamespaceImage namespace(String name) {
    return namespaces.getOrDefault(name, NamespaceImage.EMPTY);
  }

  /** Nodes by name. */
  public Map<String, Node> nodes() {
    return nodes;
  }

  /** Namespace objects by name (namespaces may hold objects without one). */
  public Map<String, Namespace> namespaceObjects() {
    return namespaceObjects;
  }

  /** The position just after the last event folded into this image. */
  public LogPositions positions() {
    return positions;
  }

  /** The object as users see it; for Endpoints, the published ones. */
  public Optional<Resource> get(ObjectKey key) {
    return lookup(key, false);
  }

  /** The object as last written to svcplane.resources; for Endpoints, the user-written ones. */
  public Optional<Resource> getWritten(ObjectKey key) {
    return lookup(key, true);
  }

  private Optional<Resource> lookup(ObjectKey key, boolean written) {
    NamespaceImage ns = namespace(key.namespace());
    String n = key.name();
    return Optional.ofNullable(
        switch (key.kind()) {
          case NAMESPACE -> wrapOrNull(namespaceObjects.get(n));
          case NODE -> wrapOrNull(nodes.get(n));
          case POD -> ns.pods().containsKey(n) ? Kinds.wrap(ns.pods().get(n)) : null;
          case SERVICE -> ns.services().containsKey(n) ? Kinds.wrap(ns.services().get(n)) : null;
          case ENDPOINTS -> {
            var m = written ? ns.userEndpoints() : ns.endpoints();
            yield m.containsKey(n) ? Kinds.wrap(m.get(n)) : null;
          }
          default -> throw new IllegalArgumentException("no kind: " + key.kind());
        });
  }

  /**
   * Objects of one kind as users see them, sorted by namespace then name.
   *
   * @param namespace one namespace, or empty for all (ignored for cluster-scoped kinds)
   */
  public List<Resource> list(Kind kind, String namespace, Predicate<Resource> filter) {
    List<Resource> out = new ArrayList<>();
    switch (kind) {
      case NAMESPACE -> namespaceObjects.values().forEach(o -> out.add(Kinds.wrap(o)));
      case NODE -> nodes.values().forEach(o -> out.add(Kinds.wrap(o)));
      case POD, SERVICE, ENDPOINTS -> {
        if (namespace.isEmpty()) {
          namespaces.values().forEach(ns -> addNamespaced(kind, ns, out));
        } else {
          addNamespaced(kind, namespace(namespace), out);
        }
      }
      default -> throw new IllegalArgumentException("no kind: " + kind);
    }
    out.removeIf(filter.negate());
    out.sort(BY_NAMESPACE_AND_NAME);
    return out;
  }

  private static void addNamespaced(Kind kind, NamespaceImage ns, List<Resource> out) {
    switch (kind) {
      case POD -> ns.pods().values().forEach(o -> out.add(Kinds.wrap(o)));
      case SERVICE -> ns.services().values().forEach(o -> out.add(Kinds.wrap(o)));
      case ENDPOINTS -> ns.endpoints().values().forEach(o -> out.add(Kinds.wrap(o)));
      default -> throw new IllegalStateException();
    }
  }

  public static final Comparator<Resource> BY_NAMESPACE_AND_NAME =
      Comparator.comparing((Resource r) -> Kinds.metadata(r).getNamespace())
          .thenComparing(r -> Kinds.metadata(r).getName());

  private static Resource wrapOrNull(Namespace o) {
    return o == null ? null : Kinds.wrap(o);
  }

  private static Resource wrapOrNull(Node o) {
    return o == null ? null : Kinds.wrap(o);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClusterImage c
        && namespaces.equals(c.namespaces)
        && nodes.equals(c.nodes)
        && namespaceObjects.equals(c.namespaceObjects)
        && positions.equals(c.positions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(namespaces, nodes, namespaceObjects, positions);
  }

  @Override
  public String toString() {
    return "ClusterImage(namespaces=" + namespaces + ", nodes=" + nodes.keySet()
        + ", namespaceObjects=" + namespaceObjects.keySet() + ", positions=" + positions + ")";
  }
}
