package io.svcplane.core.forwarding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.ClientIPConfig;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.SessionAffinityConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForwardingPlannerTest {
  static Service service(String name, ServiceSpec.Builder spec) {
    return Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name)).setSpec(spec).build();
  }

  static Backend backend(String ip, String node, boolean ready, boolean terminating, int port) {
    return Backend.newBuilder().setIp(ip).setNodeName(node).setReady(ready).setServing(ready || terminating)
        .setTerminating(terminating).addPorts(EndpointPort.newBuilder().setName("web").setPort(port).setProtocol("TCP")).build();
  }

  @Test
  void servicePortGetsEndpointsOfItsNamedPortAndReadyOnesAreUsable() {
    Service web = service("web", ServiceSpec.newBuilder().setType("NodePort").setClusterIp("10.96.0.10")
        .addPorts(ServicePort.newBuilder().setName("web").setPort(80).setNodePort(30080).setProtocol("TCP")));
    var table = ForwardingPlanner.plan(List.of(web), k -> List.of(
        backend("10.244.1.2", "node-1", true, false, 8080),
        backend("10.244.2.2", "node-2", false, false, 8080)));
    ServicePortRule r = table.rule(new ServicePortName("default", "web", "web"));
    assertEquals(2, r.endpoints().size());
    assertEquals(List.of("10.244.1.2:8080"), r.forClusterIp("node-2").stream().map(Endpoint::address).toList());
    assertEquals(30080, r.nodePort());
    assertEquals(0, r.affinitySeconds());
  }

  @Test
  void terminatingEndpointsServeOnlyWhenNoneIsReady() {
    Service web = service("web", ServiceSpec.newBuilder().setClusterIp("10.96.0.10")
        .addPorts(ServicePort.newBuilder().setName("web").setPort(80)));
    var r = ForwardingPlanner.plan(List.of(web), k -> List.of(backend("10.244.1.3", "node-1", false, true, 80)))
        .rule(new ServicePortName("default", "web", "web"));
    assertEquals(1, r.forClusterIp("node-1").size());
    var r2 = ForwardingPlanner.plan(List.of(web), k -> List.of(
        backend("10.244.1.3", "node-1", false, true, 80), backend("10.244.1.4", "node-1", true, false, 80)))
        .rule(new ServicePortName("default", "web", "web"));
    assertEquals(List.of("10.244.1.4:80"), r2.forClusterIp("node-1").stream().map(Endpoint::address).toList());
  }

  @Test
  void externalTrafficPolicyLocalKeepsNodePortTrafficOnTheNode() {
    Service web = service("web", ServiceSpec.newBuilder().setType("NodePort").setClusterIp("10.96.0.10")
        .setExternalTrafficPolicy("Local")
        .addPorts(ServicePort.newBuilder().setName("web").setPort(80).setNodePort(30080)));
    var r = ForwardingPlanner.plan(List.of(web), k -> List.of(
        backend("10.244.1.2", "node-1", true, false, 80), backend("10.244.2.2", "node-2", true, false, 80)))
        .rule(new ServicePortName("default", "web", "web"));
    assertEquals(List.of("10.244.2.2:80"), r.forNodePort("node-2").stream().map(Endpoint::address).toList());
    assertEquals(2, r.forClusterIp("node-2").size());
  }

  @Test
  void externalNameAndHeadlessWithoutNodePortGetNoRulesAndAffinityDefaults() {
    Service ext = service("ext", ServiceSpec.newBuilder().setType("ExternalName").setExternalName("example.com"));
    Service headless = service("hl", ServiceSpec.newBuilder().setClusterIp("None").addPorts(ServicePort.newBuilder().setPort(80)));
    Service sticky = service("sticky", ServiceSpec.newBuilder().setClusterIp("10.96.0.11").setSessionAffinity("ClientIP")
        .addPorts(ServicePort.newBuilder().setPort(80)));
    Service timed = service("timed", ServiceSpec.newBuilder().setClusterIp("10.96.0.12").setSessionAffinity("ClientIP")
        .setSessionAffinityConfig(SessionAffinityConfig.newBuilder().setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(60)))
        .addPorts(ServicePort.newBuilder().setPort(80)));
    var table = ForwardingPlanner.plan(List.of(ext, headless, sticky, timed), k -> List.of());
    assertEquals(2, table.rules().size());
    assertEquals(10800, table.rule(new ServicePortName("default", "sticky", "")).affinitySeconds());
    assertEquals(60, table.rule(new ServicePortName("default", "timed", "")).affinitySeconds());
  }

  @Test
  void changedFromNamesAddedChangedAndRemovedPorts() {
    Service a = service("a", ServiceSpec.newBuilder().setClusterIp("10.96.0.1").addPorts(ServicePort.newBuilder().setName("web").setPort(80)));
    Service b = service("b", ServiceSpec.newBuilder().setClusterIp("10.96.0.2").addPorts(ServicePort.newBuilder().setName("web").setPort(80)));
    Service c = service("c", ServiceSpec.newBuilder().setClusterIp("10.96.0.3").addPorts(ServicePort.newBuilder().setName("web").setPort(80)));
    Map<String, List<Backend>> before = Map.of("default/a", List.of(backend("10.244.0.1", "n", true, false, 80)));
    Map<String, List<Backend>> after = Map.of("default/a", List.of(backend("10.244.0.2", "n", true, false, 80)));
    var t1 = ForwardingPlanner.plan(List.of(a, b), k -> before.getOrDefault(k, List.of()));
    var t2 = ForwardingPlanner.plan(List.of(a, c), k -> after.getOrDefault(k, List.of()));
    var changed = t2.changedFrom(t1);
    assertEquals(3, changed.size());
    assertTrue(t1.changedFrom(t1).isEmpty());
  }
}
