package io.svcplane.apiserver.state;

import io.svcplane.core.image.ClusterImage;
import io.svcplane.eventlog.LogRecord;
import java.util.List;

/**
 * The apiserver's read model: the fold of both topics of the log, as other parts of the apiserver
 * (the Resources and ProxyFeed services) see it.
 */
public interface ReadModel {
  /** The latest folded image (immutable). */
  ClusterImage image();

  /** Calls the listener, in log order on the folding thread, after each folded batch; close() unsubscribes. */
  AutoCloseable subscribe(Listener listener);

  interface Listener {
    void onBatch(List<LogRecord> records, ClusterImage before, ClusterImage after);
  }
}
