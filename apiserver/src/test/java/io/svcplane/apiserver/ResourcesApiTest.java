package io.svcplane.apiserver;

import static io.svcplane.apiserver.TestCluster.expectError;
import static io.svcplane.apiserver.TestCluster.svc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.svcplane.api.v1.ApplyResult;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.core.manifest.Manifests;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class ResourcesApiTest {
  static TestCluster cluster;

  @BeforeAll
  static void start(TestKafka kafka) throws Exception {
    cluster = TestCluster.start(kafka);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void seedServiceGetsClusterIpInsideCidrAndNodePortInsideRange() throws Exception {
    String ns = cluster.newNamespace("seed");
    Resource created = cluster.create(TestCluster.example("svc-nginx.yaml", 0, ns));
    Service s = created.getService();
    assertEquals("v1", s.getApiVersion());
    assertEquals("Service", s.getKind());
    assertTrue(ServiceCidr.parse("10.96.0.0/16").offsetOf(ServiceCidr.ipInt(s.getSpec().getClusterIp())) > 0,
        s.getSpec().getClusterIp());
    assertEquals(List.of(s.getSpec().getClusterIp()), s.getSpec().getClusterIpsList());
    int np = s.getSpec().getPorts(0).getNodePort();
    assertTrue(np >= 30000 && np <= 32767, "nodePort " + np);
    assertFalse(s.getMetadata().getUid().isEmpty());
    assertFalse(s.getMetadata().getResourceVersion().isEmpty());
    assertEquals(0, s.getMetadata().getCreationTimestamp().getNanos());
    assertEquals("TCP", s.getSpec().getPorts(0).getProtocol());
    assertEquals("None", s.getSpec().getSessionAffinity());
    assertEquals("SingleStack", s.getSpec().getIpFamilyPolicy());
    assertEquals(List.of("IPv4"), s.getSpec().getIpFamiliesList());
    assertEquals("Cluster", s.getSpec().getExternalTrafficPolicy());

    Resource got = cluster.get(Kind.SERVICE, ns, "svc-nginx");
    assertEquals(created, got);
    var list = cluster.api().list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).build());
    assertEquals(List.of(created), list.getItemsList());
    assertFalse(list.getVersion().isEmpty());

    // get -o yaml applied again changes nothing.
    String yaml = Manifests.toYaml(got);
    Resource again = Manifests.read(yaml).get(0).resource();
    long before = cluster.resourceLogEnd();
    var applied = cluster.apply(again);
    assertEquals(ApplyResult.UNCHANGED, applied.getResult());
    assertEquals(got, applied.getObject());
    assertEquals(before, cluster.resourceLogEnd());
  }

  @Test
  void invalidPortIsRejectedWithKubernetesMessageAndNothingIsAppended() throws Exception {
    String ns = cluster.newNamespace("invalid");
    long before = cluster.resourceLogEnd();
    var e = expectError(() -> cluster.create(svc(ns, "web", 70000)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("Service \"web\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        e.getStatus().getDescription());
    assertEquals(before, cluster.resourceLogEnd());
  }

  @Test
  void applyCreatesThenConfiguresThenLeavesUnchanged() throws Exception {
    String ns = cluster.newNamespace("apply");
    var r1 = cluster.apply(svc(ns, "web", 80));
    assertEquals(ApplyResult.CREATED, r1.getResult());
    var changed = TestCluster.service(ns, "web", 80).build();
    changed = changed.toBuilder().setMetadata(changed.getMetadata().toBuilder().putLabels("tier", "web")).build();
    var r2 = cluster.apply(io.svcplane.core.Kinds.wrap(changed));
    assertEquals(ApplyResult.CONFIGURED, r2.getResult());
    assertEquals(r1.getObject().getService().getSpec().getClusterIp(), r2.getObject().getService().getSpec().getClusterIp());
    assertNotEquals(r1.getObject().getService().getMetadata().getResourceVersion(),
        r2.getObject().getService().getMetadata().getResourceVersion());
    var r3 = cluster.apply(io.svcplane.core.Kinds.wrap(changed));
    assertEquals(ApplyResult.UNCHANGED, r3.getResult());
    assertEquals(r2.getObject(), r3.getObject());
  }

  @Test
  void deleteRemovesAndGetThenFailsNotFound() throws Exception {
    String ns = cluster.newNamespace("delete");
    cluster.create(svc(ns, "web", 80));
    cluster.delete(Kind.SERVICE, ns, "web");
    var e = expectError(() -> cluster.get(Kind.SERVICE, ns, "web"));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("services \"web\" not found", e.getStatus().getDescription());
  }
}
