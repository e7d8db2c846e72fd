package io.svcplane.core.image;

import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;

/**
 * Changes to one {@link ClusterImage}, after Kafka's MetadataDelta: {@link #replay} folds log
 * records one by one, {@link #apply()} returns the new image. The image's maps are persistent
 * (pcollections, as in Kafka's metadata image): a change costs O(log n) new nodes and shares the
 * rest with the base image, so folding a small batch into a namespace of 100,000 objects does not
 * copy the namespace (the apiserver folds a batch per transaction). Not thread-safe; one delta is
 * used once.
 */
public final class ClusterDelta {
  private final ClusterImage base;
  private final Map<String, NamespaceChanges> namespaces = new HashMap<>();
  private PMap<String, Node> nodes;
  private PMap<String, Namespace> namespaceObjects;
  private LogPositions positions;
  private final Set<ObjectKey> changedResources = new LinkedHashSet<>();
  private final Set<ObjectKey> changedEndpoints = new LinkedHashSet<>();

  public ClusterDelta(ClusterImage base) {
    this.base = base;
    this.positions = base.positions();
  }

  public ClusterImage base() {
    return base;
  }

  /**
   * Folds one record. The object's resourceVersion becomes the record's offset. On
   * svcplane.endpoints only Endpoints are folded; anything else there only advances the position.
   */
  public void replay(LogTopic topic, int partition, long offset, ResourceEvent event) {
    positions = positions.advance(topic, partition, offset + 1);
    Resource object = event.getObject();
    if (object.getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) return;
    if (topic == LogTopic.ENDPOINTS && object.getObjectCase() != Resource.ObjectCase.ENDPOINTS) return;

    ObjectKey key = ObjectKey.of(object);
    boolean delete = event.getType() == EventType.DELETED;
    Resource stored = delete ? null : withResourceVersion(object, offset);
    (topic == LogTopic.RESOURCES ? changedResources : changedEndpoints).add(key);

    String name = key.name();
    switch (key.kind()) {
      case NAMESPACE -> {
        var m = namespaceObjects == null ? persistent(base.namespaceObjects()) : namespaceObjects;
        namespaceObjects = delete ? m.minus(name) : m.plus(name, stored.getNamespace());
      }
      case NODE -> {
        var m = nodes == null ? persistent(base.nodes()) : nodes;
        nodes = delete ? m.minus(name) : m.plus(name, stored.getNode());
      }
      case POD -> {
        var c = changes(key.namespace());
        c.pods = delete ? c.pods().minus(name) : c.pods().plus(name, stored.getPod());
      }
      case SERVICE -> {
        var c = changes(key.namespace());
        c.services = delete ? c.services().minus(name) : c.services().plus(name, stored.getService());
      }
      case ENDPOINTS -> {
        var c = changes(key.namespace());
        if (topic == LogTopic.RESOURCES) {
          c.userEndpoints = delete ? c.userEndpoints().minus(name) : c.userEndpoints().plus(name, stored.getEndpoints());
        } else {
          c.endpoints = delete ? c.endpoints().minus(name) : c.endpoints().plus(name, stored.getEndpoints());
        }
      }
      default -> throw new IllegalArgumentException("no kind: " + key.kind());
    }
  }

  /** Moves the positions without a record, e.g. past aborted transaction markers. */
  public void advance(LogTopic topic, int partition, long nextOffset) {
    positions = positions.advance(topic, partition, nextOffset);
  }

  /** Keys of objects that records on svcplane.resources touched, in first-touch order. */
  public Set<ObjectKey> changedResources() {
    return Collections.unmodifiableSet(changedResources);
  }

  /** Keys of Endpoints that records on svcplane.endpoints touched, in first-touch order. */
  public Set<ObjectKey> changedEndpoints() {
    return Collections.unmodifiableSet(changedEndpoints);
  }

  public boolean isEmpty() {
    return changedResources.isEmpty() && changedEndpoints.isEmpty() && positions.equals(base.positions());
  }

  public ClusterImage apply() {
    Map<String, NamespaceImage> newNamespaces = base.namespaces();
    if (!namespaces.isEmpty()) {
      PMap<String, NamespaceImage> m = persistent(base.namespaces());
      for (var e : namespaces.entrySet()) {
        NamespaceImage ns = e.getValue().apply();
        m = ns.isEmpty() ? m.minus(e.getKey()) : m.plus(e.getKey(), ns);
      }
      newNamespaces = m;
    }
    return new ClusterImage(
        newNamespaces,
        nodes == null ? base.nodes() : nodes,
        namespaceObjects == null ? base.namespaceObjects() : namespaceObjects,
        positions);
  }

  private NamespaceChanges changes(String namespace) {
    return namespaces.computeIfAbsent(namespace, n -> new NamespaceChanges(base.namespace(n)));
  }

  /** The image's maps are persistent already, except the empty ones of a fresh image. */
  static <V> PMap<String, V> persistent(Map<String, V> m) {
    return m instanceof PMap<String, V> p ? p : HashTreePMap.from(m);
  }

  private static Resource withResourceVersion(Resource r, long offset) {
    String version = Long.toString(offset);
    // a reader that parsed the version into the object already (svcctl's replay does) saves a copy
    if (Kinds.metadata(r).getResourceVersion().equals(version)) return r;
    var meta = Kinds.metadata(r).toBuilder().setResourceVersion(version).build();
    return Kinds.withMetadata(r, meta);
  }

  /** The maps of one namespace that this delta changed; null where untouched. */
  private static final class NamespaceChanges {
    private final NamespaceImage base;
    PMap<String, io.svcplane.api.v1.Pod> pods;
    PMap<String, io.svcplane.api.v1.Service> services;
    PMap<String, io.svcplane.api.v1.Endpoints> userEndpoints;
    PMap<String, io.svcplane.api.v1.Endpoints> endpoints;

    NamespaceChanges(NamespaceImage base) {
      this.base = base;
    }

    PMap<String, io.svcplane.api.v1.Pod> pods() {
      return pods == null ? persistent(base.pods()) : pods;
    }

    PMap<String, io.svcplane.api.v1.Service> services() {
      return services == null ? persistent(base.services()) : services;
    }

    PMap<String, io.svcplane.api.v1.Endpoints> userEndpoints() {
      return userEndpoints == null ? persistent(base.userEndpoints()) : userEndpoints;
    }

    PMap<String, io.svcplane.api.v1.Endpoints> endpoints() {
      return endpoints == null ? persistent(base.endpoints()) : endpoints;
    }

    NamespaceImage apply() {
      return new NamespaceImage(
          pods == null ? base.pods() : pods,
          services == null ? base.services() : services,
          userEndpoints == null ? base.userEndpoints() : userEndpoints,
          endpoints == null ? base.endpoints() : endpoints);
    }
  }
}
