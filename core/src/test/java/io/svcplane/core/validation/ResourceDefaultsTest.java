package io.svcplane.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceDefaultsTest {

  @Test
  void serviceGetsKubernetesDefaults() {
    Service s = ResourceDefaults.apply(Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("web"))
        .setSpec(ServiceSpec.newBuilder().addPorts(ServicePort.newBuilder().setPort(80))).build())).getService();
    assertEquals("default", s.getMetadata().getNamespace());
    assertEquals("ClusterIP", s.getSpec().getType());
    assertEquals("TCP", s.getSpec().getPorts(0).getProtocol());
    assertEquals("80", s.getSpec().getPorts(0).getTargetPort());
    assertEquals("None", s.getSpec().getSessionAffinity());
    assertEquals("", s.getSpec().getExternalTrafficPolicy(), "only NodePort and LoadBalancer services get one");
    assertEquals("Cluster", s.getSpec().getInternalTrafficPolicy());
    assertEquals("SingleStack", s.getSpec().getIpFamilyPolicy());
    assertEquals(List.of("IPv4"), s.getSpec().getIpFamiliesList());
  }

  @Test
  void externalTrafficPolicyDefaultsOnlyForServicesReachableFromOutside() {
    assertEquals("Cluster", ResourceDefaults.service(ofType("NodePort")).getSpec().getExternalTrafficPolicy());
    assertEquals("Cluster", ResourceDefaults.service(ofType("LoadBalancer")).getSpec().getExternalTrafficPolicy());
    assertEquals("", ResourceDefaults.service(ofType("ClusterIP")).getSpec().getExternalTrafficPolicy());
    assertEquals("Local", ResourceDefaults.service(ofType("ClusterIP").toBuilder()
        .setSpec(ofType("NodePort").getSpec().toBuilder().setExternalTrafficPolicy("Local")).build())
        .getSpec().getExternalTrafficPolicy(), "a given policy is kept");
  }

  private static Service ofType(String type) {
    return Service.newBuilder().setSpec(ServiceSpec.newBuilder().setType(type)
        .addPorts(ServicePort.newBuilder().setPort(80))).build();
  }

  @Test
  void clientIpAffinityGetsTheDefaultTimeout() {
    Service s = ResourceDefaults.service(Service.newBuilder()
        .setSpec(ServiceSpec.newBuilder().setSessionAffinity("ClientIP")).build());
    assertEquals(10800, s.getSpec().getSessionAffinityConfig().getClientIp().getTimeoutSeconds());
  }

  @Test
  void externalNameServicesGetNoIpFamiliesOrTrafficPolicies() {
    Service s = ResourceDefaults.service(Service.newBuilder()
        .setSpec(ServiceSpec.newBuilder().setType("ExternalName").setExternalName("db.example.com")).build());
    assertEquals("", s.getSpec().getIpFamilyPolicy());
    assertEquals("", s.getSpec().getExternalTrafficPolicy());
    assertEquals(0, s.getSpec().getIpFamiliesCount());
  }

  @Test
  void namespaceIsActiveAndLabelledWithItsName() {
    Namespace ns = ResourceDefaults.apply(Kinds.wrap(Namespace.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName("team-a")).build())).getNamespace();
    assertEquals("Active", ns.getStatus().getPhase());
    assertEquals(Map.of("kubernetes.io/metadata.name", "team-a"), ns.getMetadata().getLabelsMap());
  }

  @Test
  void defaultingTwiceChangesNothing() {
    var r = Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("web"))
        .setSpec(ServiceSpec.newBuilder().setClusterIp("10.96.0.5").addPorts(ServicePort.newBuilder().setPort(80))).build());
    var once = ResourceDefaults.apply(r);
    assertEquals(once, ResourceDefaults.apply(once));
    assertEquals(List.of("10.96.0.5"), once.getService().getSpec().getClusterIpsList());
  }
}
