package io.svcplane.controller;

import static io.svcplane.controller.Fixtures.pod;
import static io.svcplane.controller.Fixtures.port;
import static io.svcplane.controller.Fixtures.readyIps;
import static io.svcplane.controller.Fixtures.selector;
import static io.svcplane.controller.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.BehaviorTestKit;
import akka.actor.testkit.typed.javadsl.TestInbox;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The namespace actor alone, synchronously: fold, plan, coalesce, cause. */
class NamespaceActorTest {
  private long offset;

  LogRecord record(EventType type, Resource object) {
    return new LogRecord(LogTopic.RESOURCES, 3, offset++, 1_000L, ObjectKey.of(object).toString(),
        ResourceWriter.event(type, object));
  }

  NamespaceActor.Folded fold(BehaviorTestKit<NamespaceActor.Command> kit, LogRecord... records) {
    TestInbox<NamespaceActor.Folded> inbox = TestInbox.create();
    kit.run(new NamespaceActor.Fold(List.of(records), inbox.getRef()));
    return inbox.receiveMessage();
  }

  BehaviorTestKit<NamespaceActor.Command> actor() {
    return BehaviorTestKit.create(NamespaceActor.create("ns", NamespaceSeed.EMPTY, "endpoint-controller/unit"));
  }

  @Test
  void serviceAndPodInOneBatchGiveOneAddedEventCausedByTheLastRecord() {
    var kit = actor();
    LogRecord svc = record(EventType.ADDED, Kinds.wrap(service("ns", "web", selector("app", "web"), port("", 80, "80")).build()));
    LogRecord p = record(EventType.ADDED, Kinds.wrap(pod("ns", "p", "10.244.0.1", true, "app", "web").build()));
    NamespaceActor.Folded out = fold(kit, svc, p);
    assertEquals(2, out.events());
    assertEquals(1, out.changes().size());
    EndpointsChange c = out.changes().get(0);
    assertEquals("Endpoints/ns/web", c.key());
    assertEquals(EventType.ADDED, c.event().getType());
    assertEquals(List.of("10.244.0.1"), readyIps(c.event()));
    assertEquals(p.offset(), c.event().getCause().getOffset());
    assertEquals(3, c.event().getCause().getPartition());
    assertEquals("Pod/ns/p", c.event().getCause().getKey());
    assertEquals("endpoint-controller/unit", c.event().getWriter());
  }

  @Test
  void manyPodChangesInOneBatchCoalescePerService() {
    var kit = actor();
    fold(kit, record(EventType.ADDED, Kinds.wrap(service("ns", "a", selector("app", "a"), port("", 80, "80")).build())),
        record(EventType.ADDED, Kinds.wrap(service("ns", "b", selector("app", "b"), port("", 80, "80")).build())));
    List<LogRecord> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      batch.add(record(EventType.ADDED, Kinds.wrap(pod("ns", "p" + i, "10.244.0." + (i + 1), i % 2 == 0, "app", i < 5 ? "a" : "b").build())));
    }
    NamespaceActor.Folded out = fold(kit, batch.toArray(LogRecord[]::new));
    assertEquals(2, out.changes().size(), "one event per service per batch");
    assertEquals(batch.get(4).offset(), out.changes().get(0).event().getCause().getOffset());
    assertEquals(batch.get(9).offset(), out.changes().get(1).event().getCause().getOffset());
  }

  @Test
  void podLeavingAServiceChangedInTheSameBatchBecomesTheCause() {
    var kit = actor();
    fold(kit, record(EventType.ADDED, Kinds.wrap(service("ns", "web", selector("app", "web"), port("", 80, "80")).build())),
        record(EventType.ADDED, Kinds.wrap(pod("ns", "p", "10.244.0.1", true, "app", "web").build())),
        record(EventType.ADDED, Kinds.wrap(pod("ns", "q", "10.244.0.2", true, "app", "web").build())));
    var relabeledService = service("ns", "web", selector("app", "web"), port("", 80, "80"));
    relabeledService.getMetadataBuilder().putLabels("x", "y");
    Resource relabeled = Kinds.wrap(relabeledService.build());
    LogRecord svc = record(EventType.MODIFIED, relabeled);
    LogRecord leaves = record(EventType.MODIFIED, Kinds.wrap(pod("ns", "p", "10.244.0.1", true, "app", "other").build()));
    NamespaceActor.Folded out = fold(kit, svc, leaves);
    assertEquals(1, out.changes().size());
    assertEquals(List.of("10.244.0.2"), readyIps(out.changes().get(0).event()));
    assertEquals(leaves.offset(), out.changes().get(0).event().getCause().getOffset());
  }

  @Test
  void changeThatCancelsOutWithinTheBatchPublishesNothing() {
    var kit = actor();
    fold(kit, record(EventType.ADDED, Kinds.wrap(service("ns", "web", selector("app", "web"), port("", 80, "80")).build())),
        record(EventType.ADDED, Kinds.wrap(pod("ns", "p", "10.244.0.1", true, "app", "web").build())));
    NamespaceActor.Folded out = fold(kit,
        record(EventType.MODIFIED, Kinds.wrap(pod("ns", "p", "10.244.0.1", false, "app", "web").build())),
        record(EventType.MODIFIED, Kinds.wrap(pod("ns", "p", "10.244.0.1", true, "app", "web").build())));
    assertEquals(List.of(), out.changes());
  }

  @Test
  void podOfNoServiceChangesNothing() {
    var kit = actor();
    fold(kit, record(EventType.ADDED, Kinds.wrap(service("ns", "web", selector("app", "web"), port("", 80, "80")).build())));
    NamespaceActor.Folded out = fold(kit, record(EventType.ADDED, Kinds.wrap(pod("ns", "x", "10.244.0.9", true, "app", "other").build())));
    assertEquals(List.of(), out.changes());
  }

  @Test
  void seededPublishedEndpointsAreTheBaselineAfterARebuild() {
    var first = actor();
    LogRecord svc = record(EventType.ADDED, Kinds.wrap(service("ns", "web", selector("app", "web"), port("", 80, "80")).build()));
    LogRecord p = record(EventType.ADDED, Kinds.wrap(pod("ns", "p", "10.244.0.1", true, "app", "web").build()));
    ResourceEvent published = fold(first, svc, p).changes().get(0).event();

    // A new owner rebuilt from the log: same input, and what was published for it.
    io.svcplane.core.image.ClusterDelta d = new io.svcplane.core.image.ClusterDelta(io.svcplane.core.image.ClusterImage.EMPTY);
    svc.replayInto(d);
    p.replayInto(d);
    var seed = new NamespaceSeed(d.apply(), Map.of("web", published.getObject().getEndpoints()));
    var rebuilt = BehaviorTestKit.create(NamespaceActor.create("ns", seed, "endpoint-controller/unit"));
    // The same input again (as after a crash before the commit): nothing new to publish.
    assertEquals(List.of(), fold(rebuilt, record(EventType.MODIFIED, p.event().getObject())).changes());

    TestInbox<Map<String, io.svcplane.api.v1.Endpoints>> inbox = TestInbox.create();
    rebuilt.run(new NamespaceActor.GetPublished(inbox.getRef()));
    assertEquals(Map.of("web", published.getObject().getEndpoints()), inbox.receiveMessage());
  }
}
