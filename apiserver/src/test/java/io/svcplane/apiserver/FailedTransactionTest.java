package io.svcplane.apiserver;

import static io.svcplane.apiserver.TestCluster.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.apiserver.write.ProducerFactory;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Transactions that fail half way, on a real broker: real producers wrapped so that a chosen
 * commit "times out" without reaching the broker (the transaction stays open there, as when the
 * broker answered CONCURRENT_TRANSACTIONS until the client gave up) or a chosen send fails after
 * the transaction began.
 */
@ExtendWith(KafkaExtension.class)
class FailedTransactionTest {

  /** Makes real producers whose commits or sends fail when armed. */
  static final class FailingProducers implements ProducerFactory {
    /** Commits to fail from now on (each failure uses one). */
    final AtomicInteger commitsToFail = new AtomicInteger();
    /** Sends to fail from now on. */
    final AtomicInteger sendsToFail = new AtomicInteger();
    /** initTransactions calls to fail with a timeout, as on a broker still loading its coordinator. */
    final AtomicInteger initsToFail = new AtomicInteger();
    final AtomicInteger failedInits = new AtomicInteger();
    /** Every Nth commit fails (0: none); every Mth send fails (0: none). */
    volatile int failEveryCommit;
    volatile int failEverySend;
    final AtomicInteger commits = new AtomicInteger();
    final AtomicInteger sends = new AtomicInteger();
    final AtomicInteger failedCommits = new AtomicInteger();
    final AtomicInteger failedSends = new AtomicInteger();
    /** Failures injected where the writer thread sends and commits itself (heavy load). */
    final AtomicInteger failedCommitsOnWriter = new AtomicInteger();
    final AtomicInteger failedSendsWithCallback = new AtomicInteger();

    @Override
    @SuppressWarnings("unchecked")
    public Producer<String, ResourceEvent> create(java.util.Properties settings) {
      // Longer than any test here waits: only the writer's own recovery can end a transaction
      // left open, not the broker's timeout.
      settings.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "120000");
      Producer<String, ResourceEvent> real = new KafkaProducer<>(settings);
      return (Producer<String, ResourceEvent>) Proxy.newProxyInstance(Producer.class.getClassLoader(),
          new Class<?>[] {Producer.class}, (proxy, method, args) -> {
            if (method.getName().equals("initTransactions") && initsToFail.getAndUpdate(c -> Math.max(0, c - 1)) > 0) {
              failedInits.incrementAndGet();
              throw new TimeoutException("injected: InitProducerId timed out");
            }
            if (method.getName().equals("commitTransaction") && failCommit()) {
              failedCommits.incrementAndGet();
              if (Thread.currentThread().getName().equals("svcplane-writer")) failedCommitsOnWriter.incrementAndGet();
              // Never sent: the transaction stays open on the broker.
              throw new TimeoutException("injected: the commit timed out");
            }
            if (method.getName().equals("send") && failSend()) {
              failedSends.incrementAndGet();
              // As KafkaProducer does with a send it refuses: the callback hears of it too.
              KafkaException failure = new KafkaException("injected: the send failed");
              if (args.length > 1 && args[1] instanceof Callback cb) {
                failedSendsWithCallback.incrementAndGet();
                cb.onCompletion(null, failure);
              }
              return CompletableFuture.failedFuture(failure);
            }
            try {
              return method.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }

    private boolean failCommit() {
      int n = commits.incrementAndGet();
      int every = failEveryCommit;
      return commitsToFail.getAndUpdate(c -> Math.max(0, c - 1)) > 0 || (every > 0 && n % every == 0);
    }

    private boolean failSend() {
      int n = sends.incrementAndGet();
      int every = failEverySend;
      return sendsToFail.getAndUpdate(c -> Math.max(0, c - 1)) > 0 || (every > 0 && n % every == 0);
    }
  }

  static List<Resource> services(TestCluster c, String ns) {
    return c.api().list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).build()).getItemsList();
  }

  @Test
  void anApiserverWhoseProducersTimeOutRegisteringStillStartsAndWrites(TestKafka kafka) throws Exception {
    FailingProducers producers = new FailingProducers();
    // A busy broker can take longer than max.block.ms (4 s) to answer InitProducerId: the first
    // attempts time out, as they did when an apiserver started beside a loaded broker and died.
    producers.initsToFail.set(5);
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("slow-init").producerFactory(producers))) {
      assertEquals(5, producers.failedInits.get());
      String ns = c.newNamespace("init");
      Resource created = c.create(TestCluster.svc(ns, "web", 80));
      assertEquals(created, c.get(Kind.SERVICE, ns, "web"));
    }
  }

  @Test
  void aCommitThatTimesOutFailsItsWriteAndTheNextWriteEndsTheOpenTransactionAndIsReadBack(TestKafka kafka)
      throws Exception {
    FailingProducers producers = new FailingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("failed-commit").producerFactory(producers))) {
      String ns = c.newNamespace("commit");
      Resource before = c.create(TestCluster.svc(ns, "before", 80));

      producers.commitsToFail.set(1);
      StatusRuntimeException e = expectError(() -> c.create(TestCluster.svc(ns, "lost", 80)));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("timed out"), e.getStatus().getDescription());
      assertEquals(1, producers.failedCommits.get());

      // The failed transaction is still open on the broker (its producer never committed it) and
      // would hold back every read_committed reader until its 120 s timeout; the writer replaces
      // that producer, which aborts it, before it writes again. The next write is acknowledged
      // and read back (reads wait for the fold to reach it) well within the 30 s call deadline.
      Resource after = retryWhileUnavailable(() -> c.create(TestCluster.svc(ns, "after", 80)));
      assertEquals(after, c.get(Kind.SERVICE, ns, "after"));
      assertEquals(before, c.get(Kind.SERVICE, ns, "before"));
      assertEquals(Status.Code.NOT_FOUND,
          expectError(() -> c.get(Kind.SERVICE, ns, "lost")).getStatus().getCode());
      // The writer forgot the failed write: its name (and its ClusterIP) are free again.
      Resource lost = c.create(TestCluster.svc(ns, "lost", 80));
      Set<String> ips = new HashSet<>();
      for (Resource r : services(c, ns)) ips.add(r.getService().getSpec().getClusterIp());
      assertEquals(3, ips.size(), "a ClusterIP was handed out twice: " + ips);
      assertTrue(ips.contains(lost.getService().getSpec().getClusterIp()));
    }
  }

  @Test
  void aSendThatFailsAbortsItsTransactionAndNothingOfItReachesTheReaders(TestKafka kafka) throws Exception {
    FailingProducers producers = new FailingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("failed-send").producerFactory(producers))) {
      String ns = c.newNamespace("send");
      c.create(TestCluster.svc(ns, "before", 80));
      producers.sendsToFail.set(1);
      StatusRuntimeException e = expectError(() -> c.create(TestCluster.svc(ns, "lost", 80)));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("aborted"), e.getStatus().getDescription());
      retryWhileUnavailable(() -> c.create(TestCluster.svc(ns, "after", 80)));
      assertEquals(List.of("after", "before"),
          services(c, ns).stream().map(r -> r.getService().getMetadata().getName()).toList());
    }
  }

  @Test
  void underConcurrentWritesWithFailingTransactionsEveryAcknowledgedWriteIsStoredAndNoFailedOneIs(TestKafka kafka)
      throws Exception {
    FailingProducers producers = new FailingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("failing-load").producerFactory(producers))) {
      String ns = c.newNamespace("load");
      producers.failEveryCommit = 7;
      producers.failEverySend = 23;
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<Map<String, Resource>>> results = new ArrayList<>();
      AtomicInteger failed = new AtomicInteger();
      for (int t = 0; t < 6; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          Map<String, Resource> acked = new HashMap<>();
          for (int i = 0; i < 60; i++) {
            String name = "t" + thread + "-" + i;
            try {
              acked.put(name, c.create(TestCluster.svc(ns, name, 80)));
            } catch (StatusRuntimeException e) {
              assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
              failed.incrementAndGet();
            }
          }
          return acked;
        }));
      }
      Map<String, Resource> acknowledged = new HashMap<>();
      for (Future<Map<String, Resource>> f : results) acknowledged.putAll(f.get());
      pool.shutdown();
      producers.failEveryCommit = 0;
      producers.failEverySend = 0;
      assertTrue(producers.failedCommits.get() + producers.failedSends.get() > 0, "no failure was injected");
      assertStoredAsAcknowledged(c, ns, acknowledged, failed.get());
      System.out.println("failing load: " + acknowledged.size() + " acknowledged, " + failed.get() + " failed ("
          + producers.failedCommits.get() + " commits and " + producers.failedSends.get() + " sends injected); "
          + c.server.writeStats());
    }
  }

  /**
   * The same under heavy load: 64 writes outstanding at any time (each client sends its next
   * write when the last one is answered), so that the writer sends and commits most transactions
   * on its own thread, taking offsets in the send callbacks; sends and commits fail among them.
   */
  @Test
  void underHeavyLoadWithFailingTransactionsEveryAcknowledgedWriteIsStoredAndNoFailedOneIs(TestKafka kafka)
      throws Exception {
    FailingProducers producers = new FailingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("failing-heavy").producerFactory(producers))) {
      String ns = c.newNamespace("heavy");
      producers.failEveryCommit = 5;
      producers.failEverySend = 97;
      int clients = 64;
      // Each client writes until a commit and a send have failed on the writer's own path (how
      // many transactions that takes depends on how the load falls on this machine), at most 100.
      int writesPerClient = 100;
      Map<String, Resource> acknowledged = new ConcurrentHashMap<>();
      AtomicInteger failed = new AtomicInteger();
      List<Throwable> unexpected = new CopyOnWriteArrayList<>();
      CountDownLatch done = new CountDownLatch(clients);
      for (int k = 0; k < clients; k++) {
        int client = k;
        new Object() {
          void write(int i) {
            boolean bothInjected = producers.failedCommitsOnWriter.get() > 0 && producers.failedSendsWithCallback.get() > 0;
            if (i == writesPerClient || (i >= 12 && bothInjected)) {
              done.countDown();
              return;
            }
            String name = "c" + client + "-" + i;
            c.createAsync(TestCluster.svc(ns, name, 80)).whenComplete((r, t) -> {
              if (t == null) acknowledged.put(name, r);
              else if (Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE) failed.incrementAndGet();
              else unexpected.add(t);
              write(i + 1);
            });
          }
        }.write(0);
      }
      assertTrue(done.await(120, TimeUnit.SECONDS), "the clients did not finish");
      producers.failEveryCommit = 0;
      producers.failEverySend = 0;
      assertEquals(List.of(), unexpected, "writes failed otherwise than UNAVAILABLE");
      assertTrue(producers.failedCommitsOnWriter.get() > 0, "no commit failed where the writer commits itself");
      assertTrue(producers.failedSendsWithCallback.get() > 0, "no send failed where the writer commits itself");
      assertStoredAsAcknowledged(c, ns, acknowledged, failed.get());
      System.out.println("failing heavy load: " + acknowledged.size() + " acknowledged, " + failed.get() + " failed ("
          + producers.failedCommits.get() + " commits (" + producers.failedCommitsOnWriter.get() + " on the writer) and "
          + producers.failedSends.get() + " sends injected); " + c.server.writeStats());
    }
  }

  /** A read after the acknowledgements holds exactly the acknowledged writes, as answered. */
  private static void assertStoredAsAcknowledged(TestCluster c, String ns, Map<String, Resource> acknowledged,
      int failed) {
    assertTrue(failed > 0, "no write failed");
    assertFalse(acknowledged.isEmpty(), "no write succeeded");
    Map<String, Resource> stored = new HashMap<>();
    for (Resource r : services(c, ns)) stored.put(r.getService().getMetadata().getName(), r);
    assertEquals(acknowledged.keySet(), stored.keySet(), "acknowledged and stored writes differ");
    for (var e : acknowledged.entrySet()) {
      assertEquals(e.getValue(), stored.get(e.getKey()), "stored differently than answered: " + e.getKey());
    }
    Set<String> ips = new HashSet<>();
    for (Resource r : stored.values()) ips.add(r.getService().getSpec().getClusterIp());
    assertEquals(stored.size(), ips.size(), "two stored services share a ClusterIP");
  }

  /** A write right after a failure may find the writer still recovering (UNAVAILABLE): retry. */
  static Resource retryWhileUnavailable(java.util.function.Supplier<Resource> write) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      try {
        return write.get();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) throw e;
        Thread.sleep(50);
      }
    }
  }
}
