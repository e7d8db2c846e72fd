package io.svcplane.apiserver.write;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What the writer decides against: the latest folded image plus the writes it has sent but the
 * fold has not reached yet. Only the writer thread touches it.
 */
final class WriteView {

  /** An object written by a batch that the fold has not reached; object null means deleted. */
  record PendingObject(Resource object, PendingBatch batch, int index) {
    /** The object with its resourceVersion once the batch committed, else with none. */
    Resource withVersion() {
      long offset = batch.offset(index);
      if (offset < 0) return object;
      return Kinds.withMetadata(object, Kinds.metadata(object).toBuilder().setResourceVersion(Long.toString(offset)).build());
    }
  }

  /** The object a write starts from: folded (pending null) or pending. */
  record Stored(Resource object, PendingObject pending) {
    String resourceVersion() {
      return Kinds.metadata(object).getResourceVersion();
    }
  }

  private ClusterImage image = ClusterImage.EMPTY;
  private final Map<ObjectKey, PendingObject> overlay = new HashMap<>();

  ClusterImage image() {
    return image;
  }

  /** Moves to a newer folded image and forgets pending writes it contains. */
  void refresh(ClusterImage newer) {
    image = newer;
    for (Iterator<PendingObject> it = overlay.values().iterator(); it.hasNext(); ) {
      PendingObject p = it.next();
      long offset = p.batch().offset(p.index());
      if (offset >= 0 && newer.positions().next(LogTopic.RESOURCES, p.batch().partition(p.index())) > offset) it.remove();
    }
  }

  int pendingCount() {
    return overlay.size();
  }

  /** Forgets every pending write (after a failed batch, once the fold holds all committed ones). */
  void reset(ClusterImage folded) {
    overlay.clear();
    image = folded;
  }

  Optional<Stored> lookup(ObjectKey key) {
    PendingObject p = overlay.get(key);
    if (p != null) return p.object() == null ? Optional.empty() : Optional.of(new Stored(p.withVersion(), p));
    return image.getWritten(key).map(r -> new Stored(r, null));
  }

  void put(ObjectKey key, PendingObject pending) {
    overlay.put(key, pending);
  }

  boolean namespaceExists(String namespace) {
    return lookup(new ObjectKey(Kind.NAMESPACE, "", namespace)).isPresent();
  }

  /** Keys of every written object in a namespace (pods, services, user Endpoints), sorted. */
  TreeSet<ObjectKey> keysInNamespace(String namespace) {
    TreeSet<ObjectKey> keys = new TreeSet<>();
    NamespaceImage ns = image.namespace(namespace);
    ns.pods().keySet().forEach(n -> keys.add(new ObjectKey(Kind.POD, namespace, n)));
    ns.services().keySet().forEach(n -> keys.add(new ObjectKey(Kind.SERVICE, namespace, n)));
    ns.userEndpoints().keySet().forEach(n -> keys.add(new ObjectKey(Kind.ENDPOINTS, namespace, n)));
    overlay.forEach((k, p) -> {
      if (Kinds.isNamespaced(k.kind()) && k.namespace().equals(namespace)) {
        if (p.object() == null) keys.remove(k);
        else keys.add(k);
      }
    });
    return keys;
  }
}
