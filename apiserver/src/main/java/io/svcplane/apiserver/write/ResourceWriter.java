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
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apiserver's write path. One thread decides writes one at a time against the fold plus its
 * own writes the fold has not reached yet ({@link Admission}), and appends each group of accepted
 * writes to svcplane.resources in one Kafka transaction (group commit). A committer thread commits
 * the transactions in the order they were sent; a write is acknowledged as soon as its transaction
 * committed, with resourceVersion = the offset the broker gave its record. Reads wait until the
 * fold has reached every acknowledged write ({@link #acknowledged()}), so a client reads its own
 * writes.
 *
 * <p>Pipeline: while one transaction commits, the next is sent on another producer, and the
 * requests that arrive meanwhile wait and go together in the one after (the batch grows with the
 * load); under heavy load ({@link #ONE_AT_A_TIME_FROM}) a batch waits for the commit before it
 * instead, and grows more, and the writer thread then sends and commits it itself. A batch is
 * sent only after the previous one's records are appended, so the log order is the order of
 * decision in every partition.
 *
 * <p>Failures: a transaction that fails is aborted, its writes fail with UNAVAILABLE, and so does
 * every later transaction (each was decided assuming the earlier ones land); then the writer
 * replaces producers whose state is unknown, waits until the fold holds the whole committed log,
 * derives its state from it again, and goes on. A producer fenced by another apiserver with the
 * same writer identity stops the writer for good.
 */
public final class ResourceWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResourceWriter.class);
  /** How long a producer may take to register its transactional id (each attempt: max.block.ms). */
  static final Duration INIT_PATIENCE = Duration.ofSeconds(90);
  /** Most writes in one transaction. */
  static final int MAX_BATCH = 2000;
  /**
   * Transactional producers. With transaction version 2 a producer's next transaction waits on
   * the broker until the previous one's commit markers are written (CONCURRENT_TRANSACTIONS,
   * retried after 20 ms and more); the writer takes a producer whose last transaction the fold has
   * read back, which proves its markers written. Markers trail the commit by a few milliseconds
   * on a quiet machine and by 100 ms and more on a loaded one: enough producers that one is
   * usually ready.
   */
  static final int DEFAULT_PRODUCERS = 8;
  /** The same number, for the benchmark that measures the raw producer rate beside the apiserver. */
  public static final int DEFAULT_PRODUCERS_FOR_BENCH = DEFAULT_PRODUCERS;
  /**
   * Transactions sent and not yet ended: one committing and one sent behind it. More would only
   * queue behind the commits; fewer would leave the broker idle while a batch is being sent.
   */
  static final int MAX_IN_FLIGHT = 2;
  /**
   * When the last batch carried this many requests, or this many wait, the next batch waits for
   * the transaction in flight to end instead of being sent beside it. Under heavy load the CPU,
   * not the pipeline, is the limit, and the broker's work is per transaction: one at a time, the
   * batches grow (32 writes instead of 27 at 64 clients) and each is sent and committed faster
   * (bench/README, 26 Nov 23:12: +12 % writes/s at 64 clients). Under moderate load (4 writes per
   * batch at 8 clients) overlapping a send with the commit before it is worth 25 %.
   */
  static final int ONE_AT_A_TIME_FROM = 16;
  /**
   * Under heavy load, after the writer committed a transaction and answered its writes, it waits
   * for those writes' clients to send their next ones before it sends the next batch, deciding
   * them as they come: idle for at most as long as that transaction took to send and commit, and
   * never more than this. A client that waits for its answer before writing again (kubectl, a
   * controller, the benchmark's clients) otherwise misses the batch taken right after its answer
   * and waits a whole transaction for the one after it: the clients split into two groups that
   * take turns, and every write pays for two transactions' round trips to the broker instead of
   * one (bench/README, "Measured after the writer commits by itself", 27 Nov).
   */
  static final long GATHER_AT_MOST_NANOS = 2_000_000;
  /** While gathering, the writer is woken when this many writes wait (or all it waits for). */
  static final int GATHER_WAKE_AT = 8;
  private static final long HEALTHY = Long.MAX_VALUE;
  /**
   * Transactions of at most this many writes are answered on the thread that committed them (the
   * committer, or the writer under heavy load): building and serializing the answers takes a few
   * microseconds each, and the clients answered first are the first to send their next writes.
   */
  static final int ANSWER_INLINE = 64;

  private record Request(WriteOp op, CompletableFuture<WriteResult> future, long submittedAt) {}

  /** An accepted write waiting for its transaction to commit. */
  private record AcceptedWrite(Request request, int primaryIndex, ApplyResult result) {}

  /** A transactional producer and the end of the last transaction it carried. */
  private static final class Slot {
    final int index;
    Producer<String, ResourceEvent> producer;
    /** Its last transaction ended: committed or aborted (or failed to). */
    volatile CompletableFuture<Void> idle = CompletableFuture.completedFuture(null);
    /** ...and, if committed, the fold read it back: the broker has finished it. */
    volatile CompletableFuture<Void> ready = CompletableFuture.completedFuture(null);
    /** Its transaction state is unknown (a commit timed out, an abort failed): replace it. */
    volatile boolean broken;

    Slot(int index) {
      this.index = index;
    }
  }

  /** One transaction, from the writer thread to the committer. */
  private record Txn(long seq, PendingBatch batch, List<ProducerRecord<String, ResourceEvent>> records,
      List<AcceptedWrite> accepted, Slot slot, CompletableFuture<Void> ready, long takenAt, Resource[] stored) {}

  private final KafkaClients clients;
  private final String writerId;
  private final String writerName;
  private final LogFolder folder;
  private final ServiceCidr cidr;
  private final NodePortRange nodePorts;
  private final Clock clock;
  private final ProducerFactory producerFactory;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final WriteView view = new WriteView();
  private final Slot[] slots;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  /** Sequence number of the first failed transaction since the last recovery, or HEALTHY. */
  private final AtomicLong brokenFrom = new AtomicLong(HEALTHY);
  private final ExecutorService committer = Executors.newSingleThreadExecutor(daemon("svcplane-commit"));
  /**
   * Answers the writes of a big transaction, so the committer goes on with the next commit at
   * once; a small one's the committer answers itself, saving a thread hop per transaction.
   */
  private final ExecutorService answerer = Executors.newSingleThreadExecutor(daemon("svcplane-answer"));
  private volatile Consumer<String> onFenced = reason -> {};
  private volatile LogPositions acknowledged = LogPositions.EMPTY;
  private int nextSlot;
  /** Requests in the last batch taken (writer thread): how heavy the load is. */
  private int lastBatch;
  /** The slot just taken was taken with no transaction in flight (writer thread). */
  private boolean alone;
  /** Requests expected in the queue after a heavy-load commit, and how long to wait for them (writer thread). */
  private int gatherExpected;
  private long gatherIdleLimitNanos;
  private volatile long gatherAtMostNanos = GATHER_AT_MOST_NANOS;
  /** While the writer waits for returning clients: the queue size that wakes it; else 0. */
  private volatile int gatherTarget;
  private long txnSeq;
  private Allocations allocations;
  private Admission admission;
  private volatile boolean running;
  private volatile String fencedReason;
  private volatile Thread thread;

  private final LongAdder statTransactions = new LongAdder();
  private final LongAdder statRecords = new LongAdder();
  private final LongAdder statAborted = new LongAdder();
  private final LongAdder statDecideNanos = new LongAdder();
  private final LongAdder statSendNanos = new LongAdder();
  private final LongAdder statCommitNanos = new LongAdder();
  private final LongAdder statFoldLagNanos = new LongAdder();
  private final LongAdder statFoldLagCount = new LongAdder();
  private final LongAdder statRecoveries = new LongAdder();
  private final LongAdder statAnswered = new LongAdder();
  private final LongAdder statQueuedNanos = new LongAdder();
  private final LongAdder statAnsweredNanos = new LongAdder();
  private final LongAdder statGatherNanos = new LongAdder();

  /**
   * Counters of the write path. Per committed transaction: time deciding its writes (validation,
   * defaults, allocation), sending them until the broker appended them, committing (EndTxn), and,
   * off the acknowledgement path, from commit until the fold read the records back. Per write
   * that a committed transaction carried (not dry runs, not applies that changed nothing): from
   * submission until its batch was taken up (waiting for a producer and for the batch before it),
   * and until its answer was handed to the caller.
   */
  public record Stats(long transactions, long records, long aborted, long decideNanos, long sendNanos,
      long commitNanos, long foldLagNanos, long foldLagCount, long recoveries, long answered, long queuedNanos,
      long answeredNanos, long gatherNanos) {
    public double recordsPerTransaction() {
      return transactions == 0 ? 0 : (double) records / transactions;
    }

    public double meanDecideMillis() {
      return transactions == 0 ? 0 : decideNanos / 1e6 / transactions;
    }

    public double meanSendMillis() {
      return transactions == 0 ? 0 : sendNanos / 1e6 / transactions;
    }

    public double meanCommitMillis() {
      return transactions == 0 ? 0 : commitNanos / 1e6 / transactions;
    }

    public double meanQueuedMillis() {
      return answered == 0 ? 0 : queuedNanos / 1e6 / answered;
    }

    public double meanAnsweredMillis() {
      return answered == 0 ? 0 : answeredNanos / 1e6 / answered;
    }

    /** Per transaction: waiting for the clients of the last one to send their next writes. */
    public double meanGatherMillis() {
      return transactions == 0 ? 0 : gatherNanos / 1e6 / transactions;
    }

    public double meanFoldLagMillis() {
      return foldLagCount == 0 ? 0 : foldLagNanos / 1e6 / foldLagCount;
    }

    /** The counts of the period from {@code earlier} to this. */
    public Stats since(Stats earlier) {
      return new Stats(transactions - earlier.transactions, records - earlier.records, aborted - earlier.aborted,
          decideNanos - earlier.decideNanos, sendNanos - earlier.sendNanos, commitNanos - earlier.commitNanos,
          foldLagNanos - earlier.foldLagNanos, foldLagCount - earlier.foldLagCount, recoveries - earlier.recoveries,
          answered - earlier.answered, queuedNanos - earlier.queuedNanos, answeredNanos - earlier.answeredNanos,
          gatherNanos - earlier.gatherNanos);
    }
  }

  public Stats stats() {
    return new Stats(statTransactions.sum(), statRecords.sum(), statAborted.sum(), statDecideNanos.sum(),
        statSendNanos.sum(), statCommitNanos.sum(), statFoldLagNanos.sum(), statFoldLagCount.sum(), statRecoveries.sum(),
        statAnswered.sum(), statQueuedNanos.sum(), statAnsweredNanos.sum(), statGatherNanos.sum());
  }

  public ResourceWriter(KafkaClients clients, String writerId, LogFolder folder, ServiceCidr cidr,
      NodePortRange nodePorts, Clock clock) {
    this(clients, writerId, folder, cidr, nodePorts, clock, ProducerFactory.KAFKA);
  }

  public ResourceWriter(KafkaClients clients, String writerId, LogFolder folder, ServiceCidr cidr,
      NodePortRange nodePorts, Clock clock, ProducerFactory producerFactory) {
    this.clients = clients;
    this.writerId = writerId;
    this.writerName = "apiserver/" + writerId;
    this.folder = folder;
    this.cidr = cidr;
    this.nodePorts = nodePorts;
    this.clock = clock;
    this.producerFactory = producerFactory;
    this.slots = new Slot[DEFAULT_PRODUCERS];
    for (int k = 0; k < slots.length; k++) slots[k] = new Slot(k);
  }

  /**
   * How long, at most, the writer stays idle waiting for the clients it answered after a heavy
   * transaction ({@link #GATHER_AT_MOST_NANOS} by default; zero: never waits).
   */
  public void gatherAtMost(java.time.Duration limit) {
    gatherAtMostNanos = checkGatherAtMost(limit).toNanos();
  }

  /** {@code limit}, if it is a valid {@link #gatherAtMost}; else the error that names the rule. */
  public static java.time.Duration checkGatherAtMost(java.time.Duration limit) {
    if (limit.isNegative()) throw new IllegalArgumentException("gatherAtMost: must not be negative, was " + limit);
    return limit;
  }

  /** The transactional ids, shared by every apiserver started with the same writer id. */
  public static List<String> transactionalIds(String writerId, int producers) {
    List<String> ids = new ArrayList<>();
    for (int k = 0; k < producers; k++) ids.add("svcplane.apiserver." + writerId + "." + k);
    return ids;
  }

  /**
   * The settings of the writer's producers, on top of {@link KafkaClients#producer}. The
   * timeouts bound how long a transaction can stay open (and hold back every read_committed
   * reader) when something goes wrong: sending and committing each give up after 4 s, and the
   * broker aborts a transaction left open for 10 s (a crashed apiserver's).
   */
  public static Properties producerSettings(KafkaClients clients, String transactionalId, String clientId) {
    Properties p = clients.producer(transactionalId);
    // One produce request at a time: a transaction's later request can then never reach the
    // broker before its first one, which the broker may turn away (CONCURRENT_TRANSACTIONS while
    // the producer's previous transaction completes) and the client retries; with transaction
    // version 2 the later one would fail with OUT_OF_ORDER_SEQUENCE_NUMBER.
    p.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    // The writer sends a whole batch and then flushes: hold records until the flush, so that a
    // transaction goes out in one produce request.
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    // Retry a request the broker turned away soon, not after the default 100 ms.
    p.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "10");
    p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "4000");
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "4000");
    p.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000");
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    return p;
  }

  /**
   * Registers this writer's transactional ids, fencing any earlier producers with the same ids
   * and aborting their open transactions (so the fold that follows is not held up by them).
   */
  public void initTransactions() {
    // In parallel: each is a round trip or more to the transaction coordinator.
    List<CompletableFuture<Producer<String, ResourceEvent>>> made = new ArrayList<>();
    ExecutorService starting = Executors.newFixedThreadPool(slots.length, daemon("svcplane-producer-init"));
    for (Slot s : slots) made.add(CompletableFuture.supplyAsync(() -> newProducer(s.index), starting));
    starting.shutdown();
    RuntimeException failed = null;
    for (int k = 0; k < slots.length; k++) {
      try {
        slots[k].producer = made.get(k).join();
      } catch (java.util.concurrent.CompletionException e) {
        if (failed == null) failed = e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    if (failed != null) {
      for (Slot s : slots) {
        if (s.producer != null) s.producer.close(Duration.ZERO);
      }
      throw failed;
    }
  }

  private Producer<String, ResourceEvent> newProducer(int k) {
    String id = transactionalIds(writerId, slots.length).get(k);
    Producer<String, ResourceEvent> producer = producerFactory.create(
        producerSettings(clients, id, "svcplane-" + writerName.replace('/', '-') + "-" + k));
    // max.block.ms (4 s) bounds each attempt so that a write never hangs long; registering the id
    // can take longer while the broker is starting or busy (the coordinator's partition not yet
    // loaded), and Kafka allows initTransactions to be called again after a timeout.
    long deadline = System.nanoTime() + INIT_PATIENCE.toNanos();
    int attempts = 0;
    while (true) {
      try {
        attempts++;
        producer.initTransactions();
        return producer;
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        if (System.nanoTime() - deadline >= 0) {
          producer.close(Duration.ZERO);
          throw new org.apache.kafka.common.errors.TimeoutException("registering transactional id " + id + " with the broker timed out "
              + attempts + " times in " + INIT_PATIENCE.toSeconds() + " s: " + e.getMessage(), e);
        }
        log.info("registering transactional id {} with the broker is slow ({}); trying again", id, e.getMessage());
      } catch (RuntimeException e) {
        producer.close(Duration.ZERO);
        throw e;
      }
    }
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

  /** Requests submitted and not yet taken into a transaction. */
  public int waiting() {
    return queue.size();
  }

  /**
   * Where the fold must be to hold every write acknowledged so far: a read waits for it
   * (read-your-writes). Usually the fold is there already.
   */
  public LogPositions acknowledged() {
    return acknowledged;
  }

  public CompletableFuture<WriteResult> submit(WriteOp op) {
    CompletableFuture<WriteResult> f = new CompletableFuture<>();
    if (fencedReason != null) {
      f.completeExceptionally(ApiException.unavailable(fencedReason));
    } else if (!running) {
      f.completeExceptionally(ApiException.unavailable("the apiserver is not accepting writes (starting or stopping)"));
    } else {
      queue.add(new Request(op, f, System.nanoTime()));
      int target = gatherTarget;
      if (target > 0 && queue.size() >= target) LockSupport.unpark(thread);
    }
    return f;
  }

  // ---- the writer thread ----------------------------------------------------------------------

  private void run() {
    List<Request> requests = new ArrayList<>();
    while (running) {
      Request first;
      try {
        first = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        break;
      }
      if (first == null) continue;
      requests.clear();
      requests.add(first);
      try {
        if (fencedReason == null && brokenFrom.get() != HEALTHY) recover();
        Slot slot = fencedReason == null ? takeSlot() : null;
        Deciding deciding = null;
        if (slot != null && alone && gatherExpected > 0) {
          deciding = new Deciding();
          gather(deciding, requests);
        }
        // Whatever arrived while the slot was busy goes in this batch.
        queue.drainTo(requests, MAX_BATCH - requests.size());
        lastBatch = requests.size();
        process(requests, deciding, slot);
      } catch (InterruptedException e) {
        fail(requests, ApiException.unavailable("the apiserver is stopping"));
        break;
      } catch (ApiException e) {
        fail(requests, e);
      } catch (RuntimeException e) {
        log.error("writer failed on a batch: {}", e.toString(), e);
        fail(requests, new ApiException(Status.Code.INTERNAL, e.toString()));
        // Its decisions may be half applied to the view: start again from the fold.
        brokenFrom.accumulateAndGet(txnSeq + 1, Math::min);
      }
    }
    List<Request> rest = new ArrayList<>();
    queue.drainTo(rest);
    fail(rest, ApiException.unavailable("the apiserver is stopping"));
  }

  /**
   * Waits until the clients answered by the last transaction have sent their next writes, idle for
   * at most {@link #gatherIdleLimitNanos} (see {@link #GATHER_AT_MOST_NANOS}, {@link #gatherAtMost}),
   * and decides each write as it arrives, so that the wait and the deciding overlap.
   * {@code requests} holds the batch's first request, already out of the queue; the others are added.
   */
  private void gather(Deciding deciding, List<Request> requests) {
    int target = Math.min(MAX_BATCH, gatherExpected);
    long t0 = System.nanoTime();
    gatherExpected = 0;
    deciding.decide(requests.get(0));
    List<Request> arrived = new ArrayList<>();
    // Only the time spent idle counts against the limit: the deciding would be done anyway.
    long idle = 0;
    while (requests.size() < target && running) {
      arrived.clear();
      queue.drainTo(arrived, target - requests.size());
      for (Request r : arrived) {
        requests.add(r);
        deciding.decide(r);
      }
      if (!arrived.isEmpty()) continue;
      long left = gatherIdleLimitNanos - idle;
      if (left <= 0) break;
      // Woken by a few arrivals at a time, not by each: a wake-up costs both threads.
      gatherTarget = Math.min(GATHER_WAKE_AT, target - requests.size());
      long parked = System.nanoTime();
      if (queue.size() < gatherTarget) LockSupport.parkNanos(this, left);
      idle += System.nanoTime() - parked;
      gatherTarget = 0;
    }
    statGatherNanos.add(System.nanoTime() - t0);
  }

  private static void fail(List<Request> requests, ApiException error) {
    for (Request r : requests) r.future.completeExceptionally(error);
  }

  /**
   * A producer whose last transaction the broker has finished, the next in turn if several are,
   * within the in-flight limit. Meanwhile requests queue up for the batch.
   */
  private Slot takeSlot() throws InterruptedException {
    alone = lastBatch >= ONE_AT_A_TIME_FROM || queue.size() + 1 >= ONE_AT_A_TIME_FROM;
    if (alone) {
      // Heavy load: let the transaction in flight end first; more gather for this batch meanwhile.
      // Only this thread starts transactions, so none is in flight until this one.
      inFlight.acquire(MAX_IN_FLIGHT);
      inFlight.release(MAX_IN_FLIGHT);
    }
    inFlight.acquire();
    try {
      while (true) {
        for (int i = 0; i < slots.length; i++) {
          Slot s = slots[(nextSlot + i) % slots.length];
          if (s.ready.isDone()) {
            nextSlot = (s.index + 1) % slots.length;
            return s;
          }
        }
        CompletableFuture<?>[] all = new CompletableFuture<?>[slots.length];
        for (int i = 0; i < slots.length; i++) all[i] = slots[i].ready;
        CompletableFuture.anyOf(all).get();
      }
    } catch (ExecutionException e) {
      inFlight.release();
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      inFlight.release();
      throw e;
    }
  }

  /** The batch being decided (writer thread): its records, and the writes they will answer. */
  private final class Deciding {
    private final long startedAt = System.nanoTime();
    final PendingBatch batch = new PendingBatch();
    final List<ProducerRecord<String, ResourceEvent>> records = new ArrayList<>();
    final List<AcceptedWrite> accepted = new ArrayList<>();
    final Timestamp now = now();
    /** Time spent deciding (with a gather in between, less than the time since it started). */
    long decideNanos;
    /** Requests decided so far. */
    int decided;

    Deciding() {
      view.refresh(folder.image());
      decideNanos = System.nanoTime() - startedAt;
    }

    void decide(Request req) {
      long t0 = System.nanoTime();
      Admission.Decision d = admission.decide(req.op);
      if (d instanceof Admission.Rejected rej) {
        req.future.completeExceptionally(rej.error());
      } else if (d instanceof Admission.Unchanged u) {
        answerUnchanged(req, u);
      } else if (d instanceof Admission.Accepted a) {
        if (Admission.isDryRun(req.op)) {
          req.future.complete(new WriteResult(Kinds.withTypeMeta(a.changes().get(a.primary()).object()), a.result()));
        } else {
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
          accepted.add(new AcceptedWrite(req, primaryIndex, a.result()));
        }
      }
      decided++;
      decideNanos += System.nanoTime() - t0;
    }
  }

  /** Decides the requests {@code deciding} has not decided yet, and sends the batch. */
  private void process(List<Request> requests, Deciding deciding, Slot slot) {
    boolean handedOver = false;
    try {
      if (fencedReason != null) {
        fail(requests, ApiException.unavailable(fencedReason));
        return;
      }
      long takenAt = System.nanoTime();
      Deciding d = deciding != null ? deciding : new Deciding();
      // A gather decided the first ones already, in order.
      for (int i = d.decided; i < requests.size(); i++) d.decide(requests.get(i));
      PendingBatch batch = d.batch;
      List<ProducerRecord<String, ResourceEvent>> records = d.records;
      if (records.isEmpty()) return;

      Txn txn = new Txn(++txnSeq, batch, records, d.accepted, slot, new CompletableFuture<>(), takenAt,
          new Resource[records.size()]);
      slot.idle = new CompletableFuture<>();
      slot.ready = txn.ready;
      handedOver = true;
      if (txn.seq > brokenFrom.get()) {
        // A transaction before this one failed after this batch was decided.
        failChained(txn, false);
        return;
      }
      long t1 = System.nanoTime();
      statDecideNanos.add(d.decideNanos);
      if (alone) {
        sendAndCommit(txn, t1);
        return;
      }
      try {
        // Send, and wait until the broker appended the records: their offsets are then known,
        // and the next batch's records will come after them in every partition.
        Producer<String, ResourceEvent> producer = slot.producer;
        producer.beginTransaction();
        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        for (var r : records) sent.add(producer.send(r));
        producer.flush();
        for (int i = 0; i < sent.size(); i++) {
          RecordMetadata md = sent.get(i).get();
          batch.appended(i, md.partition(), md.offset());
        }
      } catch (Exception e) {
        brokenFrom.accumulateAndGet(txn.seq, Math::min);
        endFailed(txn, e, false);
        return;
      }
      long t2 = System.nanoTime();
      statSendNanos.add(t2 - t1);
      committer.execute(() -> commit(txn, t2));
    } finally {
      if (!handedOver && slot != null) inFlight.release();
    }
  }

  private void answerUnchanged(Request req, Admission.Unchanged u) {
    WriteView.PendingObject p = u.stored().pending();
    if (p == null) {
      req.future.complete(new WriteResult(Kinds.withTypeMeta(u.stored().object()), u.result()));
      return;
    }
    // The object is a write not committed yet: answer once it is, with its resourceVersion.
    p.batch().committed.whenCompleteAsync((v, err) -> {
      if (err != null) req.future.completeExceptionally(err);
      else req.future.complete(new WriteResult(Kinds.withTypeMeta(p.withVersion()), u.result()));
    }, answerer);
  }

  // ---- committing: the committer thread, or the writer thread under heavy load -----------------

  private void commit(Txn txn, long sentAt) {
    try {
      if (fencedReason != null || txn.seq > brokenFrom.get()) {
        failChained(txn, true);
        return;
      }
      for (int i = 0; i < txn.records.size(); i++) handToFold(txn, i);
      txn.slot.producer.commitTransaction();
    } catch (Exception e) {
      brokenFrom.accumulateAndGet(txn.seq, Math::min);
      endFailed(txn, e, true);
      return;
    } catch (Throwable t) {
      brokenFrom.accumulateAndGet(txn.seq, Math::min);
      endFailed(txn, new RuntimeException(t), true);
      throw t;
    }
    long committedAt = System.nanoTime();
    statCommitNanos.add(committedAt - sentAt);
    committed(txn, committedAt);
  }

  /**
   * Under heavy load, with no other transaction in flight: the writer thread sends the batch and
   * commits it itself, without waiting for the records' acknowledgements in between and without
   * handing the commit to the committer. The producer sends EndTxn as soon as the broker appended
   * the records (it waits for that itself); the records' offsets, and the events for the fold,
   * are taken in the send callbacks, which the producer runs before it sends EndTxn. This saves
   * two thread hand-offs and a wake-up of this thread per transaction, when the CPU is scarce.
   * The order rules hold: the next batch is decided after this commit.
   */
  private void sendAndCommit(Txn txn, long decidedAt) {
    // Written by the producer's thread in the callbacks, read here after the commit returned.
    long[] lastAppendedAt = {decidedAt};
    boolean committing = false;
    try {
      Producer<String, ResourceEvent> producer = txn.slot.producer;
      producer.beginTransaction();
      List<Future<RecordMetadata>> sent = new ArrayList<>(txn.records.size());
      for (int i = 0; i < txn.records.size(); i++) {
        int index = i;
        sent.add(producer.send(txn.records.get(i), (md, e) -> {
          if (e != null) return; // the producer fails the commit with it
          txn.batch.appended(index, md.partition(), md.offset());
          handToFold(txn, index);
          lastAppendedAt[0] = System.nanoTime();
        }));
      }
      // A send refused at once (a full buffer, a closed producer): abort, do not commit the rest.
      for (Future<RecordMetadata> f : sent) {
        if (f.isDone()) f.get();
      }
      committing = true;
      producer.commitTransaction();
    } catch (Exception e) {
      brokenFrom.accumulateAndGet(txn.seq, Math::min);
      endFailed(txn, e, committing);
      return;
    }
    long committedAt = System.nanoTime();
    statSendNanos.add(lastAppendedAt[0] - decidedAt);
    statCommitNanos.add(committedAt - lastAppendedAt[0]);
    int queuedBeforeAnswers = queue.size();
    committed(txn, committedAt);
    // Every request of the batch has its answer now: expect their clients back.
    gatherExpected = queuedBeforeAnswers + lastBatch;
    gatherIdleLimitNanos = Math.min(gatherAtMostNanos, committedAt - decidedAt);
  }

  /** The transaction committed: acknowledge and answer its writes. */
  private void committed(Txn txn, long committedAt) {
    PendingBatch batch = txn.batch;
    // Before any answer: a read after it must wait for the fold to reach this batch.
    acknowledged = batch.coveredBy(acknowledged);
    statTransactions.increment();
    statRecords.add(batch.size());
    txn.slot.idle.complete(null);
    inFlight.release();
    batch.committed.complete(null);
    if (txn.accepted.size() <= ANSWER_INLINE) answer(txn);
    else answerer.execute(() -> answer(txn));
    folder.awaitPositions(batch.target()).whenComplete((image, err) -> {
      statFoldLagNanos.add(System.nanoTime() - committedAt);
      statFoldLagCount.increment();
      txn.ready.complete(null);
    });
  }

  /**
   * Builds a record's object as the fold will hold it (with its resourceVersion, the offset) and
   * offers the event to the fold, which then need not parse the record back. Before the commit:
   * a read_committed reader cannot see the record earlier. In log order within each partition.
   */
  private void handToFold(Txn txn, int i) {
    PendingBatch batch = txn.batch;
    ResourceEvent sent = txn.records.get(i).value();
    Resource stored = ClusterDelta.withResourceVersion(sent.getObject(), batch.offset(i));
    txn.stored[i] = stored;
    folder.ownEvents().offer(batch.partition(i), batch.offset(i), sent.toBuilder().setObject(stored).build());
  }

  private void answer(Txn txn) {
    long queued = 0;
    long answered = 0;
    for (AcceptedWrite w : txn.accepted) {
      // the object as the fold holds it, with apiVersion and kind as the server returns it
      Resource o = Kinds.withTypeMeta(txn.stored[w.primaryIndex]);
      w.request.future.complete(new WriteResult(o, w.result));
      queued += txn.takenAt - w.request.submittedAt;
      answered += System.nanoTime() - w.request.submittedAt;
    }
    statQueuedNanos.add(queued);
    statAnsweredNanos.add(answered);
    statAnswered.add(txn.accepted.size());
  }

  /** A transaction that did not commit has ended: its producer may take the next one. */
  private void end(Txn txn) {
    txn.slot.idle.complete(null);
    txn.ready.complete(null);
    inFlight.release();
  }

  // ---- failures (either thread) ---------------------------------------------------------------

  /** A transaction decided after one that failed: it must not land. */
  private void failChained(Txn txn, boolean begun) {
    ApiException error = ApiException.unavailable(fencedReason != null ? fencedReason
        : "an earlier write transaction failed and this write was decided after it, so it was not written; retry it");
    if (begun && fencedReason == null) abort(txn);
    failWrites(txn, error);
    end(txn);
  }

  /** Aborts a transaction; a producer that cannot abort is replaced (a new one aborts it). */
  private void abort(Txn txn) {
    try {
      txn.slot.producer.abortTransaction();
    } catch (RuntimeException e) {
      Throwable fatal = fatalCause(e);
      if (fatal != null) {
        stopWriting(fatal);
      } else {
        log.warn("aborting a write transaction failed, the producer will be replaced: {}", e.toString());
        txn.slot.broken = true;
      }
    }
  }

  /**
   * The transaction failed: abort it (or, if a commit timed out, leave it to the producer's
   * replacement, which completes or aborts it), fail its writes, and stop writing for good if
   * another apiserver fenced this one.
   */
  private void endFailed(Txn txn, Exception failure, boolean committing) {
    Throwable e = failure instanceof ExecutionException && failure.getCause() != null ? failure.getCause() : failure;
    Throwable fatal = fatalCause(e);
    ApiException error;
    if (fatal != null) {
      stopWriting(fatal);
      error = ApiException.unavailable(fencedReason);
    } else if (committing && e instanceof org.apache.kafka.common.errors.TimeoutException) {
      // The commit may or may not have reached the broker: the outcome is unknown until a new
      // producer with this id has ended the transaction one way or the other.
      log.warn("committing a write transaction timed out; its producer will be replaced: {}", e.toString());
      txn.slot.broken = true;
      error = ApiException.unavailable("committing the write timed out (" + rootMessage(e)
          + "); it may or may not be in the log: read it back before retrying");
    } else {
      log.warn("a write transaction failed, aborting it: {}", e.toString());
      abort(txn);
      if (fencedReason == null && e instanceof InvalidProducerEpochException && txn.slot.broken) {
        // Another producer with this id exists and the abort could not say whose: stop rather
        // than fence it back.
        stopWriting(e);
      }
      error = ApiException.unavailable(fencedReason != null ? fencedReason
          : "the write to the log failed and was aborted, nothing of it was written (" + rootMessage(e) + "); retry it");
    }
    statAborted.increment();
    failWrites(txn, error);
    end(txn);
  }

  private void failWrites(Txn txn, ApiException error) {
    txn.batch.committed.completeExceptionally(error);
    for (AcceptedWrite w : txn.accepted) w.request.future.completeExceptionally(error);
  }

  private synchronized void stopWriting(Throwable cause) {
    if (fencedReason != null) return;
    fencedReason = cause instanceof ProducerFencedException || cause instanceof InvalidProducerEpochException
        ? "this apiserver was fenced: another apiserver started with writer id \"" + writerId
            + "\" and owns the log now (" + cause.getClass().getSimpleName() + ")"
        : "this apiserver cannot write to the log: " + cause;
    log.error(fencedReason);
    onFenced.accept(fencedReason);
  }

  /** Fenced by another producer with the same id, or not allowed to write: nothing to retry. */
  private static Throwable fatalCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ProducerFencedException || t instanceof AuthorizationException) return t;
    }
    return null;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.toString();
  }

  // ---- recovery (writer thread) ---------------------------------------------------------------

  /**
   * After a failed transaction the view and the allocators hold writes that never happened: let
   * every transaction in flight end, replace producers in an unknown state (a new producer with
   * the same id ends its open transaction), wait until the fold holds everything committed, and
   * derive both from the image again.
   */
  private void recover() throws InterruptedException {
    long t0 = System.nanoTime();
    try {
      for (Slot s : slots) s.idle.get(30, TimeUnit.SECONDS);
      if (fencedReason != null) return;
      for (Slot s : slots) {
        if (!s.broken) continue;
        try {
          s.producer.close(Duration.ZERO);
        } catch (RuntimeException ignored) {
          // replaced next
        }
        s.producer = newProducer(s.index);
        s.broken = false;
      }
      folder.awaitPositions(acknowledged).get(30, TimeUnit.SECONDS);
      ClusterImage image = folder.awaitEndOfLog().get(30, TimeUnit.SECONDS);
      resetAllocations(image);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      Throwable fatal = fatalCause(e);
      if (fatal != null) {
        stopWriting(fatal);
        throw ApiException.unavailable(fencedReason);
      }
      log.warn("the writer could not recover from a failed transaction yet: {}", e.toString());
      throw ApiException.unavailable("the apiserver is recovering from a failed write to the log (" + rootMessage(e)
          + "); retry");
    }
    brokenFrom.set(HEALTHY);
    statRecoveries.increment();
    log.info("the writer recovered from a failed transaction in {} ms, at {}", (System.nanoTime() - t0) / 1_000_000,
        folder.image().positions());
  }

  private Timestamp now() {
    Instant i = clock.instant();
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
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
    fail(rest, ApiException.unavailable("the apiserver is stopping"));
    for (ExecutorService e : List.of(committer, answerer)) {
      e.shutdown();
      try {
        e.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
    for (Slot s : slots) {
      if (s.producer == null) continue;
      try {
        // Fenced producers may refuse to close cleanly: do not wait for them.
        s.producer.close(fencedReason != null ? Duration.ZERO : Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        log.debug("closing a producer: {}", e.toString());
      }
    }
  }
}
