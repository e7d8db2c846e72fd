package io.svcplane.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.NamespacePartitioner;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two instances share the partitions; one stops mid-churn; the other takes its partitions over and finishes. */
@ExtendWith(KafkaExtension.class)
class TwoInstancesTest {
  static final int CHANGES = 4_000;

  @Test
  void survivorTakesOverTheStoppedInstancesPartitionsAndFinishesTheChurn(TestKafka kafka) throws Exception {
    KafkaClients clients = KafkaClients.of(kafka.bootstrapServers());
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
    String run = UUID.randomUUID().toString().substring(0, 6);
    // Namespaces over every partition, so both instances get work.
    List<String> namespaces = new ArrayList<>();
    Set<Integer> covered = new HashSet<>();
    for (int i = 0; covered.size() < TopicLayout.DEFAULT_PARTITIONS || namespaces.size() < 12; i++) {
      String ns = "two-" + run + "-" + i;
      if (covered.add(NamespacePartitioner.partitionFor(ns, TopicLayout.DEFAULT_PARTITIONS)) || namespaces.size() < 12) {
        namespaces.add(ns);
      }
    }
    Churn churn = new Churn(7, namespaces, 10, 5);

    EndpointController a = EndpointController.start(new EndpointController.Settings(clients, "two-a-" + run));
    EndpointController b = EndpointController.start(new EndpointController.Settings(clients, "two-b-" + run));
    try (ResourceWriter writer = new ResourceWriter(clients); EndpointsWatcher watcher = new EndpointsWatcher(clients)) {
      awaitTrue(() -> a.metrics().partitions() + b.metrics().partitions() == TopicLayout.DEFAULT_PARTITIONS
          && a.metrics().partitions() > 0 && b.metrics().partitions() > 0, "both instances own partitions");
      churn.writeServices(writer);
      AtomicInteger produced = new AtomicInteger();
      // The second half of the churn waits until the first instance is stopped, so that it stops
      // mid-churn however long the waits below take on a loaded machine.
      CountDownLatch stopped = new CountDownLatch(1);
      Thread producer = new Thread(() -> {
        for (int done = 0; done < CHANGES; done += 20) {
          if (done == CHANGES / 2) awaitLatch(stopped);
          churn.record(writer.writeAll(churn.next(20)));
          produced.addAndGet(20);
        }
      }, "churn");
      producer.start();
      awaitTrue(() -> produced.get() >= CHANGES / 2, "half the churn written");
      awaitTrue(() -> a.metrics().endpointsPublished() > 0 && b.metrics().endpointsPublished() > 0,
          "both instances published Endpoints");
      a.close();
      stopped.countDown();
      awaitTrue(() -> b.metrics().partitions() == TopicLayout.DEFAULT_PARTITIONS, "the survivor owns every partition");

      producer.join(TimeUnit.MINUTES.toMillis(2));
      churn.awaitCommitted(clients, EndpointController.DEFAULT_GROUP_ID, Duration.ofSeconds(180));
      int checked = churn.verify(watcher);
      assertTrue(checked > churn.serviceCount(), "checked " + checked);

      Set<String> writers = new HashSet<>();
      watcher.all().forEach((key, records) -> {
        if (namespaces.stream().anyMatch(ns -> key.startsWith("Endpoints/" + ns + "/"))) {
          records.forEach(r -> writers.add(r.value().getWriter()));
        }
      });
      assertEquals(Set.of("endpoint-controller/two-a-" + run, "endpoint-controller/two-b-" + run), writers);
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void secondIncarnationWithTheSameInstanceIdFencesTheFirstAndNothingIsDoubled(TestKafka kafka) throws Exception {
    KafkaClients clients = KafkaClients.of(kafka.bootstrapServers());
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
    String run = UUID.randomUUID().toString().substring(0, 6);
    List<String> namespaces = List.of("zombie-" + run + "-0", "zombie-" + run + "-1", "zombie-" + run + "-2");
    Churn churn = new Churn(11, namespaces, 10, 5);
    EndpointController.Settings same = new EndpointController.Settings(clients, "zombie-" + run);
    EndpointController first = EndpointController.start(same);
    EndpointController second = null;
    try (ResourceWriter writer = new ResourceWriter(clients); EndpointsWatcher watcher = new EndpointsWatcher(clients)) {
      churn.writeServices(writer);
      AtomicInteger produced = new AtomicInteger();
      Thread producer = new Thread(() -> {
        for (int done = 0; done < 2_000; done += 20) {
          churn.record(writer.writeAll(churn.next(20)));
          produced.addAndGet(20);
        }
      }, "churn");
      producer.start();
      awaitTrue(() -> first.metrics().endpointsPublished() > churn.serviceCount(), "the first incarnation publishes");
      // The same instance id again, while the first still runs (as after a network partition).
      second = EndpointController.start(same);
      Throwable fenced = first.awaitTermination();
      assertTrue(fenced != null, "the first incarnation stopped on being fenced");
      assertEquals(ControllerMetrics.State.FAILED, first.metrics().state());
      assertTrue(second.isRunning());

      producer.join(TimeUnit.MINUTES.toMillis(2));
      churn.awaitCommitted(clients, EndpointController.DEFAULT_GROUP_ID, Duration.ofSeconds(180));
      assertTrue(churn.verify(watcher) > churn.serviceCount());
    } finally {
      first.close();
      if (second != null) second.close();
    }
  }

  /** For a producer thread: waits (at most 2 minutes) until the test lets it go on. */
  static void awaitLatch(CountDownLatch latch) {
    try {
      if (!latch.await(2, TimeUnit.MINUTES)) throw new AssertionError("the test never let the churn go on");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within 120 s: " + what);
      Thread.sleep(20);
    }
  }
}
