package io.svcplane.apiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.apiserver.write.ProducerFactory;
import io.svcplane.apiserver.write.ResourceWriter;
import io.svcplane.apiserver.write.WriteResult;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Group commit, made visible: while one transaction is being sent, the writes that arrive wait
 * and then go to the log together in the next transaction, and each still gets its own answer
 * with its own resourceVersion. A batch this big is answered off the committer thread (small ones
 * on it), so this also covers that path. And the pipeline: a few waiting writes are sent while the
 * transaction before them commits; many wait for that commit, and then the writer thread sends and
 * commits them itself, taking their offsets and handing their events to the fold as the broker
 * acknowledges them.
 */
@ExtendWith(KafkaExtension.class)
class GroupCommitTest {

  /**
   * Real producers that count transactions begun and can hold the first send and the first commit
   * after being armed, until released.
   */
  static final class HoldingProducers implements ProducerFactory {
    final AtomicInteger begun = new AtomicInteger();
    final AtomicBoolean holdSend = new AtomicBoolean();
    final AtomicBoolean holdCommit = new AtomicBoolean();
    final CountDownLatch sendHeld = new CountDownLatch(1);
    final CountDownLatch commitHeld = new CountDownLatch(1);
    final CountDownLatch releaseSend = new CountDownLatch(1);
    final CountDownLatch releaseCommit = new CountDownLatch(1);
    /** While set, a commit on the writer thread takes this much longer (makes its wait for clients long). */
    volatile long slowWriterCommitMillis;
    /** The thread that committed each transaction, in order. */
    final List<String> committedOn = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    @SuppressWarnings("unchecked")
    public Producer<String, ResourceEvent> create(java.util.Properties settings) {
      Producer<String, ResourceEvent> real = new KafkaProducer<>(settings);
      return (Producer<String, ResourceEvent>) Proxy.newProxyInstance(Producer.class.getClassLoader(),
          new Class<?>[] {Producer.class}, (proxy, method, args) -> {
            switch (method.getName()) {
              case "beginTransaction" -> begun.incrementAndGet();
              case "send" -> {
                if (holdSend.compareAndSet(true, false)) {
                  sendHeld.countDown();
                  assertTrue(releaseSend.await(60, TimeUnit.SECONDS), "the test never released the held send");
                }
              }
              case "commitTransaction" -> {
                committedOn.add(Thread.currentThread().getName());
                long slow = slowWriterCommitMillis;
                if (slow > 0 && Thread.currentThread().getName().equals("svcplane-writer")) Thread.sleep(slow);
                if (holdCommit.compareAndSet(true, false)) {
                  commitHeld.countDown();
                  assertTrue(releaseCommit.await(60, TimeUnit.SECONDS), "the test never released the held commit");
                }
              }
              default -> { }
            }
            try {
              return method.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }
  }

  @Test
  void writesThatArriveWhileATransactionIsSentGoTogetherInTheNextAndEachGetsItsOwnAnswer(TestKafka kafka)
      throws Exception {
    HoldingProducers producers = new HoldingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("group-commit").producerFactory(producers))) {
      String ns = c.newNamespace("group");
      ResourceWriter.Stats before = c.server.writeStats();
      producers.holdSend.set(true);
      CompletableFuture<Resource> first = c.createAsync(TestCluster.svc(ns, "first", 80));
      assertTrue(producers.sendHeld.await(30, TimeUnit.SECONDS), "the first write was never sent");

      int n = 100;
      List<CompletableFuture<Resource>> rest = new ArrayList<>();
      for (int i = 0; i < n; i++) rest.add(c.createAsync(TestCluster.svc(ns, "s" + i, 80)));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (c.server.writesWaiting() < n && System.nanoTime() < deadline) Thread.onSpinWait();
      assertEquals(n, c.server.writesWaiting(), "the writes did not all reach the writer");
      producers.releaseSend.countDown();

      Resource f = first.get(30, TimeUnit.SECONDS);
      Set<String> versions = new HashSet<>();
      versions.add(f.getService().getMetadata().getResourceVersion());
      for (int i = 0; i < n; i++) {
        Resource r = rest.get(i).get(30, TimeUnit.SECONDS);
        assertEquals("s" + i, r.getService().getMetadata().getName());
        assertEquals("Service", r.getService().getKind());
        versions.add(r.getService().getMetadata().getResourceVersion());
        assertEquals(r, c.get(Kind.SERVICE, ns, "s" + i));
      }
      assertEquals(n + 1, versions.size(), "every write has its own record: " + versions);
      ResourceWriter.Stats d = c.server.writeStats().since(before);
      assertEquals(2, d.transactions(), "the waiting writes went in one transaction: " + d);
      assertEquals(n + 1, d.records(), d.toString());
    }
  }

  /**
   * Writes queue while a transaction is sent; its commit is then held. Returns the writes' futures
   * and how many transactions had begun while the commit was held.
   */
  private static int transactionsBegunWhileACommitIsHeld(TestCluster c, HoldingProducers producers, int waiting,
      List<CompletableFuture<Resource>> writes) throws Exception {
    return transactionsBegunWhileACommitIsHeld(c, producers, waiting, writes, Duration.ofMillis(500));
  }

  /**
   * @param besideCommit how long to give the writer to begin a second transaction beside the held
   *     commit: it ends as soon as it does, so a test that expects it can give it long
   */
  private static int transactionsBegunWhileACommitIsHeld(TestCluster c, HoldingProducers producers, int waiting,
      List<CompletableFuture<Resource>> writes, Duration besideCommit) throws Exception {
    String ns = c.newNamespace("pipeline");
    producers.holdSend.set(true);
    producers.holdCommit.set(true);
    int begunBefore = producers.begun.get();
    writes.add(c.createAsync(TestCluster.svc(ns, "first", 80)));
    assertTrue(producers.sendHeld.await(30, TimeUnit.SECONDS), "the first write was never sent");
    for (int i = 0; i < waiting; i++) writes.add(c.createAsync(TestCluster.svc(ns, "w" + i, 80)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (c.server.writesWaiting() < waiting && System.nanoTime() < deadline) Thread.onSpinWait();
    assertEquals(waiting, c.server.writesWaiting(), "the writes did not all reach the writer");
    producers.releaseSend.countDown();
    assertTrue(producers.commitHeld.await(30, TimeUnit.SECONDS), "the first transaction was never committed");
    // Give the writer time to begin the next transaction beside the held commit, if it will.
    deadline = System.nanoTime() + besideCommit.toNanos();
    while (producers.begun.get() - begunBefore < 2 && System.nanoTime() < deadline) Thread.onSpinWait();
    int begun = producers.begun.get() - begunBefore;
    producers.releaseCommit.countDown();
    for (CompletableFuture<Resource> f : writes) f.get(30, TimeUnit.SECONDS);
    return begun;
  }

  @Test
  void aFewWaitingWritesAreSentWhileTheTransactionBeforeThemCommits(TestKafka kafka) throws Exception {
    HoldingProducers producers = new HoldingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("pipeline-light").producerFactory(producers))) {
      List<CompletableFuture<Resource>> writes = new ArrayList<>();
      assertEquals(2, transactionsBegunWhileACommitIsHeld(c, producers, 3, writes, Duration.ofSeconds(30)),
          "the next transaction was not sent beside the commit");
    }
  }

  @Test
  void manyWaitingWritesWaitForTheCommitBeforeThemAndTheWriterCommitsThemInOneTransaction(TestKafka kafka) throws Exception {
    HoldingProducers producers = new HoldingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("pipeline-heavy").producerFactory(producers))) {
      ResourceWriter.Stats before = c.server.writeStats();
      long takenBefore = c.server.ownEvents().taken();
      List<CompletableFuture<Resource>> writes = new ArrayList<>();
      assertEquals(1, transactionsBegunWhileACommitIsHeld(c, producers, 40, writes),
          "a transaction was sent while the one before it committed, with 40 writes waiting");
      ResourceWriter.Stats d = c.server.writeStats().since(before);
      assertEquals(3, d.transactions(), "the namespace, the first write, then the 40 together: " + d);
      assertEquals(42, d.records(), d.toString());
      List<String> on = producers.committedOn;
      assertEquals(List.of("svcplane-commit", "svcplane-writer"), on.subList(on.size() - 2, on.size()),
          "the first write is committed by the committer, the 40 by the writer itself: " + on);
      // Each answer carries the offset of its record: the fold, which reads the log, agrees.
      for (CompletableFuture<Resource> f : writes) {
        Resource r = f.get();
        assertEquals(r, c.get(Kind.SERVICE, r.getService().getMetadata().getNamespace(),
            r.getService().getMetadata().getName()));
      }
      assertEquals(42, c.server.ownEvents().taken() - takenBefore,
          "the fold took every record of the period from the writer instead of parsing it");
    }
  }

  /**
   * Clients that write again as soon as they are answered: after a heavy transaction the writer
   * waits for them (briefly) and takes all their next writes together, instead of taking the
   * first to return alone and leaving the rest for the transaction after it.
   */
  @Test
  void afterAHeavyTransactionTheWriterWaitsForItsClientsNextWritesAndTakesThemInOneTransaction(TestKafka kafka)
      throws Exception {
    HoldingProducers producers = new HoldingProducers();
    // The writer waits at most as long as the transaction before took: that commit is made to take
    // a second, and the limit raised above it, so that neither a pause of this JVM nor of the test
    // thread between the returning writes can end the wait early.
    producers.slowWriterCommitMillis = 1000;
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("gather").producerFactory(producers)
        .gatherAtMost(Duration.ofSeconds(5)))) {
      List<CompletableFuture<Resource>> writes = new ArrayList<>();
      int n = 40;
      transactionsBegunWhileACommitIsHeld(c, producers, n, writes);
      producers.slowWriterCommitMillis = 0;
      // The 40 were committed together by the writer, which now expects their clients back. The
      // first comes back; once the writer has taken it, and a little later, the 39 others. Without
      // the wait, the writer sends the first alone and the others in the transaction after it.
      ResourceWriter.Stats before = c.server.writeStats();
      String ns = writes.get(0).get().getService().getMetadata().getNamespace();
      List<CompletableFuture<WriteResult>> next = new ArrayList<>();
      next.add(c.server.resources().create(TestCluster.svc(ns, "next0", 80), false));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (c.server.writesWaiting() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
      long taken = System.nanoTime();
      while (System.nanoTime() - taken < 200_000) Thread.onSpinWait();
      for (int i = 1; i < n; i++) next.add(c.server.resources().create(TestCluster.svc(ns, "next" + i, 80), false));
      for (CompletableFuture<WriteResult> f : next) f.get(30, TimeUnit.SECONDS);
      ResourceWriter.Stats d = c.server.writeStats().since(before);
      assertEquals(n, d.records(), d.toString());
      assertEquals(1, d.transactions(), "the returning clients' writes did not go together: " + d);
      assertTrue(d.meanGatherMillis() > 0, d.toString());
      IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
          () -> ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).gatherAtMost(Duration.ofMillis(-1)));
      assertEquals("gatherAtMost: must not be negative, was PT-0.001S", bad.getMessage());
    }
  }
}
