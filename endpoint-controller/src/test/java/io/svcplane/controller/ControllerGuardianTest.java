package io.svcplane.controller;

import static io.svcplane.controller.Fixtures.pod;
import static io.svcplane.controller.Fixtures.port;
import static io.svcplane.controller.Fixtures.selector;
import static io.svcplane.controller.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The guardian with real namespace actors: batches split by namespace, completion, revocation. */
class ControllerGuardianTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  private long offset;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  LogRecord record(int partition, Resource object) {
    return new LogRecord(LogTopic.RESOURCES, partition, offset++, 1_000L, ObjectKey.of(object).toString(),
        ResourceWriter.event(EventType.ADDED, object));
  }

  List<LogRecord> serviceWithPod(String ns, int partition) {
    return List.of(
        record(partition, Kinds.wrap(service(ns, "web", selector("app", "web"), port("", 80, "80")).build())),
        record(partition, Kinds.wrap(pod(ns, "p", "10.244.0.1", true, "app", "web").build())));
  }

  BatchCollector.BatchFolded fold(ActorRef<ControllerGuardian.Command> guardian, Map<String, List<LogRecord>> batch) {
    TestProbe<BatchCollector.BatchFolded> probe = testKit.createTestProbe();
    guardian.tell(new ControllerGuardian.FoldBatch(batch, probe.getRef()));
    return probe.receiveMessage();
  }

  @Test
  void batchIsSplitByNamespaceAndAnsweredOnceEveryNamespaceIsDone() {
    var guardian = testKit.spawn(ControllerGuardian.create("endpoint-controller/unit", new ControllerMetrics()));
    BatchCollector.BatchFolded out = fold(guardian, Map.of("a", serviceWithPod("a", 0), "b", serviceWithPod("b", 1)));
    assertEquals(4, out.events());
    assertEquals(Set.of("Endpoints/a/web", "Endpoints/b/web"),
        Set.copyOf(out.changes().stream().map(EndpointsChange::key).toList()));
    TestProbe<Set<String>> names = testKit.createTestProbe();
    guardian.tell(new ControllerGuardian.GetNamespaces(names.getRef()));
    assertEquals(Set.of("a", "b"), names.receiveMessage());
  }

  @Test
  void emptyBatchIsAnsweredAtOnce() {
    var guardian = testKit.spawn(ControllerGuardian.create("endpoint-controller/unit", new ControllerMetrics()));
    assertEquals(0, fold(guardian, Map.of()).events());
  }

  @Test
  void revokedPartitionLosesItsNamespacesAndTheirState() {
    var guardian = testKit.spawn(ControllerGuardian.create("endpoint-controller/unit", new ControllerMetrics()));
    fold(guardian, Map.of("a", serviceWithPod("a", 0), "b", serviceWithPod("b", 1)));
    guardian.tell(new ControllerGuardian.Revoke(Set.of(0)));
    TestProbe<Set<String>> names = testKit.createTestProbe();
    guardian.tell(new ControllerGuardian.GetNamespaces(names.getRef()));
    assertEquals(Set.of("b"), names.receiveMessage());
    // Namespace a starts over empty: a lone pod event selects no known service.
    var out = fold(guardian, Map.of("a", List.of(record(0, Kinds.wrap(pod("a", "q", "10.244.0.2", true, "app", "web").build())))));
    assertEquals(List.of(), out.changes());
  }

  @Test
  void assignedPartitionStartsFromItsSeed() {
    var guardian = testKit.spawn(ControllerGuardian.create("endpoint-controller/unit", new ControllerMetrics()));
    var first = fold(guardian, Map.of("c", serviceWithPod("c", 2)));
    var published = first.changes().get(0).event().getObject().getEndpoints();
    guardian.tell(new ControllerGuardian.Assign(2, Map.of("c", new NamespaceSeed(io.svcplane.core.image.ClusterImage.EMPTY, Map.of("web", published)))));
    TestProbe<Map<String, io.svcplane.api.v1.Endpoints>> probe = testKit.createTestProbe();
    guardian.tell(new ControllerGuardian.GetPublished("c", probe.getRef()));
    assertEquals(Map.of("web", published), probe.receiveMessage());
  }
}
