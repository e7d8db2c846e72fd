package io.svcplane.apiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.WatchEvent;
import io.svcplane.api.v1.WatchRequest;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class WatchTest {
  static final Duration WAIT = Duration.ofSeconds(20);
  static TestCluster cluster;

  @BeforeAll
  static void start(TestKafka kafka) throws Exception {
    cluster = TestCluster.start(kafka, b -> b.writerId("watch"));
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  static String describe(WatchEvent e) {
    return e.getType() + " " + Kinds.metadata(e.getObject()).getName();
  }

  @Test
  void watchResumedFromTheLastSeenVersionMissesNothingAndRepeatsNothing() throws Exception {
    String ns = cluster.newNamespace("resume");
    String listVersion = cluster.api().list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).build()).getVersion();
    List<String> expected = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    String lastVersion;
    try (WatchClient w = new WatchClient(cluster, WatchRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns)
        .setSinceVersion(listVersion).build())) {
      for (int i = 0; i < 10; i++) {
        cluster.create(TestCluster.svc(ns, "s" + i, 80));
        expected.add("ADDED s" + i);
      }
      List<WatchEvent> first = w.take(6, WAIT);
      first.forEach(e -> seen.add(describe(e)));
      lastVersion = first.get(5).getVersion();
    }
    // The client went away after six events; meanwhile more changes happen.
    for (int i = 0; i < 5; i++) {
      cluster.delete(Kind.SERVICE, ns, "s" + i);
      expected.add("DELETED s" + i);
    }
    try (WatchClient w = new WatchClient(cluster, WatchRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns)
        .setSinceVersion(lastVersion).build())) {
      w.take(expected.size() - 6, WAIT).forEach(e -> seen.add(describe(e)));
      Thread.sleep(300);
      assertTrue(w.events.isEmpty(), "duplicate events: " + w.events);
    }
    assertEquals(expected, seen);
  }

  @Test
  void sendInitialListsThenWatches() throws Exception {
    String ns = cluster.newNamespace("initial");
    cluster.create(TestCluster.svc(ns, "a", 80));
    cluster.create(TestCluster.svc(ns, "b", 80));
    try (WatchClient w = new WatchClient(cluster, WatchRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns)
        .setSendInitial(true).build())) {
      List<WatchEvent> initial = w.take(2, WAIT);
      assertEquals(List.of("ADDED a", "ADDED b"), initial.stream().map(WatchTest::describe).toList());
      cluster.delete(Kind.SERVICE, ns, "a");
      WatchEvent del = w.take(1, WAIT).get(0);
      assertEquals("DELETED a", describe(del));
      assertEquals("Service", del.getObject().getService().getKind());
      assertTrue(!del.getVersion().isEmpty());
    }
  }

  @Test
  void labelSelectedWatchSeesAnObjectThatStopsMatchingAsDeleted() throws Exception {
    String ns = cluster.newNamespace("labels");
    // From a listed version, not from "now": a watch from now starts when the server gets to it,
    // which may be after the writes below.
    String version = cluster.api().list(ListRequest.newBuilder().setKind(Kind.POD).setNamespace(ns).build()).getVersion();
    try (WatchClient w = new WatchClient(cluster, WatchRequest.newBuilder().setKind(Kind.POD).setNamespace(ns)
        .setLabelSelector("app=a").setSinceVersion(version).build())) {
      Pod p = cluster.create(TestCluster.pod(ns, "p", Map.of("app", "b"))).getPod();
      Pod nowA = cluster.apply(Kinds.wrap(p.toBuilder().setMetadata(p.getMetadata().toBuilder().putLabels("app", "a")).build()))
          .getObject().getPod();
      cluster.apply(Kinds.wrap(nowA.toBuilder().setMetadata(nowA.getMetadata().toBuilder().putLabels("app", "c")).build()));
      List<WatchEvent> events = w.take(2, WAIT);
      assertEquals(EventType.ADDED, events.get(0).getType());
      assertEquals(EventType.DELETED, events.get(1).getType());
      assertEquals("a", events.get(1).getObject().getPod().getMetadata().getLabelsMap().get("app"));
      Thread.sleep(200);
      assertTrue(w.events.isEmpty(), "unexpected events " + w.events);
    }
  }

  @Test
  void endpointsWatchStreamsPublishedEndpointsNotUserWrittenOnes() throws Exception {
    String ns = cluster.newNamespace("epwatch");
    String version = cluster.api().list(ListRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(ns).build()).getVersion();
    try (WatchClient w = new WatchClient(cluster, WatchRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(ns)
        .setSinceVersion(version).build())) {
      var user = cluster.create(Kinds.wrap(io.svcplane.api.v1.Endpoints.newBuilder()
          .setMetadata(io.svcplane.api.v1.ObjectMeta.newBuilder().setNamespace(ns).setName("ep")).build()));
      try (KafkaProducer<String, ResourceEvent> p = new KafkaProducer<>(
          KafkaClients.of(cluster.kafka.bootstrapServers()).producer(null))) {
        p.send(new ProducerRecord<>(LogTopic.ENDPOINTS.topicName(), ObjectKey.of(user).toString(),
            ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(user).build())).get();
      }
      List<WatchEvent> events = w.take(1, WAIT);
      assertEquals("ADDED ep", describe(events.get(0)));
      Thread.sleep(200);
      assertTrue(w.events.isEmpty(), "user Endpoints leaked into the watch: " + w.events);
    }
  }

  @Test
  void watchFromAVersionOlderThanTheWindowIsOutOfRange(TestKafka kafka) throws Exception {
    String ns = cluster.newNamespace("old");
    String version = cluster.api().list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).build()).getVersion();
    for (int i = 0; i < 5; i++) cluster.create(TestCluster.svc(ns, "s" + i, 80));
    try (TestCluster small = TestCluster.start(kafka, b -> b.writerId("watch-small").watchWindow(3))) {
      try (WatchClient w = new WatchClient(small, WatchRequest.newBuilder().setKind(Kind.SERVICE).setSinceVersion(version).build())) {
        Throwable t = w.awaitError(WAIT);
        assertEquals(Status.Code.OUT_OF_RANGE, Status.fromThrowable(t).getCode());
        assertTrue(Status.fromThrowable(t).getDescription().startsWith("too old resource version"), t.toString());
      }
    }
  }
}
