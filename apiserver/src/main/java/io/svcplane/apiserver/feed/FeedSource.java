package io.svcplane.apiserver.feed;

import io.svcplane.core.image.ClusterImage;
import io.svcplane.eventlog.LogRecord;
import java.util.List;

/**
 * What the ProxyFeed needs of the apiserver's read model: the latest folded image, and every
 * folded batch in log order with the images before and after it.
 */
public interface FeedSource {
  ClusterImage image();

  /** Calls {@code listener} after each folded batch, in log order; close to stop. */
  AutoCloseable subscribe(BatchListener listener);

  interface BatchListener {
    void onBatch(List<LogRecord> records, ClusterImage before, ClusterImage after);
  }
}
