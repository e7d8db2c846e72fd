package io.svcplane.apiserver;

import static io.svcplane.apiserver.TestCluster.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Pools that run out, and addresses and ports that come back when services go away. */
@ExtendWith(KafkaExtension.class)
class AllocationTest {
  static final String CIDR = "10.233.7.0/29";
  static TestCluster cluster;

  @BeforeAll
  static void start(TestKafka kafka) throws Exception {
    // A CIDR and port range no other test uses, so services of other tests on the shared log do not count.
    cluster = TestCluster.start(kafka, b -> b.writerId("allocation")
        .serviceCidr(ServiceCidr.parse(CIDR)).nodePortRange(TestCluster.ports("31900-31902")));
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  static io.svcplane.api.v1.Resource nodePortService(String ns, String name, String clusterIp, int nodePort) {
    return Kinds.wrap(TestCluster.service(ns, name, 80).setSpec(ServiceSpec.newBuilder().setType("NodePort")
        .setClusterIp(clusterIp).addPorts(ServicePort.newBuilder().setPort(80).setNodePort(nodePort))).build());
  }

  @Test
  void slash29RunsOutOfClusterIpsWithResourceExhaustedAndADeletedServicesIpAndPortCanBeTakenAgain() {
    String ns = cluster.newNamespace("pool");
    Set<String> ips = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      Service s = cluster.create(TestCluster.svc(ns, "s" + i, 80)).getService();
      assertTrue(ServiceCidr.parse(CIDR).offsetOf(ServiceCidr.ipInt(s.getSpec().getClusterIp())) > 0);
      ips.add(s.getSpec().getClusterIp());
    }
    assertEquals(6, ips.size(), "the /29 holds 6 ClusterIPs (network and broadcast addresses are reserved)");
    long before = cluster.resourceLogEnd();
    var e = expectError(() -> cluster.create(TestCluster.svc(ns, "seventh", 80)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals("Internal error occurred: failed to allocate a serviceIP: range is full (" + CIDR + ")",
        e.getStatus().getDescription());
    assertEquals(before, cluster.resourceLogEnd());
    // Headless and ExternalName services need no address, so they still fit.
    cluster.create(Kinds.wrap(TestCluster.service(ns, "headless", 80)
        .setSpec(ServiceSpec.newBuilder().setClusterIp("None").addPorts(ServicePort.newBuilder().setPort(80))).build()));

    Service victim = cluster.get(Kind.SERVICE, ns, "s3").getService();
    cluster.delete(Kind.SERVICE, ns, "s3");
    Service again = cluster.create(Kinds.wrap(TestCluster.service(ns, "reuse", 80)
        .setSpec(ServiceSpec.newBuilder().setClusterIp(victim.getSpec().getClusterIp())
            .addPorts(ServicePort.newBuilder().setPort(80))).build())).getService();
    assertEquals(victim.getSpec().getClusterIp(), again.getSpec().getClusterIp());

    // Node ports: three in the range; take them all, then free one by deleting its service.
    cluster.delete(Kind.SERVICE, ns, "s0");
    cluster.delete(Kind.SERVICE, ns, "s1");
    cluster.delete(Kind.SERVICE, ns, "s2");
    cluster.delete(Kind.SERVICE, ns, "s4");
    cluster.create(nodePortService(ns, "np0", "", 0));
    cluster.create(nodePortService(ns, "np1", "", 0));
    Service np2 = cluster.create(nodePortService(ns, "np2", "", 0)).getService();
    var full = expectError(() -> cluster.create(nodePortService(ns, "np3", "", 0)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, full.getStatus().getCode());
    assertEquals("Internal error occurred: failed to allocate a nodePort: range is full (31900-31902)",
        full.getStatus().getDescription());
    cluster.delete(Kind.SERVICE, ns, "np2");
    int freed = np2.getSpec().getPorts(0).getNodePort();
    assertEquals(freed, cluster.create(nodePortService(ns, "np3", "", freed)).getService().getSpec().getPorts(0).getNodePort());
    cluster.delete(Kind.NAMESPACE, "", ns);
  }

  @Test
  void deletingANamespaceDeletesItsObjectsAndFreesTheirAddresses() {
    String ns = cluster.newNamespace("gone");
    Service s = cluster.create(TestCluster.svc(ns, "web", 80)).getService();
    cluster.create(TestCluster.pod(ns, "p", java.util.Map.of("app", "web")));
    cluster.delete(Kind.NAMESPACE, "", ns);
    assertEquals(Status.Code.NOT_FOUND, expectError(() -> cluster.get(Kind.SERVICE, ns, "web")).getStatus().getCode());
    assertEquals(Status.Code.NOT_FOUND, expectError(() -> cluster.get(Kind.POD, ns, "p")).getStatus().getCode());
    assertEquals(Status.Code.NOT_FOUND, expectError(() -> cluster.get(Kind.NAMESPACE, "", ns)).getStatus().getCode());
    String other = cluster.newNamespace("after");
    Service reuse = cluster.create(Kinds.wrap(TestCluster.service(other, "web", 80).setSpec(ServiceSpec.newBuilder()
        .setClusterIp(s.getSpec().getClusterIp()).addPorts(ServicePort.newBuilder().setPort(80))).build())).getService();
    assertEquals(s.getSpec().getClusterIp(), reuse.getSpec().getClusterIp());
    cluster.delete(Kind.NAMESPACE, "", other);
  }
}
