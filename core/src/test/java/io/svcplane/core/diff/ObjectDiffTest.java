package io.svcplane.core.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObjectDiffTest {

  static Service service(int port, String... selector) {
    var sel = Struct.newBuilder();
    for (int i = 0; i < selector.length; i += 2) {
      sel.putFields(selector[i], Value.newBuilder().setStringValue(selector[i + 1]).build());
    }
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName("web").setNamespace("shop").setResourceVersion("7"))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("10.96.0.10").setSelector(sel)
            .addPorts(ServicePort.newBuilder().setPort(port).setProtocol("TCP").setTargetPort("8080")))
        .build();
  }

  static Pod pod(String ready, String... labels) {
    var meta = ObjectMeta.newBuilder().setName("web-a").setNamespace("shop");
    for (int i = 0; i < labels.length; i += 2) meta.putLabels(labels[i], labels[i + 1]);
    return Pod.newBuilder().setMetadata(meta)
        .setSpec(PodSpec.newBuilder().setNodeName("node-1")
            .addContainers(Container.newBuilder().setName("app").setImage("nginx:1.27"))
            .addContainers(Container.newBuilder().setName("sidecar").setImage("envoy:1")))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp("10.244.1.5")
            .addConditions(PodCondition.newBuilder().setType("PodScheduled").setStatus("True"))
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready)))
        .build();
  }

  static List<String> lines(List<FieldChange> changes) {
    return changes.stream().map(FieldChange::toString).toList();
  }

  @Test
  void changedServicePortIsReportedByIndexWithOldAndNewValue() {
    assertEquals(List.of("spec.ports[0].port: 80 -> 8080"),
        lines(ObjectDiff.between(service(80, "app", "web"), service(8080, "app", "web"))));
  }

  @Test
  void conditionsAreMatchedByTypeNotByPosition() {
    Pod before = pod("True");
    Pod reordered = before.toBuilder().setStatus(before.getStatus().toBuilder().clearConditions()
        .addConditions(PodCondition.newBuilder().setType("Ready").setStatus("False"))
        .addConditions(PodCondition.newBuilder().setType("PodScheduled").setStatus("True"))).build();
    assertEquals(List.of("status.conditions[type=Ready].status: True -> False"),
        lines(ObjectDiff.between(before, reordered)));
  }

  @Test
  void labelsAddedAndRemovedAreMarkedAndOddKeysAreQuoted() {
    assertEquals(List.of(
            "+ metadata.labels[\"app.kubernetes.io/name\"]: web",
            "- metadata.labels.env: prod",
            "+ metadata.labels.tier: frontend"),
        lines(ObjectDiff.between(pod("True", "app", "web", "env", "prod"),
            pod("True", "app", "web", "tier", "frontend", "app.kubernetes.io/name", "web"))));
  }

  @Test
  void selectorChangesAreReportedPerKeyAndEmptySelectorDiffersFromNone() {
    assertEquals(List.of("spec.selector.app: web -> api", "+ spec.selector.tier: back"),
        lines(ObjectDiff.between(service(80, "app", "web"), service(80, "app", "api", "tier", "back"))));
    Service none = service(80).toBuilder().setSpec(service(80).getSpec().toBuilder().clearSelector()).build();
    assertEquals(List.of("+ spec.selector: {}"), lines(ObjectDiff.between(none, service(80))));
  }

  @Test
  void resourceVersionAndTypeMetaAreNotChanges() {
    Service a = service(80, "app", "web");
    Service b = a.toBuilder().setApiVersion("v1").setKind("Service")
        .setMetadata(a.getMetadata().toBuilder().setResourceVersion("99")).build();
    assertTrue(ObjectDiff.between(a, b).isEmpty());
  }

  @Test
  void newStatusListsItsLeavesAndNewListElementsAsOneLine() {
    Pod pending = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("p")).build();
    Pod running = pending.toBuilder().setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp("10.244.1.5")
        .addConditions(PodCondition.newBuilder().setType("Ready").setStatus("True"))
        .setStartTime(Timestamp.newBuilder().setSeconds(1_795_000_000L))).build();
    assertEquals(List.of(
            "+ status.phase: Running",
            "+ status.podIP: 10.244.1.5",
            "+ status.conditions[type=Ready]: {\"type\":\"Ready\",\"status\":\"True\"}",
            "+ status.startTime: 2026-11-18T11:06:40Z"),
        lines(ObjectDiff.between(pending, running)));
  }

  @Test
  void containersAreMatchedByName() {
    Pod a = pod("True");
    Pod b = a.toBuilder().setSpec(a.getSpec().toBuilder().removeContainers(0)
        .addContainers(Container.newBuilder().setName("app").setImage("nginx:1.28"))).build();
    assertEquals(List.of("spec.containers[name=app].image: nginx:1.27 -> nginx:1.28"),
        lines(ObjectDiff.between(a, b)));
  }

  @Test
  void ignoredPathsAreSkippedWithEverythingBelowThem() {
    Endpoints a = Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("web"))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("10.0.0.1"))).build();
    Endpoints b = a.toBuilder().clearSubsets().setMetadata(a.getMetadata().toBuilder().putLabels("x", "y")).build();
    assertEquals(List.of("+ metadata.labels.x: y"),
        lines(ObjectDiff.ignoring(p -> p.equals("subsets")).diff(a, b)));
  }

  @Test
  void booleansShowBothValuesAndEmptyStringsAreQuoted() {
    Service a = service(80);
    Service b = a.toBuilder().setSpec(a.getSpec().toBuilder().setPublishNotReadyAddresses(true)
        .setExternalName(" x")).build();
    assertEquals(List.of("+ spec.externalName: \" x\"", "spec.publishNotReadyAddresses: false -> true"),
        lines(ObjectDiff.between(a, b)));
  }

  @Test
  void endpointsChangeListsBackendsAddedAndRemovedWithReadiness() {
    var port = EndpointPort.newBuilder().setPort(80).setProtocol("TCP");
    Endpoints before = Endpoints.newBuilder().addSubsets(EndpointSubset.newBuilder()
        .addAddresses(EndpointAddress.newBuilder().setIp("10.244.2.3"))
        .addAddresses(EndpointAddress.newBuilder().setIp("10.244.1.6"))
        .addPorts(port)).build();
    Endpoints after = Endpoints.newBuilder().addSubsets(EndpointSubset.newBuilder()
        .addAddresses(EndpointAddress.newBuilder().setIp("10.244.1.5"))
        .addNotReadyAddresses(EndpointAddress.newBuilder().setIp("10.244.1.6"))
        .addPorts(port)).build();
    assertEquals("+10.244.1.5:80 +10.244.1.6:80(not ready) -10.244.1.6:80 -10.244.2.3:80",
        EndpointsChange.between(before, after).toString());
    assertEquals("+10.244.2.3:80 +10.244.1.6:80".split(" ").length,
        EndpointsChange.between(null, before).added().size());
    assertEquals("(addresses unchanged)", EndpointsChange.between(before, before).toString());
  }
}
