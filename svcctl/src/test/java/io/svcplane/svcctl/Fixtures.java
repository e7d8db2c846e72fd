package io.svcplane.svcctl;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
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
import java.time.Instant;
import java.util.Map;

/** Objects shaped as the apiserver returns them (defaults filled in), for printer tests. */
final class Fixtures {
  private Fixtures() {}

  static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

  static Timestamp ago(long seconds) {
    return Timestamp.newBuilder().setSeconds(NOW.getEpochSecond() - seconds).build();
  }

  static ObjectMeta meta(String name, Map<String, String> labels, long ageSeconds) {
    return ObjectMeta.newBuilder().setName(name).setNamespace("default").putAllLabels(labels)
        .setCreationTimestamp(ago(ageSeconds)).setUid("uid-" + name).setResourceVersion("7").build();
  }

  static Struct selector(Map<String, String> m) {
    Struct.Builder b = Struct.newBuilder();
    m.forEach((k, v) -> b.putFields(k, Value.newBuilder().setStringValue(v).build()));
    return b.build();
  }

  static ServicePort port(String name, int port, String targetPort, int nodePort) {
    return ServicePort.newBuilder().setName(name).setPort(port).setTargetPort(targetPort).setProtocol("TCP")
        .setNodePort(nodePort).build();
  }

  static ServiceSpec.Builder clusterIpSpec(String ip) {
    return ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp(ip).addClusterIps(ip)
        .setSessionAffinity("None").setIpFamilyPolicy("SingleStack").addIpFamilies("IPv4")
        .setInternalTrafficPolicy("Cluster");
  }

  static Service svcNginx() {
    return Service.newBuilder().setMetadata(meta("svc-nginx", Map.of("app", "nginx"), 45))
        .setSpec(clusterIpSpec("10.96.0.10").setType("NodePort").setSelector(selector(Map.of("app", "nginx-deploy")))
            .addPorts(port("web", 80, "80", 30550)).setExternalTrafficPolicy("Cluster"))
        .build();
  }

  static Service externalName() {
    return Service.newBuilder().setMetadata(meta("my-external-domain", Map.of("app", "my-external-domain"), 12 * 60))
        .setSpec(ServiceSpec.newBuilder().setType("ExternalName").setExternalName("www.baidu.com").setSessionAffinity("None"))
        .build();
  }

  static Service headless() {
    return Service.newBuilder().setMetadata(meta("db", Map.of(), 3 * 86400 + 19 * 3600))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("None").addClusterIps("None")
            .setSelector(selector(Map.of("app", "db", "tier", "data"))).setSessionAffinity("None")
            .addPorts(port("", 5432, "5432", 0)).addPorts(ServicePort.newBuilder().setName("metrics").setPort(9187)
                .setTargetPort("metrics").setProtocol("UDP")))
        .build();
  }

  static EndpointAddress addr(String ip) {
    return EndpointAddress.newBuilder().setIp(ip).build();
  }

  static Endpoints endpoints(String name, EndpointSubset... subsets) {
    Endpoints.Builder b = Endpoints.newBuilder().setMetadata(meta(name, Map.of(), 45));
    for (EndpointSubset s : subsets) b.addSubsets(s);
    return b.build();
  }

  static EndpointSubset subset(String portName, int port, String... ips) {
    EndpointSubset.Builder b = EndpointSubset.newBuilder()
        .addPorts(EndpointPort.newBuilder().setName(portName).setPort(port).setProtocol("TCP"));
    for (String ip : ips) b.addAddresses(addr(ip));
    return b.build();
  }

  static Pod pod(String name, String node, String ip, String phase, boolean ready, long ageSeconds) {
    return Pod.newBuilder().setMetadata(meta(name, Map.of("app", "nginx-deploy"), ageSeconds))
        .setSpec(PodSpec.newBuilder().setNodeName(node).addContainers(Container.newBuilder().setName("nginx")
            .setImage("nginx").addPorts(ContainerPort.newBuilder().setName("web").setContainerPort(80).setProtocol("TCP"))))
        .setStatus(PodStatus.newBuilder().setPhase(phase).setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")))
        .build();
  }
}
