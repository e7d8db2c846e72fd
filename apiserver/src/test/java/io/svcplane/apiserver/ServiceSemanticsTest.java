package io.svcplane.apiserver;

import static io.svcplane.apiserver.TestCluster.expectError;
import static io.svcplane.apiserver.TestCluster.service;
import static io.svcplane.apiserver.TestCluster.svc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.svcplane.api.v1.ApplyResult;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.core.Kinds;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Services as a Kubernetes user expects them: every invalid case names its field and appends nothing. */
@ExtendWith(KafkaExtension.class)
class ServiceSemanticsTest {
  static TestCluster cluster;
  static String ns;

  @BeforeAll
  static void start(TestKafka kafka) throws Exception {
    cluster = TestCluster.start(kafka, b -> b.writerId("semantics"));
    ns = cluster.newNamespace("svc");
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  /** Runs a write that must fail: checks code and message, and that the log did not grow. */
  static StatusRuntimeException rejected(Status.Code code, String message, Runnable write) {
    long before = cluster.resourceLogEnd();
    StatusRuntimeException e = expectError(write);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().getDescription());
    if (message != null) assertEquals(message, e.getStatus().getDescription());
    assertEquals(before, cluster.resourceLogEnd(), "a rejected request appended to the log");
    return e;
  }

  static Resource with(Supplier<Service.Builder> b) {
    return Kinds.wrap(b.get().build());
  }

  @Test
  void invalidServiceNameIsRejectedWithTheDns1035Message() {
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"Foo\" is invalid: metadata.name: Invalid value: \"Foo\": a DNS-1035"
        + " label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and"
        + " end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is"
        + " '[a-z]([-a-z0-9]*[a-z0-9])?')", () -> cluster.create(svc(ns, "Foo", 80)));
  }

  @Test
  void invalidArgumentCarriesOneFieldViolationPerError() {
    var e = rejected(Status.Code.INVALID_ARGUMENT, "Service \"multi\" is invalid: [spec.ports[0].port: Invalid value: 0:"
        + " must be between 1 and 65535, inclusive, spec.ports[1].port: Invalid value: 70000: must be between 1 and"
        + " 65535, inclusive]", () -> cluster.create(svc(ns, "multi", 0, 70000)));
    com.google.rpc.Status st = StatusProto.fromThrowable(e);
    BadRequest br = null;
    for (var any : st.getDetailsList()) {
      try {
        if (any.is(BadRequest.class)) br = any.unpack(BadRequest.class);
      } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
        throw new AssertionError(ex);
      }
    }
    assertEquals(2, br.getFieldViolationsCount());
    assertEquals("spec.ports[1].port", br.getFieldViolations(1).getField());
    assertEquals("Invalid value: 70000: must be between 1 and 65535, inclusive", br.getFieldViolations(1).getDescription());
  }

  @Test
  void duplicatePortNamesAndUnnamedMultiPortServicesAreRejected() {
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"dup\" is invalid: spec.ports[1].name: Duplicate value: \"web\"",
        () -> cluster.create(with(() -> service(ns, "dup").setSpec(io.svcplane.api.v1.ServiceSpec.newBuilder()
            .addPorts(ServicePort.newBuilder().setName("web").setPort(80))
            .addPorts(ServicePort.newBuilder().setName("web").setPort(81))))));
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"unnamed\" is invalid: [spec.ports[0].name: Required value,"
        + " spec.ports[1].name: Required value]",
        () -> cluster.create(with(() -> service(ns, "unnamed").setSpec(io.svcplane.api.v1.ServiceSpec.newBuilder()
            .addPorts(ServicePort.newBuilder().setPort(80)).addPorts(ServicePort.newBuilder().setPort(81))))));
  }

  @Test
  void externalNameWithoutExternalNameIsRejectedAndWithOneGetsNoClusterIp() {
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"ext\" is invalid: spec.externalName: Required value",
        () -> cluster.create(with(() -> service(ns, "ext").setSpec(io.svcplane.api.v1.ServiceSpec.newBuilder()
            .setType("ExternalName")))));
    Service s = cluster.create(with(() -> service(ns, "ext").setSpec(io.svcplane.api.v1.ServiceSpec.newBuilder()
        .setType("ExternalName").setExternalName("my.database.example.com")))).getService();
    assertEquals("", s.getSpec().getClusterIp());
    assertEquals(0, s.getSpec().getClusterIpsCount());
  }

  @Test
  void nodePortOutsideTheRangeOrTakenIsRejected() {
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"np-low\" is invalid: spec.ports[0].nodePort: Invalid value: 8080:"
        + " provided port is not in the valid range. The range of valid ports is 30000-32767",
        () -> cluster.create(nodePort("np-low", 8080)));
    cluster.create(nodePort("np-a", 31234));
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"np-b\" is invalid: spec.ports[0].nodePort: Invalid value: 31234:"
        + " provided port is already allocated", () -> cluster.create(nodePort("np-b", 31234)));
  }

  @Test
  void clusterIpOutsideTheCidrOrTakenIsRejected() {
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"ip-out\" is invalid: spec.clusterIPs: Invalid value: [\"10.0.0.1\"]:"
        + " failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs"
        + " is 10.96.0.0/16", () -> cluster.create(withIp("ip-out", "10.0.0.1")));
    rejected(Status.Code.INVALID_ARGUMENT, null, () -> cluster.create(withIp("ip-net", "10.96.0.0")));
    cluster.create(withIp("ip-a", "10.96.200.7"));
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"ip-b\" is invalid: spec.clusterIPs: Invalid value: [\"10.96.200.7\"]:"
        + " failed to allocate IP 10.96.200.7: provided IP is already allocated", () -> cluster.create(withIp("ip-b", "10.96.200.7")));
  }

  @Test
  void clusterIpIsImmutable() {
    Service s = cluster.create(svc(ns, "immutable", 80)).getService();
    String other = s.getSpec().getClusterIp().equals("10.96.201.1") ? "10.96.201.2" : "10.96.201.1";
    Service changed = s.toBuilder().setSpec(s.getSpec().toBuilder().setClusterIp(other).clearClusterIps()).build();
    rejected(Status.Code.INVALID_ARGUMENT, "Service \"immutable\" is invalid: spec.clusterIPs[0]: Invalid value: [\""
        + other + "\"]: may not change once set", () -> cluster.apply(Kinds.wrap(changed)));
  }

  @Test
  void createOfAnExistingObjectIsAlreadyExists() {
    cluster.create(svc(ns, "twice", 80));
    rejected(Status.Code.ALREADY_EXISTS, "services \"twice\" already exists", () -> cluster.create(svc(ns, "twice", 80)));
  }

  @Test
  void objectsInAMissingNamespaceAreNotFound() {
    rejected(Status.Code.NOT_FOUND, "namespaces \"nowhere\" not found", () -> cluster.create(svc("nowhere", "web", 80)));
  }

  @Test
  void staleResourceVersionIsAborted() {
    Service v1 = cluster.create(svc(ns, "stale", 80)).getService();
    Service v2 = cluster.apply(Kinds.wrap(v1.toBuilder().setMetadata(v1.getMetadata().toBuilder().putLabels("v", "2")).build()))
        .getObject().getService();
    assertNotEquals(v1.getMetadata().getResourceVersion(), v2.getMetadata().getResourceVersion());
    Service stale = v1.toBuilder().setMetadata(v1.getMetadata().toBuilder().putLabels("v", "3")).build();
    rejected(Status.Code.ABORTED, "Operation cannot be fulfilled on services \"stale\": the object has been modified;"
        + " please apply your changes to the latest version and try again",
        () -> cluster.api().update(UpdateRequest.newBuilder().setObject(Kinds.wrap(stale)).build()));
    rejected(Status.Code.ABORTED, null, () -> cluster.api().delete(DeleteRequest.newBuilder().setKind(Kind.SERVICE)
        .setNamespace(ns).setName("stale").setResourceVersion(v1.getMetadata().getResourceVersion()).build()));
    Service fresh = v2.toBuilder().setMetadata(v2.getMetadata().toBuilder().putLabels("v", "3")).build();
    Service v3 = cluster.api().update(UpdateRequest.newBuilder().setObject(Kinds.wrap(fresh)).build()).getService();
    assertEquals("3", v3.getMetadata().getLabelsMap().get("v"));
  }

  @Test
  void loadBalancerIsTreatedAsNodePort() {
    Service s = cluster.create(with(() -> service(ns, "lb", 80).setSpec(service(ns, "lb", 80).getSpec().toBuilder()
        .setType("LoadBalancer")))).getService();
    assertEquals("LoadBalancer", s.getSpec().getType());
    int np = s.getSpec().getPorts(0).getNodePort();
    assertTrue(np >= 30000 && np <= 32767, "nodePort " + np);
  }

  @Test
  void nodePortIsKeptAcrossUpdatesAndReleasedOnTypeChange() {
    Service s = cluster.create(nodePort("keep", 0)).getService();
    int np = s.getSpec().getPorts(0).getNodePort();
    // The manifest again, without the nodePort, with a new label: the nodePort stays.
    Service relabelled = cluster.apply(Kinds.wrap(nodePort("keep", 0).getService().toBuilder()
        .setMetadata(s.getMetadata().toBuilder().clearUid().clearResourceVersion().clearCreationTimestamp().putLabels("x", "y"))
        .build())).getObject().getService();
    assertEquals(np, relabelled.getSpec().getPorts(0).getNodePort());
    assertEquals(s.getSpec().getClusterIp(), relabelled.getSpec().getClusterIp());
    // Type ClusterIP: the nodePort goes back to the pool, and another service can ask for it.
    Service clusterIp = cluster.apply(svc(ns, "keep", 80)).getObject().getService();
    assertEquals(0, clusterIp.getSpec().getPorts(0).getNodePort());
    assertEquals(s.getSpec().getClusterIp(), clusterIp.getSpec().getClusterIp());
    assertEquals(np, cluster.create(nodePort("takes-freed", np)).getService().getSpec().getPorts(0).getNodePort());
  }

  @Test
  void headlessServiceGetsNoClusterIp() {
    Service s = cluster.create(withIp("headless", "None")).getService();
    assertEquals("None", s.getSpec().getClusterIp());
    assertEquals(List.of("None"), s.getSpec().getClusterIpsList());
  }

  @Test
  void dryRunAnswersButWritesNothing() {
    long before = cluster.resourceLogEnd();
    Resource r = cluster.api().create(CreateRequest.newBuilder().setObject(svc(ns, "dry", 80)).setDryRun(true).build());
    assertTrue(!r.getService().getSpec().getClusterIp().isEmpty());
    assertEquals(before, cluster.resourceLogEnd());
    assertEquals(Status.Code.NOT_FOUND, expectError(() -> cluster.get(Kind.SERVICE, ns, "dry")).getStatus().getCode());
  }

  @Test
  void defaultNamespaceExistsAndCannotBeDeleted() {
    assertEquals("Active", cluster.get(Kind.NAMESPACE, "", "default").getNamespace().getStatus().getPhase());
    rejected(Status.Code.FAILED_PRECONDITION, "namespaces \"default\" is forbidden: this namespace may not be deleted",
        () -> cluster.delete(Kind.NAMESPACE, "", "default"));
  }

  @Test
  void applyingGetOutputOfEveryKindIsUnchanged() throws Exception {
    for (Resource r : List.of(svc(ns, "roundtrip", 80), nodePort("roundtrip-np", 0),
        TestCluster.example("nginx-pods.yaml", 0, ns), TestCluster.namespace("roundtrip-ns"))) {
      Resource created = cluster.apply(r).getObject();
      Resource parsed = io.svcplane.core.manifest.Manifests.read(io.svcplane.core.manifest.Manifests.toYaml(created)).get(0).resource();
      long before = cluster.resourceLogEnd();
      var again = cluster.apply(parsed);
      assertEquals(ApplyResult.UNCHANGED, again.getResult(), created + "\n----\n" + again.getObject());
      assertEquals(created, again.getObject());
      assertEquals(before, cluster.resourceLogEnd());
    }
  }

  static Resource nodePort(String name, int nodePort) {
    return with(() -> service(ns, name, 80).setSpec(io.svcplane.api.v1.ServiceSpec.newBuilder().setType("NodePort")
        .addPorts(ServicePort.newBuilder().setPort(80).setNodePort(nodePort))));
  }

  static Resource withIp(String name, String ip) {
    return with(() -> service(ns, name, 80).setSpec(service(ns, name, 80).getSpec().toBuilder().setClusterIp(ip)));
  }
}
