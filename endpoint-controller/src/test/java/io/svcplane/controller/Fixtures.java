package io.svcplane.controller;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import java.util.List;

/** Pods and Services for tests, as the apiserver would have stored them. */
final class Fixtures {
  private Fixtures() {}

  static Struct selector(String... kv) {
    Struct.Builder s = Struct.newBuilder();
    for (int i = 0; i < kv.length; i += 2) s.putFields(kv[i], Value.newBuilder().setStringValue(kv[i + 1]).build());
    return s.build();
  }

  static Service.Builder service(String ns, String name, Struct selector, ServicePort... ports) {
    ServiceSpec.Builder spec = ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("10.96.0.10").addAllPorts(List.of(ports));
    if (selector != null) spec.setSelector(selector);
    return Service.newBuilder().setApiVersion("v1").setKind("Service")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).setUid("svc-" + ns + "-" + name))
        .setSpec(spec);
  }

  static ServicePort port(String name, int port, String targetPort) {
    return ServicePort.newBuilder().setName(name).setPort(port).setTargetPort(targetPort).setProtocol("TCP").build();
  }

  static Pod.Builder pod(String ns, String name, String ip, boolean ready, String... labels) {
    ObjectMeta.Builder m = ObjectMeta.newBuilder().setNamespace(ns).setName(name).setUid("pod-" + ns + "-" + name);
    for (int i = 0; i < labels.length; i += 2) m.putLabels(labels[i], labels[i + 1]);
    return Pod.newBuilder().setApiVersion("v1").setKind("Pod")
        .setMetadata(m)
        .setSpec(PodSpec.newBuilder().setNodeName("node-1"))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")));
  }

  static Pod.Builder withPort(Pod.Builder p, String name, int port) {
    return p.setSpec(p.getSpec().toBuilder().addContainers(
        Container.newBuilder().setName("c").addPorts(ContainerPort.newBuilder().setName(name).setContainerPort(port))));
  }

  static Endpoints endpoints(ResourceEvent e) {
    return e.getObject().getEndpoints();
  }

  static List<String> readyIps(ResourceEvent e) {
    return endpoints(e).getSubsetsList().stream().flatMap(s -> s.getAddressesList().stream()).map(EndpointAddress::getIp).toList();
  }

  static List<String> notReadyIps(ResourceEvent e) {
    return endpoints(e).getSubsetsList().stream().flatMap(s -> s.getNotReadyAddressesList().stream())
        .map(EndpointAddress::getIp).toList();
  }

  static String key(String ns, String name) {
    return "Endpoints/" + ns + "/" + name;
  }
}
