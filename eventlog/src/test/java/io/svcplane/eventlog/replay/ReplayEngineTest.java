package io.svcplane.eventlog.replay;

import static io.svcplane.eventlog.replay.Objects.pod;
import static io.svcplane.eventlog.replay.Objects.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import io.svcplane.eventlog.export.ExportReader;
import io.svcplane.eventlog.export.ExportWriter;
import io.svcplane.eventlog.export.LogExporter;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.ScriptedCluster;
import io.svcplane.eventlog.testing.TestKafka;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay engine against a real broker: a scripted sequence of service and pod changes, with
 * the Endpoints the planner derives published as the controller would, then time travel, history,
 * export, offline replay and verification over it.
 */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayEngineTest {
  private final KafkaClients clients;
  private final String ns = "replay-" + UUID.randomUUID().toString().substring(0, 8);
  private ScriptedCluster script;
  /** After each step: the moment it was complete, and the namespace's state then. */
  private final List<Instant> moments = new ArrayList<>();
  private final List<NamespaceImage> states = new ArrayList<>();
  private final List<ScriptedCluster.Step> steps = new ArrayList<>();
  @TempDir Path dir;

  ReplayEngineTest(TestKafka kafka) {
    this.clients = KafkaClients.of(kafka.bootstrapServers());
  }

  @BeforeAll
  void writeScript() {
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
    script = new ScriptedCluster(clients, true);
    step(service(ns, "web", 80, "web"));
    step(pod(ns, "web-a", "web", "10.244.1.5", true));
    step(pod(ns, "web-b", "web", "10.244.2.3", false));
    step(pod(ns, "web-b", "web", "10.244.2.3", true));
    step(service(ns, "web", 8080, "web"));
    step(pod(ns, "web-a", "web", "10.244.1.5", false));
    stepDelete(new ObjectKey(Kind.POD, ns, "web-a"));
    stepDelete(new ObjectKey(Kind.SERVICE, ns, "web"));
  }

  @AfterAll
  void close() {
    script.close();
  }

  private void step(io.svcplane.api.v1.Resource r) {
    record(script.apply(r));
  }

  private void stepDelete(ObjectKey key) {
    record(script.delete(key));
  }

  private void record(ScriptedCluster.Step s) {
    steps.add(s);
    states.add(script.image().namespace(ns));
    // the step is complete at the last stamp it wrote; the next step must stamp later
    long last = Math.max(s.timestamp(), System.currentTimeMillis());
    moments.add(Instant.ofEpochMilli(last));
    ScriptedCluster.awaitClockPast(last);
  }

  private KafkaLogSource kafka() {
    return KafkaLogSource.open(clients, Clock.systemUTC());
  }

  private Path export(String name, Instant since, Instant until) throws Exception {
    Path file = dir.resolve(name);
    try (KafkaLogSource src = kafka()) {
      new LogExporter(src, Clock.systemUTC(), "test").export(since, until, h -> ExportWriter.create(file, h),
          ProgressListener.NONE);
    }
    return file;
  }

  @Test
  void replayAtEachRecordedMomentEqualsTheStateThen() throws Exception {
    try (KafkaLogSource src = kafka()) {
      Replayer replayer = new Replayer(src);
      for (int i = 0; i < moments.size(); i++) {
        ClusterImage image = replayer.fold(new ReplayPoint(moments.get(i), Map.of()), ProgressListener.NONE).image();
        assertEquals(states.get(i), image.namespace(ns), "state after step " + i + " at " + moments.get(i));
      }
    }
  }

  @Test
  void replayToAResourceOffsetHasThePodsAndServicesRightAfterThatEvent() throws Exception {
    try (KafkaLogSource src = kafka()) {
      Replayer replayer = new Replayer(src);
      for (int i = 0; i < steps.size(); i++) {
        var s = steps.get(i);
        var point = ReplayPoint.of(null, List.of(s.partition() + ":" + s.offset()), Clock.systemUTC());
        NamespaceImage got = replayer.fold(point, ProgressListener.NONE).image().namespace(ns);
        assertEquals(states.get(i).pods(), got.pods(), "pods at " + s);
        assertEquals(states.get(i).services(), got.services(), "services at " + s);
        assertEquals(s.offset(), replayer.resolve(point).lastOffsets().values().iterator().next());
      }
    }
  }

  @Test
  void offlineReplayOfAnExportEqualsTheOnlineReplayAtEveryMoment() throws Exception {
    Path file = export("all.svclog", null, null);
    try (KafkaLogSource online = kafka(); ExportFileSource offline = ExportFileSource.open(file)) {
      for (int i = 0; i < moments.size(); i++) {
        ReplayPoint at = new ReplayPoint(moments.get(i), Map.of());
        ClusterImage a = new Replayer(online).fold(at, ProgressListener.NONE).image();
        ClusterImage b = new Replayer(offline).fold(at, ProgressListener.NONE).image();
        assertEquals(a, b, "whole image, positions included, at " + moments.get(i));
        assertEquals(states.get(i), b.namespace(ns));
      }
      ClusterImage end = new Replayer(offline).fold(ReplayPoint.END, ProgressListener.NONE).image();
      assertEquals(offline.end(), end.positions(), "a whole-file replay stands where the export ended");
    }
  }

  @Test
  void exportSinceStartsFromASnapshotAndReplaysEveryLaterMomentTheSame() throws Exception {
    Instant since = moments.get(3);
    Path file = export("since.svclog", since, null);
    long snapshots = 0;
    try (ExportReader r = ExportReader.open(file)) {
      assertEquals(since.toEpochMilli(), r.header().getHistoryStart().getSeconds() * 1000 + r.header().getHistoryStart().getNanos() / 1_000_000);
      for (ExportRecord rec; (rec = r.next()) != null; ) if (rec.getSnapshot()) snapshots++;
    }
    assertTrue(snapshots >= 4, "service, two pods and their Endpoints stand for the state at --since: " + snapshots);
    try (KafkaLogSource online = kafka(); ExportFileSource offline = ExportFileSource.open(file)) {
      for (int i = 3; i < moments.size(); i++) {
        ReplayPoint at = new ReplayPoint(moments.get(i), Map.of());
        assertEquals(new Replayer(online).fold(at, ProgressListener.NONE).image(),
            new Replayer(offline).fold(at, ProgressListener.NONE).image(), "at " + moments.get(i));
      }
      var e = assertThrows(ReplayException.class, () -> new Replayer(offline).fold(
          new ReplayPoint(moments.get(2), Map.of()), ProgressListener.NONE));
      assertEquals("no history at " + moments.get(2) + " in export file " + file + ": the earliest available moment is "
          + since + " (the --since of the export (earlier history was folded into a snapshot))", e.getMessage());
    }
  }

  @Test
  void exportUntilEndsWhereAReplayToThatMomentEnds() throws Exception {
    Instant until = moments.get(4);
    Path file = export("until.svclog", null, until);
    try (KafkaLogSource online = kafka(); ExportFileSource offline = ExportFileSource.open(file)) {
      ClusterImage a = new Replayer(online).fold(new ReplayPoint(until, Map.of()), ProgressListener.NONE).image();
      ClusterImage b = new Replayer(offline).fold(ReplayPoint.END, ProgressListener.NONE).image();
      assertEquals(a, b);
      assertEquals(states.get(4), b.namespace(ns));
    }
  }

  @Test
  void historyOfAServiceListsEveryEventWithWhatChanged() throws Exception {
    try (KafkaLogSource src = kafka()) {
      var h = new HistoryReader(src).read(new ObjectKey(Kind.SERVICE, ns, "web"), ProgressListener.NONE);
      assertEquals(List.of(EventType.ADDED, EventType.MODIFIED, EventType.DELETED),
          h.entries().stream().map(HistoryReader.Entry::type).toList());
      assertEquals(List.of("spec.ports[0].port: 80 -> 8080"),
          h.entries().get(1).changes().stream().map(Object::toString).toList());
      assertEquals(Long.toString(steps.get(4).offset()), h.entries().get(1).version());
      assertEquals(Instant.ofEpochMilli(steps.get(4).timestamp()), h.entries().get(1).time());
    }
  }

  @Test
  void historyOfAPodShowsTheReadinessFlip() throws Exception {
    try (ExportFileSource src = ExportFileSource.open(export("pod.svclog", null, null))) {
      var h = new HistoryReader(src).read(new ObjectKey(Kind.POD, ns, "web-a"), ProgressListener.NONE);
      assertEquals(3, h.entries().size());
      assertEquals(List.of("status.conditions[type=Ready].status: True -> False"),
          h.entries().get(1).changes().stream().map(Object::toString).toList());
    }
  }

  @Test
  void historyOfEndpointsShowsEachAddressMoveAndTheEventThatCausedIt() throws Exception {
    try (KafkaLogSource src = kafka()) {
      var h = new HistoryReader(src).read(new ObjectKey(Kind.ENDPOINTS, ns, "web"), ProgressListener.NONE);
      List<String> moves = h.entries().stream().map(e -> e.addresses().toString()).toList();
      assertEquals(List.of(
          "(addresses unchanged)",                      // service created: no pods yet
          "+10.244.1.5:8080",                            // web-a ready
          "+10.244.2.3:8080(not ready)",                 // web-b not ready
          "+10.244.2.3:8080 -10.244.2.3:8080(not ready)", // web-b ready
          "+10.244.1.5:8080(not ready) -10.244.1.5:8080", // web-a unready
          "-10.244.1.5:8080(not ready)",                 // web-a deleted
          "-10.244.2.3:8080"),                           // service deleted
          moves);
      var second = h.entries().get(1);
      assertEquals(LogTopic.ENDPOINTS, second.topic());
      assertEquals("Pod/" + ns + "/web-a", second.cause().key());
      assertEquals(EventType.ADDED, second.cause().type());
      assertEquals(steps.get(1).offset(), second.cause().offset());
      assertTrue(second.cause().inLog());
      assertEquals(Instant.ofEpochMilli(steps.get(1).timestamp()), second.cause().time());
      assertEquals(EventType.DELETED, h.entries().get(6).type());
      assertEquals("Service/" + ns + "/web", h.entries().get(6).cause().key());
    }
  }

  @Test
  void historyOfAnObjectThatNeverExistedSaysSoAndWhereItLooked() throws Exception {
    try (KafkaLogSource src = kafka()) {
      var e = assertThrows(ReplayException.class, () ->
          new HistoryReader(src).read(new ObjectKey(Kind.SERVICE, ns, "nope"), ProgressListener.NONE));
      assertTrue(e.getMessage().startsWith("service \"nope\" in namespace \"" + ns + "\" never existed in Kafka at "
          + clients.bootstrapServers() + ": no event with key Service/" + ns + "/nope in svcplane.resources partition "),
          e.getMessage());
    }
  }

  @Test
  void aTimeBeforeTheHistoryIsRefusedNamingTheEarliestMoment() throws Exception {
    Instant longAgo = Instant.parse("2000-01-01T00:00:00Z");
    try (KafkaLogSource src = kafka()) {
      var e = assertThrows(ReplayException.class, () ->
          new Replayer(src).fold(new ReplayPoint(longAgo, Map.of()), ProgressListener.NONE));
      HistoryStart start = src.historyStart().orElseThrow();
      assertEquals("no history at 2000-01-01T00:00:00Z in Kafka at " + clients.bootstrapServers()
          + ": the earliest available moment is " + start.at() + " (" + start.reason() + ")", e.getMessage());
      assertTrue(start.reason().startsWith("the first record of the log, "), start.reason());
    }
  }

  @Test
  void anOffsetBeyondThePartitionEndIsRefused() throws Exception {
    try (KafkaLogSource src = kafka()) {
      int p = steps.get(0).partition();
      long end = src.end().next(LogTopic.RESOURCES, p);
      var e = assertThrows(ReplayException.class, () -> new Replayer(src).resolve(
          ReplayPoint.of(null, List.of("resources:" + p + ":" + (end + 5)), Clock.systemUTC())));
      assertEquals("offset " + (end + 5) + " is beyond the end of svcplane.resources partition " + p + " in Kafka at "
          + clients.bootstrapServers() + " (its next offset is " + end + ")", e.getMessage());
    }
  }

  @Test
  void verifyAgreesWithTheRecordedEndpoints() throws Exception {
    try (KafkaLogSource src = kafka()) {
      var result = new EndpointsVerifier(src, ns::equals).verify(ProgressListener.NONE);
      assertTrue(result.clean(), () -> "divergences: " + result.divergences());
      assertEquals(7, result.checkedEvents());
      assertEquals(8, result.resourceEvents());
    }
  }

  @Test
  void verifyReportsTheFirstTamperedEndpointsEvent() throws Exception {
    String tns = "tamper-" + UUID.randomUUID().toString().substring(0, 8);
    try (ScriptedCluster s = new ScriptedCluster(clients, true)) {
      s.apply(service(tns, "api", 80, "api"));
      var podStep = s.apply(pod(tns, "api-1", "api", "10.244.3.7", true));
      // a record claiming the pod's event led to an address the planner never picks
      Endpoints forged = Endpoints.newBuilder().setApiVersion("v1").setKind("Endpoints")
          .setMetadata(ObjectMeta.newBuilder().setNamespace(tns).setName("api"))
          .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("10.244.9.9"))
              .addPorts(io.svcplane.api.v1.EndpointPort.newBuilder().setPort(8080).setProtocol("TCP")))
          .build();
      var md = s.writeRaw(LogTopic.ENDPOINTS, "Endpoints/" + tns + "/api", ResourceEvent.newBuilder()
          .setType(EventType.MODIFIED).setObject(Kinds.wrap(forged))
          .setCause(io.svcplane.api.v1.Cause.newBuilder().setPartition(podStep.partition()).setOffset(podStep.offset()))
          .build());
      try (KafkaLogSource src = kafka()) {
        var result = new EndpointsVerifier(src, tns::equals).verify(ProgressListener.NONE);
        assertFalse(result.clean());
        var first = result.divergences().get(0);
        assertEquals(new ObjectKey(Kind.ENDPOINTS, tns, "api"), first.endpoints());
        assertEquals("endpoints " + md.partition() + ":" + md.offset(), first.recordedAt());
        assertTrue(first.causedBy().startsWith("Pod/" + tns + "/api-1 ADDED at "), first.causedBy());
        assertEquals("recorded Endpoints differ from the planner's", first.what());
        assertEquals(List.of("planner vs recorded addresses: +10.244.3.7:8080 -10.244.9.9:8080"), first.details());
      }
    }
  }

  @Test
  void verifyOfATamperedExportReportsTheChangedRecord() throws Exception {
    Path good = export("good.svclog", null, null);
    Path bad = dir.resolve("bad.svclog");
    long tamperedOffset = steps.get(3).endpointsOffsets().get(0); // web-b turned ready
    try (ExportReader r = ExportReader.open(good); ExportWriter w = ExportWriter.create(bad, r.header())) {
      for (ExportRecord rec; (rec = r.next()) != null; ) {
        if (rec.getTopic() == 1 && rec.getOffset() == tamperedOffset) {
          ResourceEvent e = ResourceEvent.parseFrom(rec.getValue());
          Endpoints ep = e.getObject().getEndpoints();
          // drop web-b from the ready addresses, as if the controller had missed the change
          Endpoints dropped = ep.toBuilder().setSubsets(0, ep.getSubsets(0).toBuilder().clearAddresses()
              .addAddresses(ep.getSubsets(0).getAddresses(0))).build();
          rec = rec.toBuilder().setValue(e.toBuilder().setObject(Kinds.wrap(dropped)).build().toByteString()).build();
        }
        w.write(rec);
      }
      w.finish();
    }
    try (ExportFileSource src = ExportFileSource.open(bad)) {
      var result = new EndpointsVerifier(src, ns::equals).verify(ProgressListener.NONE);
      assertFalse(result.clean());
      var first = result.divergences().get(0);
      assertEquals("endpoints " + steps.get(3).partition() + ":" + tamperedOffset, first.recordedAt());
      assertTrue(first.causedBy().startsWith("Pod/" + ns + "/web-b MODIFIED"), first.causedBy());
      assertEquals(List.of("planner vs recorded addresses: +10.244.2.3:8080"), first.details());
    }
    try (ExportFileSource src = ExportFileSource.open(good)) {
      assertTrue(new EndpointsVerifier(src, ns::equals).verify(ProgressListener.NONE).clean());
    }
  }

  @Test
  void replayPointsParseTimesRelativeTimesAndPositions() {
    Clock clock = Clock.fixed(Instant.parse("2026-11-26T10:42:00Z"), java.time.ZoneOffset.UTC);
    assertEquals(Instant.parse("2026-11-26T10:37:00Z"), ReplayPoint.parseTime("-5m", clock));
    assertEquals(Instant.parse("2026-11-26T09:11:30Z"), ReplayPoint.parseTime("-1h30m30s", clock));
    assertEquals(Instant.parse("2026-11-26T09:42:00Z"), ReplayPoint.parseTime("2026-11-26T10:42:00+01:00", clock));
    assertEquals(Instant.parse("2026-11-26T10:42:00.250Z"), ReplayPoint.parseTime("2026-11-26T10:42:00.25Z", clock));
    var e = assertThrows(IllegalArgumentException.class, () -> ReplayPoint.parseTime("2026-11-26T10:42:00", clock));
    assertTrue(e.getMessage().contains("it has no time zone: add Z for UTC"), e.getMessage());
    assertEquals(Map.entry(new PartitionRef(LogTopic.RESOURCES, 2), 117L), ReplayPoint.parsePosition("2:117"));
    assertEquals(Map.entry(new PartitionRef(LogTopic.ENDPOINTS, 0), 5L), ReplayPoint.parsePosition("endpoints:0:5"));
    assertEquals(Map.entry(new PartitionRef(LogTopic.RESOURCES, 1), 9L),
        ReplayPoint.parsePosition("svcplane.resources:1:9"));
    assertThrows(IllegalArgumentException.class, () -> ReplayPoint.parsePosition("pods:1:2"));
    assertThrows(IllegalArgumentException.class, () -> ReplayPoint.of("now", List.of("1:2"), clock));
    assertNull(ReplayPoint.of(null, List.of(), clock).time());
  }
}
