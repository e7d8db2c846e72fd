package io.svcplane.svcctl.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.controller.EndpointController;
import io.svcplane.core.Kinds;
import io.svcplane.core.diff.EndpointsChange;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.NamespacePartitioner;
import io.svcplane.eventlog.broker.EmbeddedKafkaBroker;
import io.svcplane.eventlog.export.ExportReader;
import io.svcplane.eventlog.export.ExportWriter;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.ScriptedCluster;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.svcctl.Svcctl;
import io.svcplane.svcctl.Terminal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * svcctl's log tools end to end: a real apiserver and the real endpoint controller on the test
 * broker, a scripted sequence of service and pod changes through the apiserver, what svcctl's
 * live get and describe printed after each step, and then the same commands replayed with --at
 * and --at-offset, from Kafka and from an export file, history, verify, import and bad input.
 */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogToolsCliTest {
  private final TestKafka kafka;
  private final KafkaClients clients;
  private final String ns = "shop-" + UUID.randomUUID().toString().substring(0, 6);
  private ApiServer apiserver;
  private EndpointController controller;
  private ManagedChannel channel;
  @TempDir static Path dir;

  /** One step of the script: the moment it was complete and what svcctl printed live then. */
  record Moment(Instant at, long offset, String yaml, String wide, String describe) {}

  private final List<Moment> moments = new ArrayList<>();
  private Path export;

  LogToolsCliTest(TestKafka kafka) {
    this.kafka = kafka;
    this.clients = KafkaClients.of(kafka.bootstrapServers());
  }

  // ---------------------------------------------------------------------------------------------

  record Run(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private Run svcctl(Map<String, String> env, Clock clock, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Terminal t = new Terminal(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env, clock, ZoneId.of("UTC"));
    int code = Svcctl.run(t, args);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** svcctl against this test's apiserver and broker, with a wall clock. */
  private Run svcctl(String... args) {
    return svcctl(env(), Clock.systemUTC(), args);
  }

  private Run ok(String... args) {
    Run r = svcctl(args);
    assertEquals(0, r.code(), () -> String.join(" ", args) + "\n" + r);
    return r;
  }

  private Map<String, String> env() {
    return Map.of("SVCPLANE_SERVER", "127.0.0.1:" + apiserver.port(), "SVCPLANE_KAFKA", kafka.bootstrapServers());
  }

  private ResourcesGrpc.ResourcesBlockingStub api() {
    return ResourcesGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static Resource service(String ns, String name, int port) {
    return Kinds.wrap(Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).putLabels("tier", "front"))
        .setSpec(ServiceSpec.newBuilder()
            .setSelector(Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue(name).build()))
            .addPorts(ServicePort.newBuilder().setPort(port).setTargetPort("8080")))
        .build());
  }

  static Resource pod(String ns, String name, String app, String ip, boolean ready) {
    return Kinds.wrap(Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).putLabels("app", app))
        .setSpec(PodSpec.newBuilder().setNodeName("node-1")
            .addContainers(Container.newBuilder().setName("app").setImage("nginx:1.27")
                .addPorts(ContainerPort.newBuilder().setContainerPort(8080))))
        .setStatus(status(ip, ready))
        .build());
  }

  static PodStatus status(String ip, boolean ready) {
    return PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
        .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")).build();
  }

  private Resource get(Kind kind, String name) {
    return api().get(GetRequest.newBuilder().setKind(kind).setNamespace(ns).setName(name).build());
  }

  /** Waits until the published Endpoints of web hold exactly these backends (null: none at all). */
  private void awaitEndpoints(Set<String> backends) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Object seen = null;
    while (System.nanoTime() < deadline) {
      try {
        Endpoints e = get(Kind.ENDPOINTS, "web").getEndpoints();
        seen = EndpointsChange.backends(e);
        if (seen.equals(backends)) return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) throw e;
        seen = "NotFound";
        if (backends == null) return;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("Endpoints web never became " + backends + "; last seen " + seen);
  }

  /** After a step: record what svcctl prints live now, with the clock stopped at this moment. */
  private void capture(long offset) {
    Instant at = Instant.now();
    Clock frozen = Clock.fixed(at, ZoneOffset.UTC);
    Run yaml = svcctl(env(), frozen, "get", "svc,pods,ep", "-n", ns, "-o", "yaml");
    Run wide = svcctl(env(), frozen, "get", "svc,pods,ep", "-n", ns, "-o", "wide");
    Run describe = svcctl(env(), frozen, "describe", "svc", "web", "-n", ns);
    assertEquals(0, yaml.code(), yaml::toString);
    moments.add(new Moment(at, offset, yaml.out(), wide.out() + wide.err(), describe.out() + describe.err()));
    ScriptedCluster.awaitClockPast(at.toEpochMilli());
  }

  private void createNamespace(String name) {
    api().create(CreateRequest.newBuilder().setObject(Kinds.wrap(io.svcplane.api.v1.Namespace.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name)).build())).build());
  }

  private static long offset(Resource r) {
    return Long.parseLong(Kinds.metadata(r).getResourceVersion());
  }

  @BeforeAll
  void script() throws Exception {
    apiserver = ApiServer.builder(clients).port(0).build().start();
    controller = EndpointController.start(new EndpointController.Settings(clients, "log-tools-test"));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", apiserver.port(), InsecureChannelCredentials.create()).build();

    createNamespace(ns);
    Resource svc = api().create(CreateRequest.newBuilder().setObject(service(ns, "web", 80)).build());
    awaitEndpoints(Set.of());
    capture(offset(svc));
    Resource a = api().create(CreateRequest.newBuilder().setObject(pod(ns, "web-a", "web", "10.244.1.5", true)).build());
    awaitEndpoints(Set.of("10.244.1.5:8080"));
    capture(offset(a));
    Resource b = api().create(CreateRequest.newBuilder().setObject(pod(ns, "web-b", "web", "10.244.2.3", false)).build());
    awaitEndpoints(Set.of("10.244.1.5:8080", "10.244.2.3:8080(not ready)"));
    capture(offset(b));
    b = api().updateStatus(UpdateRequest.newBuilder().setObject(Kinds.wrap(get(Kind.POD, "web-b").getPod().toBuilder()
        .setStatus(status("10.244.2.3", true)).build())).build());
    awaitEndpoints(Set.of("10.244.1.5:8080", "10.244.2.3:8080"));
    capture(offset(b));
    Service current = get(Kind.SERVICE, "web").getService();
    svc = api().update(UpdateRequest.newBuilder().setObject(Kinds.wrap(current.toBuilder().setSpec(current.getSpec()
        .toBuilder().setPorts(0, current.getSpec().getPorts(0).toBuilder().setPort(8080))).build())).build());
    capture(offset(svc));
    a = api().updateStatus(UpdateRequest.newBuilder().setObject(Kinds.wrap(get(Kind.POD, "web-a").getPod().toBuilder()
        .setStatus(status("10.244.1.5", false)).build())).build());
    awaitEndpoints(Set.of("10.244.1.5:8080(not ready)", "10.244.2.3:8080"));
    capture(offset(a));
    a = api().delete(DeleteRequest.newBuilder().setKind(Kind.POD).setNamespace(ns).setName("web-a").build());
    awaitEndpoints(Set.of("10.244.2.3:8080"));
    capture(-1);
    api().delete(DeleteRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).setName("web").build());
    awaitEndpoints(null);
    capture(-1);

    export = dir.resolve("shop.svclog");
    Run r = ok("log", "export", "-o", export.toString());
    assertTrue(r.out().startsWith("exported "), r.out());
  }

  @AfterAll
  void stop() throws Exception {
    if (channel != null) channel.shutdownNow();
    if (controller != null) controller.close();
    if (apiserver != null) apiserver.stop();
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void getAtEachMomentPrintsWhatTheLiveGetPrintedThen() {
    for (Moment m : moments) {
      Run yaml = ok("get", "svc,pods,ep", "-n", ns, "-o", "yaml", "--at", m.at().toString());
      assertEquals(m.yaml(), yaml.out(), "yaml at " + m.at());
      Run wide = svcctl("get", "svc,pods,ep", "-n", ns, "-o", "wide", "--at", m.at().toString());
      assertEquals(m.wide(), wide.out() + wide.err(), "tables at " + m.at());
    }
  }

  @Test
  void describeAtEachMomentPrintsWhatTheLiveDescribePrintedThen() {
    for (Moment m : moments) {
      Run d = svcctl("describe", "svc", "web", "-n", ns, "--at", m.at().toString());
      assertEquals(m.describe(), d.out() + d.err(), "describe at " + m.at());
    }
  }

  @Test
  void getAtAResourceOffsetShowsThePodsAndServicesRightAfterThatEvent() {
    int partition = NamespacePartitioner.partitionFor(ns, 6);
    for (Moment m : moments) {
      if (m.offset() < 0) continue;
      Run live = ok("get", "svc,pods", "-n", ns, "-o", "yaml", "--at", m.at().toString());
      Run atOffset = ok("get", "svc,pods", "-n", ns, "-o", "yaml", "--at-offset", partition + ":" + m.offset());
      assertEquals(live.out(), atOffset.out(), "at resources " + partition + ":" + m.offset());
    }
  }

  @Test
  void offlineFromTheExportPrintsTheSameAsOnline() {
    for (Moment m : moments) {
      Run yaml = ok("get", "svc,pods,ep", "-n", ns, "-o", "yaml", "--at", m.at().toString(), "--from-file", export.toString());
      assertEquals(m.yaml(), yaml.out(), "offline yaml at " + m.at());
      Run d = svcctl("describe", "svc", "web", "-n", ns, "--at", m.at().toString(), "--from-file", export.toString());
      assertEquals(m.describe(), d.out() + d.err(), "offline describe at " + m.at());
    }
    for (String object : List.of("svc/web", "pod/web-a", "ep/web")) {
      String online = ok("history", object, "-n", ns).out();
      String offline = ok("history", object, "-n", ns, "--from-file", export.toString()).out();
      assertEquals(online.replace("Kafka at " + kafka.bootstrapServers(), "SOURCE"),
          offline.replace("export file " + export, "SOURCE"), object);
    }
    assertEquals(ok("replay", "-n", ns, "-o", "yaml").out(), ok("replay", "-n", ns, "-o", "yaml", "--from-file", export.toString()).out());
  }

  @Test
  void historyOfTheServiceShowsEachEventWithItsDiff() {
    String h = ok("history", "svc/web", "-n", ns).out();
    assertTrue(h.startsWith("service/web in namespace " + ns + ": 3 events (svcplane.resources partition "), h);
    List<String> lines = h.lines().toList();
    assertTrue(lines.get(1).matches("VERSION +TIME +EVENT +CHANGES"), h);
    assertTrue(lines.get(2).matches("\\d+ +\\S+Z +ADDED +type ClusterIP, clusterIP [0-9.]+, ports 80/TCP->8080, selector app=web"), h);
    assertTrue(lines.get(3).matches("\\d+ +\\S+Z +MODIFIED +spec.ports\\[0\\].port: 80 -> 8080"), h);
    assertTrue(lines.get(4).matches("\\d+ +\\S+Z +DELETED.*"), h);
    // also as TYPE NAME
    assertEquals(h, ok("history", "services", "web", "-n", ns).out());
  }

  @Test
  void historyOfAPodShowsTheReadinessFlip() {
    String h = ok("history", "po/web-a", "-n", ns).out();
    assertTrue(h.contains("MODIFIED   status.conditions[type=Ready].status: True -> False"), h);
  }

  @Test
  void historyOfEndpointsShowsEachAddressMoveAndItsCause() {
    String h = ok("history", "ep/web", "-n", ns).out();
    int p = NamespacePartitioner.partitionFor(ns, 6);
    assertTrue(h.startsWith("endpoints/web in namespace " + ns + ": 7 events (svcplane.endpoints partition " + p), h);
    assertTrue(h.contains("ADDED      (no addresses)\n"), h);
    assertTrue(h.contains("MODIFIED   +10.244.1.5:8080\n"), h);
    assertTrue(h.matches("(?s).*MODIFIED   \\+10\\.244\\.1\\.5:8080\\n +caused by Pod/" + ns
        + "/web-a ADDED at \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\(resources " + p + ":" + moments.get(1).offset() + "\\)\\n.*"), h);
    assertTrue(h.contains("+10.244.2.3:8080 -10.244.2.3:8080(not ready)\n"), h);
    assertTrue(h.matches("(?s).*DELETED +-10\\.244\\.2\\.3:8080\\n +caused by Service/" + ns + "/web DELETED at .*"), h);
  }

  @Test
  void verifyIsCleanOnTheRealControllersLogOnlineAndOffline() {
    Run online = ok("replay", "--verify", "-n", ns);
    assertTrue(online.out().startsWith("verify: all 7 recorded Endpoints events in namespace " + ns
        + " agree with the endpoints planner (8 resource events in 6 partitions of Kafka at "), online.out());
    Run offline = ok("replay", "--verify", "-n", ns, "--from-file", export.toString());
    assertTrue(offline.out().startsWith("verify: all 7 recorded Endpoints events"), offline.out());
  }

  @Test
  void verifyReportsAForgedEndpointsRecordAndExitsOne() throws Exception {
    String tns = "forged-" + UUID.randomUUID().toString().substring(0, 6);
    createNamespace(tns);
    api().create(CreateRequest.newBuilder().setObject(service(tns, "api", 80)).build());
    Resource pod = api().create(CreateRequest.newBuilder().setObject(pod(tns, "api-1", "api", "10.244.3.7", true)).build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        var e = api().get(GetRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(tns).setName("api").build());
        if (!e.getEndpoints().getSubsetsList().isEmpty()) break;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) throw e;
      }
      if (System.nanoTime() > deadline) throw new AssertionError("no Endpoints for " + tns + "/api");
      Thread.onSpinWait();
    }
    assertEquals(0, svcctl("replay", "--verify", "-n", tns).code());
    Endpoints forged = Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(tns).setName("api"))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("10.244.9.9"))
            .addPorts(EndpointPort.newBuilder().setPort(8080).setProtocol("TCP")))
        .build();
    ResourceEvent event = ResourceEvent.newBuilder().setType(EventType.MODIFIED).setObject(Kinds.wrap(forged))
        .setCause(io.svcplane.api.v1.Cause.newBuilder().setPartition(NamespacePartitioner.partitionFor(tns, 6))
            .setOffset(offset(pod)))
        .build();
    try (var producer = new KafkaProducer<String, ResourceEvent>(clients.producer(null))) {
      producer.send(new ProducerRecord<>(LogTopic.ENDPOINTS.topicName(), "Endpoints/" + tns + "/api", event)).get();
    }
    Run r = svcctl("replay", "--verify", "-n", tns);
    assertEquals(1, r.code(), r::toString);
    List<String> lines = r.out().lines().toList();
    assertEquals("verify: Endpoints " + tns + "/api diverge from the endpoints planner", lines.get(0), r.out());
    assertEquals("  recorded Endpoints differ from the planner's", lines.get(1));
    assertTrue(lines.get(2).startsWith("  recorded: endpoints "), r.out());
    assertTrue(lines.get(3).startsWith("  caused by Pod/" + tns + "/api-1 ADDED at "), r.out());
    assertEquals("  planner vs recorded addresses: +10.244.3.7:8080 -10.244.9.9:8080", lines.get(4));
  }

  @Test
  void verifyOfATamperedExportFileReportsTheTamperedRecord() throws Exception {
    Path bad = dir.resolve("tampered.svclog");
    try (ExportReader r = ExportReader.open(export); ExportWriter w = ExportWriter.create(bad, r.header())) {
      boolean done = false;
      for (ExportRecord rec; (rec = r.next()) != null; ) {
        if (!done && rec.getTopic() == 1 && rec.getKey().equals("Endpoints/" + ns + "/web")) {
          ResourceEvent e = ResourceEvent.parseFrom(rec.getValue());
          if (e.getObject().getEndpoints().getSubsetsCount() > 0) {
            Endpoints cleared = e.getObject().getEndpoints().toBuilder().clearSubsets().build();
            rec = rec.toBuilder().setValue(e.toBuilder().setObject(Kinds.wrap(cleared)).build().toByteString()).build();
            done = true;
          }
        }
        w.write(rec);
      }
      w.finish();
    }
    Run r = svcctl("replay", "--verify", "-n", ns, "--from-file", bad.toString());
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.out().startsWith("verify: Endpoints " + ns + "/web diverge from the endpoints planner\n"), r.out());
    assertTrue(r.out().contains("caused by Pod/" + ns + "/web-a ADDED at "), r.out());
    assertTrue(r.out().contains("  planner vs recorded addresses: +10.244.1.5:8080\n"), r.out());
  }

  @Test
  void importIntoAnotherClusterKeepsHistoryAndCausesAndRefusesAFullLog() throws Exception {
    try (EmbeddedKafkaBroker other = EmbeddedKafkaBroker.start(Files.createTempDirectory(dir, "other-"))) {
      String target = other.bootstrapServers();
      Run r = ok("log", "import", export.toString(), "--kafka", target);
      assertTrue(r.out().startsWith("imported "), r.out());
      assertTrue(r.out().contains(" into svcplane.resources (6 partitions) and "), r.out());
      assertTrue(r.out().contains(" at " + target + " (topics created)\n"), r.out());
      assertTrue(r.out().contains("Endpoints causes renumbered to match"), r.out());

      Run again = svcctl("log", "import", export.toString(), "--kafka", target);
      assertEquals(1, again.code());
      assertTrue(again.err().startsWith("error: the log at " + target + " is not empty ("), again.err());

      assertTrue(ok("replay", "--verify", "-n", ns, "--kafka", target).out().startsWith("verify: all 7 recorded"));
      String history = ok("history", "ep/web", "-n", ns, "--kafka", target).out();
      assertTrue(history.contains("caused by Pod/" + ns + "/web-a ADDED at "), history);
      for (Moment m : moments) {
        Run there = ok("get", "svc,pods,ep", "-n", ns, "-o", "yaml", "--at", m.at().toString(), "--kafka", target);
        assertEquals(withoutVersions(m.yaml()), withoutVersions(there.out()), "imported state at " + m.at());
      }
    }
  }

  /** Imported records have new offsets, so resourceVersions differ; nothing else may. */
  private static String withoutVersions(String yaml) {
    return yaml.replaceAll("(?m)^ *resourceVersion: .*\\n", "");
  }

  @Test
  void badInputIsAClearMessageAndExitCodeOne() throws Exception {
    byte[] good = Files.readAllBytes(export);

    Path truncated = dir.resolve("truncated.svclog");
    Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 100));
    Run r = svcctl("get", "pods", "-n", ns, "--at", moments.get(2).at().toString(), "--from-file", truncated.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: " + truncated + ": truncated: the file ends "), r.err());
    assertTrue(r.err().contains(" at byte offset "), r.err());
    assertEquals("", r.out());

    Path flipped = dir.resolve("flipped.svclog");
    byte[] b = good.clone();
    b[b.length / 2] ^= 0x40;
    Files.write(flipped, b);
    r = svcctl("history", "svc/web", "-n", ns, "--from-file", flipped.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().matches("error: " + flipped + ": corrupted: record \\d+ at byte offset \\d+ fails its checksum"
        + " \\(CRC32C stored [0-9a-f]{8}, computed [0-9a-f]{8}\\)\\n"), r.err());

    Path newer = dir.resolve("newer.svclog");
    b = good.clone();
    b[11] = 7;
    Files.write(newer, b);
    r = svcctl("replay", "--from-file", newer.toString());
    assertEquals(1, r.code());
    assertEquals("error: " + newer + ": written in export format version 7, newer than version 1, the newest this"
        + " svcctl reads: read it with a newer svcctl\n", r.err());

    Path yaml = dir.resolve("pods.yaml");
    Files.writeString(yaml, "apiVersion: v1\nkind: Pod\n");
    r = svcctl("log", "info", yaml.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: " + yaml + ": not a svcplane export file: it starts with bytes 61 70 69"), r.err());

    r = svcctl("get", "pods", "-n", ns, "--at", "2000-01-01T00:00:00Z");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: no history at 2000-01-01T00:00:00Z in Kafka at " + kafka.bootstrapServers()
        + ": the earliest available moment is "), r.err());
    r = svcctl("get", "pods", "-n", ns, "--at", "2000-01-01T00:00:00Z", "--from-file", export.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: no history at 2000-01-01T00:00:00Z in export file " + export
        + ": the earliest available moment is "), r.err());

    r = svcctl("history", "svc/never", "-n", ns);
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: service \"never\" in namespace \"" + ns + "\" never existed in Kafka at "), r.err());

    r = svcctl("get", "pods", "--at", "yesterday");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: --at \"yesterday\": not a time: use an RFC 3339 time"), r.err());

    r = svcctl("get", "pods", "--from-file", export.toString());
    assertEquals(1, r.code());
    assertEquals("error: --from-file and --kafka read the log: give --at TIME or --at-offset P:O too\n", r.err());

    r = svcctl("history", "svc/web", "-n", ns, "--kafka", "127.0.0.1:1");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: cannot reach Kafka at 127.0.0.1:1: "), r.err());
  }

  @Test
  void infoProgressAndTheKafkaEnvironmentVariable() {
    Run info = ok("log", "info", export.toString());
    assertTrue(info.out().contains("every checksum good"), info.out());
    assertTrue(info.out().contains("Topic:           svcplane.resources, 6 partitions, "), info.out());

    Run progress = ok("replay", "--progress");
    assertTrue(progress.err().matches("(?s).*replaying: [0-9,]+ events in [0-9.]+ s \\([0-9,]+ events/s\\)\\n"), progress.err());
    assertTrue(progress.out().startsWith("Replayed "), progress.out());

    Map<String, String> onlyEnv = new HashMap<>(env());
    Run viaEnv = svcctl(onlyEnv, Clock.systemUTC(), "history", "svc/web", "-n", ns);
    assertEquals(0, viaEnv.code(), viaEnv::toString);
    assertTrue(viaEnv.out().contains("Kafka at " + kafka.bootstrapServers()), viaEnv.out());
  }
}
