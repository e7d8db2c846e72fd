package io.svcplane.apiserver;

import io.svcplane.api.v1.Pod;
import io.svcplane.apiserver.state.FoldedRecord;
import io.svcplane.apiserver.state.LogFolder;
import io.svcplane.apiserver.state.ResumableReadModel;
import io.svcplane.apiserver.write.ResourceWriter;
import io.svcplane.apiserver.write.WriteOp;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.NamespaceImage;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends pods' grace periods: every pod that the fold shows with a deletionTimestamp is deleted when
 * that time comes. Because it works from the fold, pending deletions survive a restart: the image
 * folded at start holds them, and they are scheduled again.
 */
final class GracefulDeletions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GracefulDeletions.class);

  private final ResourceWriter writer;
  private final Clock clock;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "svcplane-grace");
    t.setDaemon(true);
    return t;
  });
  private AutoCloseable subscription;

  GracefulDeletions(ResourceWriter writer, Clock clock) {
    this.writer = writer;
    this.clock = clock;
  }

  void start(LogFolder folder) throws ResumableReadModel.VersionTooOldException {
    subscription = folder.subscribeFolded(null, (missed, image) -> scheduleAll(image), this::onFolded);
  }

  private void scheduleAll(ClusterImage image) {
    for (NamespaceImage ns : image.namespaces().values()) {
      for (Pod pod : ns.pods().values()) maybeSchedule(pod);
    }
  }

  private void onFolded(List<FoldedRecord> records, ClusterImage before, ClusterImage after) {
    for (FoldedRecord f : records) {
      if (f.current() != null && f.current().hasPod() && f.record().topic() == io.svcplane.core.image.LogTopic.RESOURCES) {
        maybeSchedule(f.current().getPod());
      }
    }
  }

  private void maybeSchedule(Pod pod) {
    var m = pod.getMetadata();
    if (!m.hasDeletionTimestamp()) return;
    ObjectKey key = ObjectKey.of(Kinds.wrap(pod));
    long delayMs = Math.max(0, m.getDeletionTimestamp().getSeconds() * 1000 - clock.millis());
    String uid = m.getUid();
    timer.schedule(() -> {
      writer.submit(new WriteOp.FinishGracefulDelete(key, uid)).whenComplete((r, e) -> {
        if (e != null && !(e instanceof ApiException a && a.code() == io.grpc.Status.Code.NOT_FOUND)) {
          log.warn("could not finish the graceful deletion of {}: {}", key, e.getMessage());
        }
      });
    }, delayMs, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (subscription != null) {
      try {
        subscription.close();
      } catch (Exception ignored) {
        // a list removal
      }
    }
    timer.shutdownNow();
  }
}
