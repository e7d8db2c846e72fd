package io.svcplane.apiserver;

import static io.svcplane.apiserver.TestCluster.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.apiserver.state.OwnEvents;
import io.svcplane.apiserver.write.ResourceWriter;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.LogTail;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The writer hands its own events to the fold, which takes them instead of parsing the records it
 * reads back: the image must be exactly what folding the log from the records alone gives, also
 * around a transaction that aborted after its events were handed over.
 */
@ExtendWith(KafkaExtension.class)
class OwnEventsTest {

  /** The log folded from scratch by a plain tail, every record parsed. */
  private static ClusterImage foldFromRecords(TestKafka kafka) {
    try (LogTail tail = new LogTail(KafkaClients.of(kafka.bootstrapServers()), List.of(LogTopic.RESOURCES, LogTopic.ENDPOINTS))) {
      return tail.catchUp(ClusterImage.EMPTY, r -> {});
    }
  }

  private static void assertSameAsFoldedFromRecords(TestCluster c, String ns) {
    NamespaceImage fromRecords = foldFromRecords(c.kafka).namespace(ns);
    NamespaceImage served = c.server.readModel().image().namespace(ns);
    assertEquals(fromRecords.services(), served.services());
    assertEquals(fromRecords.pods(), served.pods());
    assertEquals(fromRecords.userEndpoints(), served.userEndpoints());
  }

  @Test
  void theFoldTakesEveryOwnEventAndHoldsWhatParsingTheLogGives(TestKafka kafka) throws Exception {
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("own-events"))) {
      String ns = c.newNamespace("own");
      c.get(Kind.NAMESPACE, "", ns); // the fold has taken the namespace's event: counting starts clean
      OwnEvents own = c.server.ownEvents();
      ResourceWriter.Stats before = c.server.writeStats();
      long takenBefore = own.taken();

      // Many records per transaction, then an update, a pod and a delete: every kind of event.
      List<CompletableFuture<Resource>> creates = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        int n = i;
        creates.add(CompletableFuture.supplyAsync(() -> c.create(TestCluster.svc(ns, "s" + n, 80, 443))));
      }
      for (CompletableFuture<Resource> f : creates) f.get();
      Service s0 = c.get(Kind.SERVICE, ns, "s0").getService();
      Resource updated = c.apply(Resource.newBuilder().setService(s0.toBuilder()
          .setMetadata(s0.getMetadata().toBuilder().putLabels("tier", "web"))).build()).getObject();
      c.create(TestCluster.pod(ns, "p", Map.of("app", "x")));
      c.delete(Kind.SERVICE, ns, "s1");

      // a read waits until the fold holds every acknowledged write
      assertEquals(updated, c.get(Kind.SERVICE, ns, "s0"));
      assertEquals(Status.Code.NOT_FOUND, expectError(() -> c.get(Kind.SERVICE, ns, "s1")).getStatus().getCode());
      ResourceWriter.Stats d = c.server.writeStats().since(before);
      assertTrue(d.recordsPerTransaction() > 1, "no transaction carried several records: " + d);
      assertEquals(d.records(), own.taken() - takenBefore, "records written and events the fold took differ: " + d);
      assertEquals(0, own.held());
      assertSameAsFoldedFromRecords(c, ns);
      // The answer is the image's object: the fold took the writer's, with its resourceVersion.
      Service stored = c.server.readModel().image().namespace(ns).services().get("s0");
      assertEquals(updated.getService().getMetadata().getResourceVersion(), stored.getMetadata().getResourceVersion());
    }
  }

  @Test
  void eventsOfAnAbortedTransactionAreDroppedAndNeverFolded(TestKafka kafka) throws Exception {
    FailedTransactionTest.FailingProducers producers = new FailedTransactionTest.FailingProducers();
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("own-events-aborted").producerFactory(producers))) {
      String ns = c.newNamespace("own-aborted");
      OwnEvents own = c.server.ownEvents();
      c.create(TestCluster.svc(ns, "before", 80));

      // The commit "times out" after the events were handed over; the transaction is aborted.
      producers.commitsToFail.set(1);
      assertEquals(Status.Code.UNAVAILABLE,
          expectError(() -> c.create(TestCluster.svc(ns, "lost", 80))).getStatus().getCode());
      assertEquals(1, own.held(), "the aborted write's event was handed over and is held");

      // The next write in the namespace lands after it in the same partition: reading it, the
      // fold drops the aborted event it will never read.
      FailedTransactionTest.retryWhileUnavailable(() -> c.create(TestCluster.svc(ns, "after", 80)));
      c.get(Kind.SERVICE, ns, "after");
      assertEquals(0, own.held());
      assertEquals(Status.Code.NOT_FOUND, expectError(() -> c.get(Kind.SERVICE, ns, "lost")).getStatus().getCode());
      assertSameAsFoldedFromRecords(c, ns);
    }
  }

  @Test
  void takeDropsWhatLiesBeforeTheOffsetReadAndLeavesWhatLiesAfter() {
    OwnEvents own = new OwnEvents();
    ResourceEvent a = ResourceEvent.newBuilder().setType(EventType.ADDED).setWriter("a").build();
    ResourceEvent b = ResourceEvent.newBuilder().setType(EventType.ADDED).setWriter("b").build();
    ResourceEvent c = ResourceEvent.newBuilder().setType(EventType.ADDED).setWriter("c").build();
    own.offer(0, 10, a);
    own.offer(0, 11, b); // aborted: never read
    own.offer(0, 15, c);
    own.offer(1, 3, a);
    assertNull(own.take(LogTopic.ENDPOINTS, 0, 10), "only svcplane.resources is written by the apiserver");
    assertSame(a, own.take(LogTopic.RESOURCES, 0, 10));
    assertNull(own.take(LogTopic.RESOURCES, 0, 13), "another writer's record");
    assertEquals(2, own.held(), "11 dropped, 15 and partition 1's kept");
    assertSame(c, own.take(LogTopic.RESOURCES, 0, 15));
    assertNull(own.take(LogTopic.RESOURCES, 2, 3));
    assertSame(a, own.take(LogTopic.RESOURCES, 1, 3));
    assertEquals(0, own.held());
    assertEquals(3, own.taken());
  }
}
