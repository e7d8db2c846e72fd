package io.svcplane.apiserver.write;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.svcplane.api.v1.ApplyResult;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.apiserver.ApiException;
import io.svcplane.apiserver.state.LogFolder;
import io.svcplane.core.Kinds;
import io.svcplane.core.allocation.ClusterIpAllocator;
import io.svcplane.core.allocation.NodePortAllocator;
import io.svcplane.core.allocation.NodePortRange;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apiserver's write path: one thread that decides writes one at a time against the fold plus
 * its own not-yet-folded writes ({@link Admission}), and appends the accepted ones to
 * svcplane.resources with a transactional producer. Writes that arrive while a transaction is
 * committing wait and go together in the next one (group commit). A write is acknowledged only
 * when its transaction committed and the fold has reached its offset, so the answer carries the
 * real resourceVersion and a read right after it sees it. The transactional id is the writer
 * identity: a second apiserver with the same one fences this one, whose next write then fails
 * with UNAVAILABLE and never reaches the log.
 */
public final class ResourceWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResourceWriter.class);
  /** Most writes in one transaction. */
  static final int MAX_BATCH = 2000;
  /**
   * Transactional producers used in turn. A producer's next transaction waits until the broker
   * has finished the previous one (its commit markers written); taking turns lets a new
   * transaction start while the last one's markers are still being written. The log order is
   * kept because a batch's records are all appended before the next batch is sent.
   */
  static final int DEFAULT_PRODUCERS = 4;
  /** The same number, for the benchmark that measures the raw producer rate beside the apiserver. */
  public static final int DEFAULT_PRODUCERS_FOR_BENCH = DEFAULT_PRODUCERS;

  private record Request(WriteOp op, CompletableFuture<WriteResult> future) {}

  /** An accepted write waiting for its batch to commit and fold. */
  private record AcceptedWrite(Request request, Resource primary, int primaryIndex, ApplyResult result) {}

  private final KafkaClients clients;
  private final String writerId;
  private final String writerName;
  private final LogFolder folder;
  private final ServiceCidr cidr;
  private final NodePortRange nodePorts;
  private final Clock clock;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final List<PendingBatch> inFlight = new ArrayList<>();
  private final WriteView view = new WriteView();
  private volatile Consumer<String> onFenced = reason -> {};
  private final int producerCount;
  private final List<KafkaProducer<String, ResourceEvent>> producers = new ArrayList<>();
  private int nextProducer;
  private Allocations allocations;
  private Admission admission;
  private volatile boolean running;
  private volatile String fencedReason;
  private volatile boolean needsResync;
  /** Set when a batch failed: batches sent after it fail too, until the writer resyncs. */
  private volatile boolean chainBroken;
  private CompletableFuture<Void>[] producerBusy;
  private volatile boolean[] brokenProducer;
  private final java.util.concurrent.ExecutorService committer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "svcplane-commit");
    t.setDaemon(true);
    return t;
  });
  private Thread thread;
  private final java.util.concurrent.atomic.LongAdder statBatches = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder statRecords = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder statCommitNanos = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder statFoldNanos = new java.util.concurrent.atomic.LongAdder();

  /** Counters of the write path: transactions, records, and time spent committing and waiting for the fold. */
  public record Stats(long transactions, long records, long commitNanos, long foldWaitNanos) {
    public double recordsPerTransaction() {
      return transactions == 0 ? 0 : (double) records / transactions;
    }

    public double meanCommitMillis() {
      return transactions == 0 ? 0 : commitNanos / 1e6 / transactions;
    }

    public double meanFoldWaitMillis() {
      return transactions == 0 ? 0 : foldWaitNanos / 1e6 / transactions;
    }
  }

  public Stats stats() {
    return new Stats(statBatches.sum(), statRecords.sum(), statCommitNanos.sum(), statFoldNanos.sum());
  }

  public ResourceWriter(KafkaClients clients, String writerId, LogFolder folder, ServiceCidr cidr,
      NodePortRange nodePorts, Clock clock) {
    this.clients = clients;
    this.writerId = writerId;
    this.writerName = "apiserver/" + writerId;
    this.folder = folder;
    this.cidr = cidr;
    this.nodePorts = nodePorts;
    this.clock = clock;
    this.producerCount = DEFAULT_PRODUCERS;
  }

  /** The transactional ids, shared by every apiserver started with the same writer id. */
  public static List<String> transactionalIds(String writerId, int producers) {
    List<String> ids = new ArrayList<>();
    for (int k = 0; k < producers; k++) ids.add("svcplane.apiserver." + writerId + "." + k);
    return ids;
  }

  /**
   * Registers this writer's transactional ids, fencing any earlier producers with the same ids
   * and aborting their open transactions (so the fold that follows is not held up by them).
   */
  @SuppressWarnings("unchecked")
  public void initTransactions() {
    for (int k = 0; k < producerCount; k++) producers.add(newProducer(k));
    producerBusy = new CompletableFuture[producerCount];
    brokenProducer = new boolean[producerCount];
  }

  private KafkaProducer<String, ResourceEvent> newProducer(int k) {
    String id = transactionalIds(writerId, producerCount).get(k);
    Properties p = clients.producer(id);
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
    p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "svcplane-" + writerName.replace('/', '-') + "-" + k);
    KafkaProducer<String, ResourceEvent> producer = new KafkaProducer<>(p);
    try {
      producer.initTransactions();
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      throw e;
    }
    return producer;
  }

  /** Called once, with the reason, when another apiserver fences this one. */
  public void onFenced(Consumer<String> callback) {
    this.onFenced = callback;
  }

  /** Starts deciding writes against {@code folded}, the image the fold caught up to. */
  public synchronized void start(ClusterImage folded) {
    if (thread != null) return;
    resetAllocations(folded);
    running = true;
    thread = new Thread(this::run, "svcplane-writer");
    thread.setDaemon(true);
    thread.start();
  }

  private void resetAllocations(ClusterImage folded) {
    view.reset(folded);
    allocations = new Allocations(ClusterIpAllocator.fromImage(cidr, folded), NodePortAllocator.fromImage(nodePorts, folded));
    admission = new Admission(view, allocations, clock);
  }

  public boolean isFenced() {
    return fencedReason != null;
  }

  public CompletableFuture<WriteResult> submit(WriteOp op) {
    CompletableFuture<WriteResult> f = new CompletableFuture<>();
    if (fencedReason != null) {
      f.completeExceptionally(ApiException.unavailable(fencedReason));
    } else if (!running) {
      f.completeExceptionally(ApiException.unavailable("the apiserver is not accepting writes (starting or stopping)"));
    } else {
      queue.add(new Request(op, f));
    }
    return f;
  }

  private void run() {
    List<Request> batch = new ArrayList<>();
    while (running) {
      try {
        Request first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        batch.clear();
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        process(batch);
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        log.error("writer failed on a batch: {}", e.toString(), e);
        for (Request r : batch) r.future.completeExceptionally(new ApiException(Status.Code.INTERNAL, e.toString()));
        needsResync = true;
      }
    }
    List<Request> rest = new ArrayList<>();
    queue.drainTo(rest);
    rest.forEach(r -> r.future.completeExceptionally(ApiException.unavailable("the apiserver is stopping")));
  }

  private void process(List<Request> requests) {
    if (fencedReason != null) {
      requests.forEach(r -> r.future.completeExceptionally(ApiException.unavailable(fencedReason)));
      return;
    }
    inFlight.removeIf(b -> b.folded.isDone());
    if (needsResync) resync();
    view.refresh(folder.image());

    PendingBatch batch = new PendingBatch();
    List<ProducerRecord<String, ResourceEvent>> records = new ArrayList<>();
    List<AcceptedWrite> accepted = new ArrayList<>();
    Timestamp now = now();
    for (Request req : requests) {
      Admission.Decision d = admission.decide(req.op);
      if (d instanceof Admission.Rejected rej) {
        req.future.completeExceptionally(rej.error());
      } else if (d instanceof Admission.Unchanged u) {
        answerUnchanged(req, u);
      } else if (d instanceof Admission.Accepted a) {
        if (Admission.isDryRun(req.op)) {
          req.future.complete(new WriteResult(Kinds.withTypeMeta(a.changes().get(a.primary()).object()), a.result()));
          continue;
        }
        int primaryIndex = -1;
        for (int i = 0; i < a.changes().size(); i++) {
          Admission.Change c = a.changes().get(i);
          int idx = batch.add();
          if (i == a.primary()) primaryIndex = idx;
          ResourceEvent event = ResourceEvent.newBuilder().setType(c.type()).setObject(c.object())
              .setTime(now).setWriter(writerName).build();
          records.add(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), c.key().toString(), event));
          view.put(c.key(), new WriteView.PendingObject(c.type() == EventType.DELETED ? null : c.object(), batch, idx));
        }
        accepted.add(new AcceptedWrite(req, a.changes().get(a.primary()).object(), primaryIndex, a.result()));
      }
    }
    if (records.isEmpty()) return;

    // Send on the next producer in turn, and wait until the records are appended: their offsets
    // are then known, and the next batch's records will come after them in every partition.
    long t0 = System.nanoTime();
    int k = nextProducer;
    nextProducer = (nextProducer + 1) % producers.size();
    awaitProducer(k);
    if (fencedReason != null || chainBroken) {
      ApiException error = ApiException.unavailable(fencedReason != null ? fencedReason
          : "an earlier write transaction failed; nothing of this one was written");
      batch.folded.completeExceptionally(error);
      accepted.forEach(w -> w.request.future.completeExceptionally(error));
      needsResync = true;
      return;
    }
    KafkaProducer<String, ResourceEvent> producer = producers.get(k);
    try {
      producer.beginTransaction();
      List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
      for (var r : records) sent.add(producer.send(r));
      producer.flush();
      for (int i = 0; i < sent.size(); i++) {
        RecordMetadata md = sent.get(i).get();
        batch.committed(i, md.partition(), md.offset());
      }
    } catch (Exception e) {
      failBatch(batch, accepted, k, e);
      return;
    }
    statRecords.add(records.size());
    inFlight.add(batch);
    // Commit on the committer thread, in batch order, while this thread goes on with the next
    // batch on another producer.
    producerBusy[k] = CompletableFuture.runAsync(() -> commit(batch, accepted, k, t0), committer);
  }

  /** Waits until producer k's last transaction has been committed (or failed). */
  private void awaitProducer(int k) {
    CompletableFuture<Void> busy = producerBusy[k];
    if (busy != null) busy.join();
    if (brokenProducer[k]) {
      try {
        producers.get(k).close(Duration.ofSeconds(1));
      } catch (RuntimeException ignored) {
        // replaced next
      }
      producers.set(k, newProducer(k));
      brokenProducer[k] = false;
    }
  }

  /** On the committer thread: commits one batch, then acknowledges its writes once the fold has them. */
  private void commit(PendingBatch batch, List<AcceptedWrite> accepted, int k, long t0) {
    if (chainBroken || fencedReason != null) {
      // An earlier batch failed: this one was decided assuming it had not, so it must not land.
      failBatch(batch, accepted, k, new IllegalStateException("an earlier write transaction failed"));
      return;
    }
    try {
      producers.get(k).commitTransaction();
    } catch (Exception e) {
      failBatch(batch, accepted, k, e);
      return;
    }
    long t1 = System.nanoTime();
    statBatches.increment();
    statCommitNanos.add(t1 - t0);
    folder.awaitPositions(batch.target()).whenComplete((img, err) -> {
      statFoldNanos.add(System.nanoTime() - t1);
      if (err != null) {
        ApiException unavailable = ApiException.unavailable("the write was committed but the fold of the log failed: " + err);
        accepted.forEach(w -> w.request.future.completeExceptionally(unavailable));
        batch.folded.completeExceptionally(unavailable);
        return;
      }
      for (AcceptedWrite w : accepted) {
        Resource o = w.primary;
        o = Kinds.withMetadata(o, Kinds.metadata(o).toBuilder().setResourceVersion(Long.toString(batch.offset(w.primaryIndex))).build());
        w.request.future.complete(new WriteResult(Kinds.withTypeMeta(o), w.result));
      }
      batch.folded.complete(img);
    });
  }

  private void answerUnchanged(Request req, Admission.Unchanged u) {
    WriteView.PendingObject p = u.stored().pending();
    if (p == null) {
      req.future.complete(new WriteResult(Kinds.withTypeMeta(u.stored().object()), u.result()));
      return;
    }
    // The object is a write not folded yet: answer once it is, with its real resourceVersion.
    p.batch().folded.whenComplete((img, err) -> {
      if (err != null) req.future.completeExceptionally(err);
      else req.future.complete(new WriteResult(Kinds.withTypeMeta(p.withVersion()), u.result()));
    });
  }

  /**
   * A batch that will not land: abort its transaction, fail its writes, and make every batch
   * sent after it fail too (they were decided assuming it would land). Runs on either thread.
   */
  private void failBatch(PendingBatch batch, List<AcceptedWrite> accepted, int k, Exception e) {
    Throwable fence = fencingCause(e);
    ApiException error;
    if (fence != null) {
      if (fencedReason == null) {
        fencedReason = "this apiserver was fenced: another apiserver started with writer id \"" + writerId
            + "\" and owns the log now (" + fence.getClass().getSimpleName() + ")";
        log.error(fencedReason);
        onFenced.accept(fencedReason);
      }
      error = ApiException.unavailable(fencedReason);
    } else {
      if (!chainBroken) log.warn("a write transaction failed, aborting it: {}", e.toString());
      error = ApiException.unavailable("the write to the log failed and nothing was written: " + rootMessage(e));
      try {
        producers.get(k).abortTransaction();
      } catch (RuntimeException abortFailed) {
        log.warn("abort failed, the producer will be replaced: {}", abortFailed.toString());
        brokenProducer[k] = true;
      }
      chainBroken = true;
      needsResync = true;
    }
    batch.folded.completeExceptionally(error);
    accepted.forEach(w -> w.request.future.completeExceptionally(error));
  }

  /**
   * After a failed transaction the view and the allocators hold writes that never happened: wait
   * until the fold holds every committed batch, then derive both from the image again.
   */
  private void resync() {
    for (int k = 0; k < producerBusy.length; k++) {
      CompletableFuture<Void> busy = producerBusy[k];
      if (busy != null) busy.join();
    }
    for (PendingBatch b : inFlight) {
      try {
        b.folded.get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException e) {
        // a failed batch: nothing of it is in the log
      } catch (TimeoutException e) {
        log.warn("resync: a committed batch did not fold within 30 s");
      }
    }
    inFlight.clear();
    resetAllocations(folder.image());
    chainBroken = false;
    needsResync = false;
  }

  private static Throwable fencingCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException
          || t instanceof TransactionalIdAuthorizationException || t instanceof AuthorizationException) {
        return t;
      }
    }
    return null;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.toString();
  }

  private Timestamp now() {
    Instant i = clock.instant();
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
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
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<Request> rest = new ArrayList<>();
    queue.drainTo(rest);
    rest.forEach(r -> r.future.completeExceptionally(ApiException.unavailable("the apiserver is stopping")));
    committer.shutdown();
    try {
      committer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (fencedReason != null) {
      for (KafkaProducer<String, ResourceEvent> pr : producers) {
        try {
          pr.close(Duration.ZERO);
        } catch (RuntimeException ignored) {
          // fenced producers may refuse to close cleanly
        }
      }
    } else {
      for (KafkaProducer<String, ResourceEvent> pr : producers) {
        try {
          pr.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
          log.debug("closing a producer: {}", e.toString());
        }
      }
    }
  }
}
