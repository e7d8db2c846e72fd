package io.svcplane.apiserver.feed;

import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A log folded in memory that feeds a {@link ProxyFeedHub} without Kafka: for tests and benchmarks
 * that isolate the feed and the node proxy from the broker. Versions are positions of that log.
 */
public final class InMemoryFeedSource implements FeedSource {
  private final List<BatchListener> listeners = new CopyOnWriteArrayList<>();
  private ClusterImage image = ClusterImage.EMPTY;
  private long offset;

  @Override
  public synchronized ClusterImage image() {
    return image;
  }

  @Override
  public AutoCloseable subscribe(BatchListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Appends one batch of upserts (ADDED/MODIFIED) on svcplane.resources; returns the version after it. */
  public synchronized String put(Resource... objects) {
    return batch(EventType.MODIFIED, objects);
  }

  public synchronized String delete(Resource... objects) {
    return batch(EventType.DELETED, objects);
  }

  /** Endpoints as the endpoint controller publishes them (svcplane.endpoints). */
  public synchronized String publish(Resource endpoints) {
    return batch(LogTopic.ENDPOINTS, EventType.MODIFIED, endpoints);
  }

  private String batch(EventType type, Resource... objects) {
    return batch(LogTopic.RESOURCES, type, objects);
  }

  private String batch(LogTopic topic, EventType type, Resource... objects) {
    ClusterImage before = image;
    ClusterDelta delta = new ClusterDelta(before);
    List<LogRecord> records = new ArrayList<>();
    for (Resource r : objects) {
      ResourceEvent e = ResourceEvent.newBuilder().setType(type).setObject(r).build();
      LogRecord rec = new LogRecord(topic, 0, offset++, System.currentTimeMillis(), ObjectKey.of(r).toString(), e);
      rec.replayInto(delta);
      records.add(rec);
    }
    image = delta.apply();
    for (BatchListener l : listeners) l.onBatch(records, before, image);
    return image.positions().encode();
  }
}
