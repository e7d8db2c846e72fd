package io.svcplane.core.forwarding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ObjectReference;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceBackendsTest {
  private long offset;

  static Service web(boolean withSelector) {
    var spec = ServiceSpec.newBuilder().setClusterIp("127.96.0.10")
        .addPorts(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("web").setProtocol("TCP"));
    if (withSelector) spec.setSelector(Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue("web").build()));
    return Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web")).setSpec(spec).build();
  }

  static Pod pod(String name, String ip, boolean ready, boolean deleting, String app) {
    var meta = ObjectMeta.newBuilder().setNamespace("default").setName(name).putLabels("app", app);
    if (deleting) meta.setDeletionTimestamp(Timestamp.newBuilder().setSeconds(1000));
    return Pod.newBuilder().setMetadata(meta)
        .setSpec(PodSpec.newBuilder().setNodeName("node-1").addContainers(Container.newBuilder().setName("c")
            .addPorts(ContainerPort.newBuilder().setName("web").setContainerPort(8080))))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")))
        .build();
  }

  static EndpointAddress address(String ip, String pod) {
    return EndpointAddress.newBuilder().setIp(ip).setNodeName("node-1")
        .setTargetRef(ObjectReference.newBuilder().setKind("Pod").setNamespace("default").setName(pod)).build();
  }

  static Endpoints endpoints(List<EndpointAddress> ready, List<EndpointAddress> notReady) {
    return Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web"))
        .addSubsets(EndpointSubset.newBuilder().addAllAddresses(ready).addAllNotReadyAddresses(notReady)
            .addPorts(EndpointPort.newBuilder().setName("http").setPort(8080).setProtocol("TCP")))
        .build();
  }

  ClusterImage fold(ClusterImage base, LogTopic topic, Resource... objects) {
    var delta = new ClusterDelta(base);
    for (Resource r : objects) {
      delta.replay(topic, 0, offset++, ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(r).build());
    }
    return delta.apply();
  }

  @Test
  void readyAndNotReadyAddressesBecomeBackendsWithTheirPorts() {
    Service svc = web(true);
    ClusterImage image = fold(ClusterImage.EMPTY, LogTopic.RESOURCES, Kinds.wrap(svc));
    image = fold(image, LogTopic.ENDPOINTS,
        Kinds.wrap(endpoints(List.of(address("127.244.0.2", "a")), List.of(address("127.244.0.1", "b")))));
    List<Backend> backends = ServiceBackends.of(image, svc);
    assertEquals(List.of("127.244.0.1", "127.244.0.2"), backends.stream().map(Backend::getIp).toList());
    Backend notReady = backends.get(0);
    Backend ready = backends.get(1);
    assertFalse(notReady.getReady());
    assertFalse(notReady.getServing());
    assertTrue(ready.getReady() && ready.getServing() && !ready.getTerminating());
    assertEquals("a", ready.getPodName());
    assertEquals("node-1", ready.getNodeName());
    assertEquals(8080, ready.getPorts(0).getPort());
    assertEquals("http", ready.getPorts(0).getName());
  }

  @Test
  void aDeletingPodThatIsStillReadyIsAServingTerminatingBackendWithItsNamedPortResolved() {
    Service svc = web(true);
    ClusterImage image = fold(ClusterImage.EMPTY, LogTopic.RESOURCES, Kinds.wrap(svc),
        Kinds.wrap(pod("leaving", "127.244.0.5", true, true, "web")),
        Kinds.wrap(pod("leaving-unready", "127.244.0.6", false, true, "web")),
        Kinds.wrap(pod("other-app", "127.244.0.7", true, true, "db")),
        Kinds.wrap(pod("staying", "127.244.0.8", true, false, "web")));
    List<Backend> backends = ServiceBackends.of(image, svc);
    assertEquals(1, backends.size(), backends.toString());
    Backend b = backends.get(0);
    assertEquals("127.244.0.5", b.getIp());
    assertTrue(b.getServing() && b.getTerminating() && !b.getReady());
    assertEquals(EndpointPort.newBuilder().setName("http").setPort(8080).setProtocol("TCP").build(), b.getPorts(0));
    assertEquals("leaving", b.getPodName());
  }

  @Test
  void aTerminatingPodStillListedInEndpointsIsNotListedTwice() {
    Service svc = web(true);
    ClusterImage image = fold(ClusterImage.EMPTY, LogTopic.RESOURCES, Kinds.wrap(svc),
        Kinds.wrap(pod("leaving", "127.244.0.5", true, true, "web")));
    image = fold(image, LogTopic.ENDPOINTS, Kinds.wrap(endpoints(List.of(address("127.244.0.5", "leaving")), List.of())));
    List<Backend> backends = ServiceBackends.of(image, svc);
    assertEquals(1, backends.size());
    assertTrue(backends.get(0).getReady());
  }

  @Test
  void aSelectorLessServiceTakesTheEndpointsUsersWrote() {
    Service svc = web(false);
    ClusterImage image = fold(ClusterImage.EMPTY, LogTopic.RESOURCES, Kinds.wrap(svc),
        Kinds.wrap(endpoints(List.of(address("127.244.0.9", "x")), List.of())),
        Kinds.wrap(pod("leaving", "127.244.0.5", true, true, "web")));
    assertEquals(List.of("127.244.0.9"), ServiceBackends.of(image, svc).stream().map(Backend::getIp).toList());
  }

  @Test
  void externalNameHasNoBackends() {
    Service svc = web(true).toBuilder().setSpec(ServiceSpec.newBuilder().setType("ExternalName").setExternalName("x.example")).build();
    ClusterImage image = fold(ClusterImage.EMPTY, LogTopic.RESOURCES, Kinds.wrap(svc),
        Kinds.wrap(pod("leaving", "127.244.0.5", true, true, "web")));
    assertEquals(List.of(), ServiceBackends.of(image, svc));
  }

  @Test
  void theDigestIgnoresBackendOrderAndChangesWithAnyBackend() {
    Service svc = web(true);
    Backend a = Backend.newBuilder().setIp("127.244.0.1").setReady(true).build();
    Backend b = Backend.newBuilder().setIp("127.244.0.2").setReady(true).build();
    assertEquals(ServiceBackends.digest(svc, List.of(a, b)), ServiceBackends.digest(svc, List.of(b, a)));
    assertNotEquals(ServiceBackends.digest(svc, List.of(a, b)),
        ServiceBackends.digest(svc, List.of(a, b.toBuilder().setReady(false).build())));
    assertNotEquals(ServiceBackends.digest(svc, List.of(a)), ServiceBackends.digest(web(false), List.of(a)));
  }
}
