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
 * records one by one into per-map change sets (the last change of each key wins), {@link #apply()}
 * returns the new image. The image's maps are persistent ({@link HashTrieMap}, as Kafka's metadata
 * image's are): applying a changed key costs O(log n) new nodes and shares the rest with the base
 * image, so folding a small batch into a namespace of 100,000 objects does not copy the namespace (the
 * apiserver folds a batch per transaction), and a long replay pays the persistent map once per
 * key, not once per record. Not thread-safe; one delta is used once.
 */
public final class ClusterDelta {
  private final ClusterImage base;
  private final Map<String, NamespaceChanges> namespaces = new HashMap<>();
  private final Changes<Node> nodes = new Changes<>();
  private final Changes<Namespace> namespaceObjects = new Changes<>();
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
   *
   * @return the object as the image now holds it (with its resourceVersion), or null if the record
   *     deleted it or was not folded
   */
  public Resource replay(LogTopic topic, int partition, long offset, ResourceEvent event) {
    positions = positions.advance(topic, partition, offset + 1);
    Resource object = event.getObject();
    if (object.getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) return null;
    if (topic == LogTopic.ENDPOINTS && object.getObjectCase() != Resource.ObjectCase.ENDPOINTS) return null;

    ObjectKey key = ObjectKey.of(object);
    boolean delete = event.getType() == EventType.DELETED;
    Resource stored = delete ? null : withResourceVersion(object, offset);
    (topic == LogTopic.RESOURCES ? changedResources : changedEndpoints).add(key);

    String name = key.name();
    switch (key.kind()) {
      case NAMESPACE -> namespaceObjects.put(name, delete ? null : stored.getNamespace());
      case NODE -> nodes.put(name, delete ? null : stored.getNode());
      case POD -> changes(key.namespace()).pods.put(name, delete ? null : stored.getPod());
      case SERVICE -> changes(key.namespace()).services.put(name, delete ? null : stored.getService());
      case ENDPOINTS -> {
        var c = changes(key.namespace());
        (topic == LogTopic.RESOURCES ? c.userEndpoints : c.endpoints).put(name, delete ? null : stored.getEndpoints());
      }
      default -> throw new IllegalArgumentException("no kind: " + key.kind());
    }
    return stored;
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
      HashTrieMap<String, NamespaceImage> m = persistent(base.namespaces());
      for (var e : namespaces.entrySet()) {
        NamespaceImage ns = e.getValue().apply();
        m = ns.isEmpty() ? m.minus(e.getKey()) : m.plus(e.getKey(), ns);
      }
      newNamespaces = m;
    }
    return new ClusterImage(newNamespaces, nodes.applyTo(base.nodes()), namespaceObjects.applyTo(base.namespaceObjects()),
        positions);
  }

  private NamespaceChanges changes(String namespace) {
    return namespaces.computeIfAbsent(namespace, n -> new NamespaceChanges(base.namespace(n)));
  }

  /** The image's maps are persistent once a second delta changed them; plain before. */
  static <V> HashTrieMap<String, V> persistent(Map<String, V> m) {
    return HashTrieMap.from(m);
  }

  /**
   * The object as {@link #replay} stores it from a record at {@code offset}: with its
   * resourceVersion. A writer that hands its own events to the fold builds them with this.
   */
  public static Resource withResourceVersion(Resource r, long offset) {
    String version = Long.toString(offset);
    // a reader that parsed the version into the object already (svcctl's replay does) saves a copy
    if (Kinds.metadata(r).getResourceVersion().equals(version)) return r;
    var meta = Kinds.metadata(r).toBuilder().setResourceVersion(version).build();
    return Kinds.withMetadata(r, meta);
  }

  /** The changes to one map of the image: the last value of each key, null for removed. */
  private static final class Changes<V> {
    private final HashMap<String, V> last = new HashMap<>();

    void put(String name, V valueOrNullToRemove) {
      last.put(name, valueOrNullToRemove);
    }

    Map<String, V> applyTo(Map<String, V> base) {
      if (last.isEmpty()) return base;
      if (base.isEmpty()) {
        // A map built in one go (a replay, a new namespace) stays a plain one until a later delta
        // changes it: the persistent map costs more to build than a HashMap.
        HashMap<String, V> fresh = new HashMap<>(last);
        fresh.values().removeIf(java.util.Objects::isNull);
        return fresh.isEmpty() ? Map.of() : Collections.unmodifiableMap(fresh);
      }
      HashTrieMap<String, V> m = persistent(base);
      for (var e : last.entrySet()) m = e.getValue() == null ? m.minus(e.getKey()) : m.plus(e.getKey(), e.getValue());
      return m;
    }
  }

  /** The changes to the maps of one namespace. */
  private static final class NamespaceChanges {
    private final NamespaceImage base;
    final Changes<io.svcplane.api.v1.Pod> pods = new Changes<>();
    final Changes<io.svcplane.api.v1.Service> services = new Changes<>();
    final Changes<io.svcplane.api.v1.Endpoints> userEndpoints = new Changes<>();
    final Changes<io.svcplane.api.v1.Endpoints> endpoints = new Changes<>();

    NamespaceChanges(NamespaceImage base) {
      this.base = base;
    }

    NamespaceImage apply() {
      return new NamespaceImage(
          pods.applyTo(base.pods()),
          services.applyTo(base.services()),
          userEndpoints.applyTo(base.userEndpoints()),
          endpoints.applyTo(base.endpoints()));
    }
  }
}
