package io.svcplane.controller;

import static io.svcplane.controller.Fixtures.endpoints;
import static io.svcplane.controller.Fixtures.key;
import static io.svcplane.controller.Fixtures.notReadyIps;
import static io.svcplane.controller.Fixtures.pod;
import static io.svcplane.controller.Fixtures.port;
import static io.svcplane.controller.Fixtures.readyIps;
import static io.svcplane.controller.Fixtures.selector;
import static io.svcplane.controller.Fixtures.service;
import static io.svcplane.controller.Fixtures.withPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.core.Kinds;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.NamespacePartitioner;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The controller's behaviour through the real pipeline: events written to svcplane.resources as the
 * apiserver writes them, one running controller, Endpoints events read back from
 * svcplane.endpoints with read_committed. Each test has its own namespace.
 */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndpointControllerTest {
  private final KafkaClients clients;
  private EndpointController controller;
  private ResourceWriter writer;
  private EndpointsWatcher watcher;

  EndpointControllerTest(TestKafka kafka) {
    this.clients = KafkaClients.of(kafka.bootstrapServers());
  }

  @BeforeAll
  void start() {
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
    controller = EndpointController.start(new EndpointController.Settings(clients, "behaviour-test"));
    writer = new ResourceWriter(clients);
    watcher = new EndpointsWatcher(clients);
  }

  @AfterAll
  void stop() {
    watcher.close();
    writer.close();
    controller.close();
  }

  static String ns() {
    return "t-" + UUID.randomUUID().toString().substring(0, 8);
  }

  ResourceWriter.Written add(Service.Builder s) {
    return writer.write(EventType.ADDED, Kinds.wrap(s.build()));
  }

  ResourceWriter.Written add(Pod.Builder p) {
    return writer.write(EventType.ADDED, Kinds.wrap(p.build()));
  }

  /** Writes a marker service with one pod and waits for its Endpoints: everything before it is done. */
  void awaitQuiet(String ns) {
    String marker = "marker-" + UUID.randomUUID().toString().substring(0, 6);
    add(service(ns, marker, selector("marker", marker), port("", 80, "80")));
    add(pod(ns, marker + "-pod", "10.244.200.1", true, "marker", marker));
    watcher.await(key(ns, marker), e -> readyIps(e).equals(List.of("10.244.200.1")));
  }

  // --- selection ------------------------------------------------------------------------------

  @Test
  void serviceWithASelectorGetsEndpointsOfItsMatchingPodsOnly() {
    String ns = ns();
    add(pod(ns, "web-1", "10.244.0.1", true, "app", "web"));
    add(pod(ns, "db-1", "10.244.0.2", true, "app", "db"));
    add(pod("other-" + ns, "web-x", "10.244.0.3", true, "app", "web"));
    ResourceWriter.Written svc = add(service(ns, "web", selector("app", "web"), port("http", 80, "8080")));
    ResourceEvent e = watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    assertEquals(List.of("10.244.0.1"), readyIps(e));
    assertEquals(EventType.ADDED, e.getType());
    assertEquals(8080, endpoints(e).getSubsets(0).getPorts(0).getPort());
    assertEquals("endpoint-controller/behaviour-test", e.getWriter());
    assertEquals(LogTopic.RESOURCES.topicName(), e.getCause().getTopic());
    assertEquals(svc.partition(), e.getCause().getPartition());
    assertEquals(svc.offset(), e.getCause().getOffset());
    assertEquals(svc.key(), e.getCause().getKey());
    assertEquals(EventType.ADDED, e.getCause().getType());
    assertEquals(svc.event().getTime(), e.getCause().getTime());
    int partition = watcher.records(key(ns, "web")).get(0).partition();
    assertEquals(NamespacePartitioner.partitionFor(ns, TopicLayout.DEFAULT_PARTITIONS), partition);
  }

  @Test
  void emptySelectorSelectsEveryPodOfTheNamespace() {
    String ns = ns();
    add(pod(ns, "a", "10.244.1.1", true, "app", "web"));
    add(pod(ns, "b", "10.244.1.2", true));
    add(service(ns, "all", Struct.getDefaultInstance(), port("", 80, "80")));
    ResourceEvent e = watcher.await(key(ns, "all"), x -> readyIps(x).size() == 2);
    assertEquals(List.of("10.244.1.1", "10.244.1.2"), readyIps(e));
  }

  @Test
  void podLabelChangeMovesItBetweenServices() {
    String ns = ns();
    add(service(ns, "blue", selector("color", "blue"), port("", 80, "80")));
    add(service(ns, "green", selector("color", "green"), port("", 80, "80")));
    add(pod(ns, "p", "10.244.2.1", true, "color", "blue"));
    watcher.await(key(ns, "blue"), x -> readyIps(x).equals(List.of("10.244.2.1")));
    writer.write(EventType.MODIFIED, Kinds.wrap(pod(ns, "p", "10.244.2.1", true, "color", "green").build()));
    watcher.await(key(ns, "blue"), x -> readyIps(x).isEmpty());
    watcher.await(key(ns, "green"), x -> readyIps(x).equals(List.of("10.244.2.1")));
  }

  // --- readiness and exclusion ----------------------------------------------------------------

  @Test
  void notReadyPodGoesToNotReadyAddressesUntilItIsReady() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    add(pod(ns, "p", "10.244.3.1", false, "app", "web"));
    ResourceEvent e = watcher.await(key(ns, "web"), x -> !notReadyIps(x).isEmpty());
    assertEquals(List.of(), readyIps(e));
    writer.write(EventType.MODIFIED, Kinds.wrap(pod(ns, "p", "10.244.3.1", true, "app", "web").build()));
    e = watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    assertEquals(EventType.MODIFIED, e.getType());
    assertEquals(List.of(), notReadyIps(e));
  }

  @Test
  void publishNotReadyAddressesPutsNotReadyPodsInAddresses() {
    String ns = ns();
    Service.Builder svc = service(ns, "peers", selector("app", "db"), port("", 5432, "5432"));
    svc.getSpecBuilder().setPublishNotReadyAddresses(true);
    add(svc);
    add(pod(ns, "p", "10.244.4.1", false, "app", "db"));
    ResourceEvent e = watcher.await(key(ns, "peers"), x -> !readyIps(x).isEmpty());
    assertEquals(List.of("10.244.4.1"), readyIps(e));
  }

  @Test
  void terminalIpLessAndDeletingPodsAreLeftOut() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    Pod.Builder failed = pod(ns, "failed", "10.244.5.2", true, "app", "web");
    failed.getStatusBuilder().setPhase("Failed");
    Pod.Builder succeeded = pod(ns, "done", "10.244.5.3", true, "app", "web");
    succeeded.getStatusBuilder().setPhase("Succeeded");
    Pod.Builder deleting = pod(ns, "deleting", "10.244.5.4", true, "app", "web");
    deleting.getMetadataBuilder().setDeletionTimestamp(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond()));
    add(failed);
    add(succeeded);
    add(deleting);
    add(pod(ns, "no-ip", "", true, "app", "web"));
    add(pod(ns, "ok", "10.244.5.1", true, "app", "web"));
    ResourceEvent e = watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    assertEquals(List.of("10.244.5.1"), readyIps(e));
    assertEquals(List.of(), notReadyIps(e));
  }

  @Test
  void deletedPodLeavesTheEndpoints() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    Pod.Builder p = pod(ns, "p", "10.244.6.1", true, "app", "web");
    add(p);
    watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    writer.write(EventType.DELETED, Kinds.wrap(p.build()));
    ResourceEvent e = watcher.await(key(ns, "web"), x -> readyIps(x).isEmpty());
    assertEquals(EventType.MODIFIED, e.getType());
    assertEquals(EventType.DELETED, e.getCause().getType());
  }

  // --- ports and addresses --------------------------------------------------------------------

  @Test
  void namedTargetPortIsResolvedPerPod() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("http", 80, "web")));
    add(withPort(pod(ns, "a", "10.244.7.1", true, "app", "web"), "web", 8080));
    add(withPort(pod(ns, "b", "10.244.7.2", true, "app", "web"), "web", 9090));
    add(pod(ns, "nameless", "10.244.7.3", true, "app", "web"));
    ResourceEvent e = watcher.await(key(ns, "web"), x -> endpoints(x).getSubsetsCount() == 2);
    List<EndpointSubset> s = endpoints(e).getSubsetsList();
    assertEquals(8080, s.get(0).getPorts(0).getPort());
    assertEquals("10.244.7.1", s.get(0).getAddresses(0).getIp());
    assertEquals(9090, s.get(1).getPorts(0).getPort());
    assertEquals("10.244.7.2", s.get(1).getAddresses(0).getIp());
    assertEquals(List.of("10.244.7.1", "10.244.7.2"), readyIps(e), "the pod without the named port is left out");
  }

  @Test
  void addressesCarryNodeNameHostnameAndTargetRef() {
    String ns = ns();
    Service.Builder svc = service(ns, "db", selector("app", "db"), port("", 5432, "5432"));
    svc.getSpecBuilder().setClusterIp("None").clearClusterIps();
    add(svc);
    Pod.Builder p = pod(ns, "db-0", "10.244.8.1", true, "app", "db");
    p.getSpecBuilder().setNodeName("node-7").setHostname("db-0").setSubdomain("db");
    add(p);
    ResourceEvent e = watcher.await(key(ns, "db"), x -> !readyIps(x).isEmpty());
    EndpointAddress a = endpoints(e).getSubsets(0).getAddresses(0);
    assertEquals("node-7", a.getNodeName());
    assertEquals("db-0", a.getHostname());
    assertEquals("Pod", a.getTargetRef().getKind());
    assertEquals(ns, a.getTargetRef().getNamespace());
    assertEquals("db-0", a.getTargetRef().getName());
    assertEquals("pod-" + ns + "-db-0", a.getTargetRef().getUid());
  }

  // --- metadata -------------------------------------------------------------------------------

  @Test
  void endpointsCarryTheServiceLabelsAndTheHeadlessLabel() {
    String ns = ns();
    Service.Builder svc = service(ns, "db", selector("app", "db"), port("", 5432, "5432"));
    svc.getSpecBuilder().setClusterIp("None");
    svc.getMetadataBuilder().putLabels("team", "data");
    add(svc);
    ResourceEvent e = watcher.await(key(ns, "db"), x -> true);
    assertEquals("data", endpoints(e).getMetadata().getLabelsOrThrow("team"));
    assertEquals("", endpoints(e).getMetadata().getLabelsOrThrow(EndpointsPlanner.HEADLESS_LABEL));
  }

  @Test
  void lastChangeTriggerTimeIsTheTimeOfTheCausingEvent() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    ResourceWriter.Written p = add(pod(ns, "p", "10.244.9.1", true, "app", "web"));
    ResourceEvent e = watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    Timestamp t = p.event().getTime();
    assertEquals(EndpointsPlanner.rfc3339Nano(Instant.ofEpochSecond(t.getSeconds(), t.getNanos())),
        endpoints(e).getMetadata().getAnnotationsOrThrow(EndpointsPlanner.LAST_CHANGE_TRIGGER_TIME));
    assertEquals(p.offset(), e.getCause().getOffset());
  }

  @Test
  void unchangedResultPublishesNothing() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    Pod.Builder p = pod(ns, "p", "10.244.10.1", true, "app", "web");
    add(p);
    watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    int before = watcher.events(key(ns, "web")).size();
    p.getMetadataBuilder().putAnnotations("note", "irrelevant to endpoints");
    writer.write(EventType.MODIFIED, Kinds.wrap(p.build()));
    awaitQuiet(ns);
    assertEquals(before, watcher.events(key(ns, "web")).size());
  }

  @Test
  void changesInsideOneBatchCoalesceIntoOneEvent() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    watcher.await(key(ns, "web"), x -> true);
    int before = watcher.events(key(ns, "web")).size();
    List<ResourceEvent> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(ResourceWriter.event(EventType.ADDED, Kinds.wrap(pod(ns, "p" + i, "10.244.11." + (i + 1), true, "app", "web").build())));
    }
    // One transaction: the records become visible together and are polled as one batch.
    List<ResourceWriter.Written> written = writer.writeAll(burst);
    ResourceEvent e = watcher.await(key(ns, "web"), x -> readyIps(x).size() == 20);
    assertEquals(before + 1, watcher.events(key(ns, "web")).size());
    assertEquals(written.get(19).offset(), e.getCause().getOffset(), "caused by the last change of the batch");
  }

  // --- services without selector, ExternalName, deletion ----------------------------------------

  @Test
  void userEndpointsOfASelectorlessServiceAreForwardedUnchanged() {
    String ns = ns();
    add(service(ns, "ext", null, port("", 80, "80")));
    Endpoints user = Endpoints.newBuilder().setApiVersion("v1").setKind("Endpoints")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName("ext").setUid("user-ep").putLabels("by", "hand"))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("127.0.0.42")))
        .build();
    ResourceWriter.Written w = writer.write(EventType.ADDED, Kinds.wrap(user));
    ResourceEvent e = watcher.await(key(ns, "ext"), x -> true);
    assertEquals(user, endpoints(e));
    assertEquals(w.offset(), e.getCause().getOffset());
    assertEquals("Endpoints/" + ns + "/ext", e.getCause().getKey());

    Endpoints changed = user.toBuilder().clearSubsets()
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("127.0.0.43"))).build();
    writer.write(EventType.MODIFIED, Kinds.wrap(changed));
    assertEquals(changed, endpoints(watcher.await(key(ns, "ext"), x -> readyIps(x).equals(List.of("127.0.0.43")))));

    writer.write(EventType.DELETED, Kinds.wrap(service(ns, "ext", null, port("", 80, "80")).build()));
    ResourceEvent gone = watcher.await(key(ns, "ext"), x -> x.getType() == EventType.DELETED);
    assertEquals(changed, endpoints(gone));
  }

  @Test
  void userEndpointsForAServiceWithASelectorAreIgnored() {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    add(pod(ns, "p", "10.244.12.1", true, "app", "web"));
    watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    int before = watcher.events(key(ns, "web")).size();
    writer.write(EventType.ADDED, Kinds.wrap(Endpoints.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName("web"))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("192.0.2.9"))).build()));
    awaitQuiet(ns);
    assertEquals(before, watcher.events(key(ns, "web")).size());
  }

  @Test
  void externalNameServiceGetsNoEndpoints() {
    String ns = ns();
    Service.Builder svc = service(ns, "ext", selector("app", "web"));
    svc.getSpecBuilder().setType("ExternalName").setExternalName("example.org").clearClusterIp();
    add(svc);
    add(pod(ns, "p", "10.244.13.1", true, "app", "web"));
    awaitQuiet(ns);
    assertEquals(List.of(), watcher.events(key(ns, "ext")));
  }

  @Test
  void deletedServiceHasItsEndpointsDeleted() {
    String ns = ns();
    Service.Builder svc = service(ns, "web", selector("app", "web"), port("", 80, "80"));
    add(svc);
    add(pod(ns, "p", "10.244.14.1", true, "app", "web"));
    watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    ResourceWriter.Written del = writer.write(EventType.DELETED, Kinds.wrap(svc.build()));
    ResourceEvent e = watcher.await(key(ns, "web"), x -> x.getType() == EventType.DELETED);
    assertEquals(List.of("10.244.14.1"), readyIps(e), "a DELETED event carries the last state");
    assertEquals(del.offset(), e.getCause().getOffset());
  }

  @Test
  void recordThatIsNoResourceEventIsSkipped() {
    String ns = ns();
    java.util.Properties props = clients.producer(null);
    props.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
    try (var raw = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(props)) {
      raw.send(new org.apache.kafka.clients.producer.ProducerRecord<>(LogTopic.RESOURCES.topicName(),
          "Service/" + ns + "/garbage", new byte[] {(byte) 0xff, 0x01, 0x02})).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    add(pod(ns, "p", "10.244.15.1", true, "app", "web"));
    watcher.await(key(ns, "web"), x -> !readyIps(x).isEmpty());
    assertEquals(ControllerMetrics.State.RUNNING, controller.metrics().state());
  }

  // --- the process around it --------------------------------------------------------------------

  @Test
  void healthAndMetricsAreServedOverHttp() throws Exception {
    String ns = ns();
    add(service(ns, "web", selector("app", "web"), port("", 80, "80")));
    watcher.await(key(ns, "web"), x -> true);
    try (MetricsServer http = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), controller.metrics())) {
      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> health = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode());
      HttpResponse<String> metrics = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("svcplane_controller_up 1"), metrics.body());
      assertTrue(metrics.body().matches("(?s).*svcplane_controller_events_folded_total [1-9].*"), metrics.body());
      assertTrue(metrics.body().matches("(?s).*svcplane_controller_endpoints_published_total [1-9].*"), metrics.body());
      assertTrue(metrics.body().matches("(?s).*svcplane_controller_transactions_total [1-9].*"), metrics.body());
      assertTrue(metrics.body().contains("svcplane_controller_lag_records"), metrics.body());
    }
  }
}
