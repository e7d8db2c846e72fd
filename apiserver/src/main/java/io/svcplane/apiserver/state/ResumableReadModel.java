package io.svcplane.apiserver.state;

import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.eventlog.LogRecord;
import java.util.List;

/**
 * A {@link ReadModel} that keeps a bounded window of the most recent records in memory, so that a
 * client that was away (a Watch, a node proxy's ProxyFeed stream) can resume from the version it
 * last saw and get exactly the records it missed.
 */
public interface ResumableReadModel extends ReadModel {

  /** How many records the window keeps (the newest ones, across both topics). */
  int windowCapacity();

  /**
   * Resumes a client at {@code since}: on the folding thread's lock, calls
   * {@code catchUp.onCatchUp(missed, image)} with every retained record after {@code since} in log
   * order and the current image (whose positions are where {@code listener} continues), then
   * subscribes {@code listener} to every later batch. Nothing is missed or repeated between the
   * two. Both callbacks must be quick and must not block.
   *
   * @param since the client's version, or null to start from now (missed is then empty)
   * @throws VersionTooOldException if records after {@code since} have left the window
   */
  AutoCloseable subscribeFrom(LogPositions since, CatchUp catchUp, Listener listener) throws VersionTooOldException;

  interface CatchUp {
    void onCatchUp(List<LogRecord> missed, ClusterImage image);
  }

  /** The client's version is older than the window: it must list again (Kubernetes' 410 Gone). */
  final class VersionTooOldException extends Exception {
    private final LogPositions windowStart;

    public VersionTooOldException(LogPositions since, LogPositions windowStart, int capacity) {
      super("too old resource version: the watch window (the newest " + capacity
          + " records) no longer holds every change after it; list again and watch from the list's version");
      this.windowStart = windowStart;
    }

    /** The oldest version the window can still resume from. */
    public LogPositions windowStart() {
      return windowStart;
    }
  }
}
