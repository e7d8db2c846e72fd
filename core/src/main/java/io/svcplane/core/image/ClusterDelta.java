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

/**
 * Changes to one {@link ClusterImage}, after Kafka's MetadataDelta: {@link #replay} folds log
 * records one by one into copy-on-write maps, {@link #apply()} returns the new image. Maps that no
 * record touched are shared with the base image. Not thread-safe; one delta is used once.
 */
public final class ClusterDelta {
  private final ClusterImage base;
  private final Map<String, NamespaceChanges> namespaces = new HashMap<>();
  private HashMap<String, Node> nodes;
  private HashMap<String, Namespace> namespaceObjects;
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

    switch (key.kind()) {
      case NAMESPACE -> {
        if (namespaceObjects == null) namespaceObjects = new HashMap<>(base.namespaceObjects());
        if (delete) namespaceObjects.remove(key.name());
        else namespaceObjects.put(key.name(), stored.getNamespace());
      }
      case NODE -> {
        if (nodes == null) nodes = new HashMap<>(base.nodes());
        if (delete) nodes.remove(key.name());
        else nodes.put(key.name(), stored.getNode());
      }
      case POD -> {
        var m = changes(key.namespace()).pods();
        if (delete) m.remove(key.name());
        else m.put(key.name(), stored.getPod());
      }
      case SERVICE -> {
        var m = changes(key.namespace()).services();
        if (delete) m.remove(key.name());
        else m.put(key.name(), stored.getService());
      }
      case ENDPOINTS -> {
        var c = changes(key.namespace());
        var m = topic == LogTopic.RESOURCES ? c.userEndpoints() : c.endpoints();
        if (delete) m.remove(key.name());
        else m.put(key.name(), stored.getEndpoints());
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
      HashMap<String, NamespaceImage> m = new HashMap<>(base.namespaces());
      namespaces.forEach((name, changes) -> {
        NamespaceImage ns = changes.apply(base.namespace(name));
        if (ns.isEmpty()) m.remove(name);
        else m.put(name, ns);
      });
      newNamespaces = NamespaceImage.frozen(m);
    }
    return new ClusterImage(
        newNamespaces,
        nodes == null ? base.nodes() : NamespaceImage.frozen(nodes),
        namespaceObjects == null ? base.namespaceObjects() : NamespaceImage.frozen(namespaceObjects),
        positions);
  }

  private NamespaceChanges changes(String namespace) {
    return namespaces.computeIfAbsent(namespace, n -> new NamespaceChanges(base.namespace(n)));
  }

  private static Resource withResourceVersion(Resource r, long offset) {
    String version = Long.toString(offset);
    // a reader that parsed the version into the object already (svcctl's replay does) saves a copy
    if (Kinds.metadata(r).getResourceVersion().equals(version)) return r;
    var meta = Kinds.metadata(r).toBuilder().setResourceVersion(version).build();
    return Kinds.withMetadata(r, meta);
  }

  /** Copy-on-first-write maps of one namespace. */
  private static final class NamespaceChanges {
    private final NamespaceImage base;
    private HashMap<String, io.svcplane.api.v1.Pod> pods;
    private HashMap<String, io.svcplane.api.v1.Service> services;
    private HashMap<String, io.svcplane.api.v1.Endpoints> userEndpoints;
    private HashMap<String, io.svcplane.api.v1.Endpoints> endpoints;

    NamespaceChanges(NamespaceImage base) {
      this.base = base;
    }

    HashMap<String, io.svcplane.api.v1.Pod> pods() {
      if (pods == null) pods = new HashMap<>(base.pods());
      return pods;
    }

    HashMap<String, io.svcplane.api.v1.Service> services() {
      if (services == null) services = new HashMap<>(base.services());
      return services;
    }

    HashMap<String, io.svcplane.api.v1.Endpoints> userEndpoints() {
      if (userEndpoints == null) userEndpoints = new HashMap<>(base.userEndpoints());
      return userEndpoints;
    }

    HashMap<String, io.svcplane.api.v1.Endpoints> endpoints() {
      if (endpoints == null) endpoints = new HashMap<>(base.endpoints());
      return endpoints;
    }

    NamespaceImage apply(NamespaceImage current) {
      return new NamespaceImage(
          pods == null ? current.pods() : NamespaceImage.frozen(pods),
          services == null ? current.services() : NamespaceImage.frozen(services),
          userEndpoints == null ? current.userEndpoints() : NamespaceImage.frozen(userEndpoints),
          endpoints == null ? current.endpoints() : NamespaceImage.frozen(endpoints));
    }
  }
}
