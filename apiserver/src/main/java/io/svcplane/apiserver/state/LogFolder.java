package io.svcplane.apiserver.state;

import io.svcplane.api.v1.Resource;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.LogRecord;
import io.svcplane.eventlog.LogTail;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apiserver's one fold of the log: a thread tails svcplane.resources and svcplane.endpoints
 * (committed records only) and folds every record, the apiserver's own writes included, through
 * {@link ClusterDelta}; for its own writes it takes the events the writer handed over
 * ({@link OwnEvents}) rather than parsing the records again. It publishes each new image, keeps a
 * window of the newest records for resuming clients, tells subscribers, and completes
 * {@link #awaitPositions} futures, which is how a write learns that it can be read.
 */
public final class LogFolder implements ResumableReadModel, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogFolder.class);
  /** Default window: the newest 50,000 records (objects are shared with the image, so it is cheap). */
  public static final int DEFAULT_WINDOW = 50_000;

  /** Listener that also gets each record's previous and current object. */
  public interface FoldListener {
    void onFolded(List<FoldedRecord> records, ClusterImage before, ClusterImage after);
  }

  /** Catch-up callback of {@link #subscribeFolded}. */
  public interface FoldedCatchUp {
    void onCatchUp(List<FoldedRecord> missed, ClusterImage image);
  }

  private record Waiter(LogPositions target, CompletableFuture<ClusterImage> future) {}

  private final LogTail tail;
  private final OwnEvents ownEvents = new OwnEvents();
  private final int windowCapacity;
  private final Object lock = new Object();
  private final ArrayDeque<FoldedRecord> window = new ArrayDeque<>();
  private final List<FoldListener> listeners = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final ConcurrentLinkedQueue<CompletableFuture<ClusterImage>> endOfLogRequests =
      new ConcurrentLinkedQueue<>();
  private LogPositions windowStart = LogPositions.EMPTY;
  private volatile ClusterImage image = ClusterImage.EMPTY;
  private volatile boolean running;
  private volatile Throwable failure;
  private Thread thread;
  private volatile java.util.function.Consumer<Throwable> onFailure = t -> {};

  /** Called once, on the folding thread, if the fold stops on an error. */
  public void onFailure(java.util.function.Consumer<Throwable> callback) {
    this.onFailure = callback;
  }

  public LogFolder(KafkaClients clients, int windowCapacity) {
    if (windowCapacity < 1) throw new IllegalArgumentException("watch window must hold at least 1 record");
    this.windowCapacity = windowCapacity;
    this.tail = new LogTail(clients, List.of(LogTopic.RESOURCES, LogTopic.ENDPOINTS), ownEvents);
  }

  /** Where this apiserver's writer hands its events to the fold, which then need not parse them. */
  public OwnEvents ownEvents() {
    return ownEvents;
  }

  /** Folds everything committed up to now, on the caller's thread; call before {@link #start()}. */
  public ClusterImage catchUp() {
    return foldToEnd();
  }

  /**
   * Folds up to the end of the committed log as it is when called, and moves the image's
   * positions past trailing control records and aborted records too, so the image says "read it
   * all". Only the thread that polls the tail may call it.
   */
  private ClusterImage foldToEnd() {
    LogPositions end = tail.endPositions();
    while (!tail.position().covers(end)) {
      foldBatch(tail.poll(Duration.ofMillis(200)));
    }
    LogPositions reached = tail.position();
    List<Waiter> done;
    ClusterImage reachedImage;
    synchronized (lock) {
      ClusterDelta d = new ClusterDelta(image);
      for (LogTopic t : LogTopic.values()) {
        for (int p = 0; p < reached.partitions(t); p++) d.advance(t, p, reached.next(t, p));
      }
      image = d.apply();
      reachedImage = image;
      done = dueWaiters();
    }
    complete(done);
    return reachedImage;
  }

  /**
   * Completes with the image once the fold has read the whole committed log as it is now: every
   * transaction that has ended by now, committed or aborted, is behind it. The writer waits for
   * this after a failed transaction before it derives its state from the image again.
   */
  public CompletableFuture<ClusterImage> awaitEndOfLog() {
    CompletableFuture<ClusterImage> f = new CompletableFuture<>();
    Throwable failed = failure;
    if (failed != null) f.completeExceptionally(failed);
    else endOfLogRequests.add(f);
    return f;
  }

  /** Starts following the log on the folding thread. */
  public synchronized void start() {
    if (thread != null) return;
    running = true;
    thread = new Thread(this::run, "svcplane-fold");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        List<LogRecord> records = tail.poll(Duration.ofMillis(200));
        if (!records.isEmpty()) foldBatch(records);
        if (!endOfLogRequests.isEmpty()) serveEndOfLogRequests();
      }
    } catch (WakeupException e) {
      // closing
    } catch (Throwable t) {
      if (running) {
        log.error("the fold of the log stopped: {}", t.toString(), t);
        failure = t;
        synchronized (lock) {
          waiters.forEach(w -> w.future.completeExceptionally(t));
          waiters.clear();
        }
        for (CompletableFuture<ClusterImage> f; (f = endOfLogRequests.poll()) != null; ) f.completeExceptionally(t);
        onFailure.accept(t);
      }
    }
  }

  private void serveEndOfLogRequests() {
    List<CompletableFuture<ClusterImage>> served = new ArrayList<>();
    for (CompletableFuture<ClusterImage> f; (f = endOfLogRequests.poll()) != null; ) served.add(f);
    ClusterImage reached = foldToEnd();
    served.forEach(f -> f.complete(reached));
  }

  private void foldBatch(List<LogRecord> records) {
    if (records.isEmpty()) return;
    ClusterImage before = image;
    ClusterDelta delta = new ClusterDelta(before);
    List<FoldedRecord> folded = new ArrayList<>(records.size());
    Map<String, Resource> batchState = new HashMap<>();
    for (LogRecord r : records) {
      ObjectKey key = keyOf(r);
      Resource previous = null;
      String viewKey = null;
      if (key != null) {
        viewKey = r.topic().ordinal() + "|" + key;
        previous = batchState.containsKey(viewKey) ? batchState.get(viewKey)
            : (r.topic() == LogTopic.ENDPOINTS ? before.get(key) : before.getWritten(key)).orElse(null);
      }
      // The object as the image holds it now, with its resourceVersion (null: deleted), shared
      // with the image rather than copied again.
      Resource current = r.replayInto(delta);
      if (key != null) batchState.put(viewKey, current);
      folded.add(new FoldedRecord(r, key, previous, current));
    }
    ClusterImage after = delta.apply();
    List<Waiter> done;
    synchronized (lock) {
      image = after;
      for (FoldedRecord f : folded) {
        window.addLast(f);
        if (window.size() > windowCapacity) {
          LogRecord old = window.removeFirst().record();
          windowStart = windowStart.advance(old.topic(), old.partition(), old.offset() + 1);
        }
      }
      for (FoldListener l : listeners) {
        try {
          l.onFolded(folded, before, after);
        } catch (RuntimeException e) {
          log.warn("a fold listener failed: {}", e.toString(), e);
        }
      }
      done = dueWaiters();
    }
    // Outside the lock: completing a write's future answers its client.
    complete(done);
  }

  /** The object key a record names; null for records the fold ignores. */
  private static ObjectKey keyOf(LogRecord r) {
    if (r.event() != null) {
      Resource o = r.event().getObject();
      if (o.getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) return null;
      if (r.topic() == LogTopic.ENDPOINTS && !o.hasEndpoints()) return null;
      return ObjectKey.of(o);
    }
    try {
      return ObjectKey.parse(r.key());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private List<Waiter> dueWaiters() {
    List<Waiter> done = new ArrayList<>();
    LogPositions at = image.positions();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (at.covers(w.target)) {
        it.remove();
        done.add(w);
      }
    }
    return done;
  }

  private void complete(List<Waiter> done) {
    ClusterImage img = image;
    for (Waiter w : done) w.future.complete(img);
  }

  /** Completes with the image once the fold has reached {@code target} (read-your-writes). */
  public CompletableFuture<ClusterImage> awaitPositions(LogPositions target) {
    CompletableFuture<ClusterImage> f = new CompletableFuture<>();
    synchronized (lock) {
      if (failure != null) f.completeExceptionally(failure);
      else if (image.positions().covers(target)) f.complete(image);
      else waiters.add(new Waiter(target, f));
    }
    return f;
  }

  @Override
  public ClusterImage image() {
    return image;
  }

  @Override
  public int windowCapacity() {
    return windowCapacity;
  }

  /** The oldest version a client can resume from. */
  public LogPositions windowStart() {
    synchronized (lock) {
      return windowStart;
    }
  }

  @Override
  public AutoCloseable subscribe(Listener listener) {
    FoldListener l = (records, before, after) -> listener.onBatch(records(records), before, after);
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  @Override
  public AutoCloseable subscribeFrom(LogPositions since, CatchUp catchUp, Listener listener) throws VersionTooOldException {
    return subscribeFolded(since,
        (missed, img) -> catchUp.onCatchUp(records(missed), img),
        (records, before, after) -> listener.onBatch(records(records), before, after));
  }

  /** {@link #subscribeFrom} with each record's previous and current object. */
  public AutoCloseable subscribeFolded(LogPositions since, FoldedCatchUp catchUp, FoldListener listener)
      throws VersionTooOldException {
    synchronized (lock) {
      List<FoldedRecord> missed = new ArrayList<>();
      if (since != null) {
        if (!since.covers(windowStart)) throw new VersionTooOldException(since, windowStart, windowCapacity);
        for (FoldedRecord f : window) {
          LogRecord r = f.record();
          if (r.offset() >= since.next(r.topic(), r.partition())) missed.add(f);
        }
      }
      catchUp.onCatchUp(missed, image);
      listeners.add(listener);
    }
    return () -> listeners.remove(listener);
  }

  private static List<LogRecord> records(List<FoldedRecord> folded) {
    List<LogRecord> out = new ArrayList<>(folded.size());
    for (FoldedRecord f : folded) out.add(f.record());
    return out;
  }

  /** Why the fold stopped, or null while it runs. */
  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() {
    running = false;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    tail.close();
    synchronized (lock) {
      waiters.forEach(w -> w.future.completeExceptionally(new IllegalStateException("the apiserver is stopping")));
      waiters.clear();
    }
    for (CompletableFuture<ClusterImage> f; (f = endOfLogRequests.poll()) != null; ) {
      f.completeExceptionally(new IllegalStateException("the apiserver is stopping"));
    }
  }
}
