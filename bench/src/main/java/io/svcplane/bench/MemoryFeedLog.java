package io.svcplane.bench;

import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.apiserver.feed.FeedSource;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A log folded in memory that feeds a ProxyFeedHub, for benchmarks that isolate the feed and the proxy from Kafka. */
final class MemoryFeedLog implements FeedSource {
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

  /** Folds one batch of upserts and tells the feed; returns the version after it. */
  synchronized String put(Resource... objects) {
    ClusterImage before = image;
    ClusterDelta delta = new ClusterDelta(before);
    List<LogRecord> records = new ArrayList<>();
    for (Resource r : objects) {
      ResourceEvent e = ResourceEvent.newBuilder().setType(EventType.MODIFIED).setObject(r).build();
      LogRecord rec = new LogRecord(LogTopic.RESOURCES, 0, offset++, System.currentTimeMillis(), ObjectKey.of(r).toString(), e);
      rec.replayInto(delta);
      records.add(rec);
    }
    image = delta.apply();
    for (BatchListener l : listeners) l.onBatch(records, before, image);
    return image.positions().encode();
  }
}
