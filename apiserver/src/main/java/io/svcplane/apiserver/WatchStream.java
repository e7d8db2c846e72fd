package io.svcplane.apiserver;

import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.WatchEvent;
import io.svcplane.apiserver.state.FoldedRecord;
import io.svcplane.apiserver.state.LogFolder;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.selector.LabelSelector;
import io.svcplane.eventlog.LogRecord;
import java.util.List;

/**
 * One Watch: turns folded records into the WatchEvents a client asked for (kind, namespace, label
 * selector), as Kubernetes' watch cache does: user Endpoints are not shown (Endpoints events come
 * from svcplane.endpoints), and with a label selector an object that starts matching arrives as
 * ADDED and one that stops matching as DELETED. Each event carries the collection version just
 * after its record. Runs on the folding thread; the sink must not block.
 */
public final class WatchStream implements LogFolder.FoldListener {

  /** Where events go (a gRPC stream with flow control, a test's queue). */
  public interface Sink {
    void send(WatchEvent event);
  }

  private final Kind kind;
  private final String namespace;
  private final LabelSelector selector;
  private final LogPositions floor;
  private final Sink sink;

  WatchStream(Kind kind, String namespace, LabelSelector selector, LogPositions since, Sink sink) {
    this.kind = kind;
    this.namespace = namespace;
    this.selector = selector;
    this.floor = since == null ? LogPositions.EMPTY : since;
    this.sink = sink;
  }

  void catchUp(List<FoldedRecord> missed, ClusterImage image, boolean sendInitial) {
    if (!missed.isEmpty()) {
      emit(missed, floor);
    } else if (sendInitial && floor.equals(LogPositions.EMPTY)) {
      String version = image.positions().encode();
      for (Kind k : kindsWatched()) {
        for (Resource r : image.list(k, Kinds.isNamespaced(k) ? namespace : "", r -> matches(r))) {
          if (!namespace.isEmpty() && !Kinds.isNamespaced(k)) continue;
          sink.send(WatchEvent.newBuilder().setType(EventType.ADDED).setObject(Kinds.withTypeMeta(r)).setVersion(version).build());
        }
      }
    }
  }

  private List<Kind> kindsWatched() {
    if (kind != Kind.KIND_UNSPECIFIED) return List.of(kind);
    return List.of(Kind.NAMESPACE, Kind.NODE, Kind.POD, Kind.SERVICE, Kind.ENDPOINTS);
  }

  @Override
  public void onFolded(List<FoldedRecord> records, ClusterImage before, ClusterImage after) {
    emit(records, before.positions());
  }

  private void emit(List<FoldedRecord> records, LogPositions start) {
    LogPositions at = start;
    for (FoldedRecord f : records) {
      LogRecord r = f.record();
      at = at.advance(r.topic(), r.partition(), r.offset() + 1);
      if (f.key() == null || r.event() == null) continue;
      if (r.offset() < floor.next(r.topic(), r.partition())) continue;
      if (!selected(r.topic(), f.key())) continue;
      WatchEvent e = event(f, r);
      if (e != null) sink.send(e.toBuilder().setVersion(at.encode()).build());
    }
  }

  private boolean selected(LogTopic topic, ObjectKey key) {
    if (topic == LogTopic.RESOURCES && key.kind() == Kind.ENDPOINTS) return false;
    if (kind != Kind.KIND_UNSPECIFIED && kind != key.kind()) return false;
    if (!namespace.isEmpty()) return Kinds.isNamespaced(key.kind()) && key.namespace().equals(namespace);
    return true;
  }

  private WatchEvent event(FoldedRecord f, LogRecord r) {
    EventType type = r.event().getType();
    Resource deleted = type == EventType.DELETED ? withVersion(r.event().getObject(), r.offset()) : null;
    if (selector.isEverything()) {
      Resource obj = type == EventType.DELETED ? deleted : f.current();
      return obj == null ? null : WatchEvent.newBuilder().setType(type).setObject(Kinds.withTypeMeta(obj)).build();
    }
    if (type == EventType.DELETED) {
      boolean was = matches(deleted) || (f.previous() != null && matches(f.previous()));
      return was ? WatchEvent.newBuilder().setType(EventType.DELETED).setObject(Kinds.withTypeMeta(deleted)).build() : null;
    }
    boolean now = f.current() != null && matches(f.current());
    boolean was = f.previous() != null && matches(f.previous());
    if (now && was) return WatchEvent.newBuilder().setType(EventType.MODIFIED).setObject(Kinds.withTypeMeta(f.current())).build();
    if (now) return WatchEvent.newBuilder().setType(EventType.ADDED).setObject(Kinds.withTypeMeta(f.current())).build();
    if (was) {
      // Kubernetes sends the previous state, at the new version, when an object stops matching.
      return WatchEvent.newBuilder().setType(EventType.DELETED)
          .setObject(Kinds.withTypeMeta(withVersion(f.previous(), r.offset()))).build();
    }
    return null;
  }

  private boolean matches(Resource r) {
    return selector.matches(Kinds.metadata(r).getLabelsMap());
  }

  private static Resource withVersion(Resource r, long offset) {
    return Kinds.withMetadata(r, Kinds.metadata(r).toBuilder().setResourceVersion(Long.toString(offset)).build());
  }
}
