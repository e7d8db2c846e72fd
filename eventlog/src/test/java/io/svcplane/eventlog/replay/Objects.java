package io.svcplane.eventlog.replay;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;

/** Pods and services as a test script writes them. */
final class Objects {
  private Objects() {}

  static Resource service(String ns, String name, int port, String app) {
    return Kinds.wrap(Service.newBuilder()
        .setApiVersion("v1").setKind("Service")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).setUid(ns + "-" + name))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("10.96.0.10").addClusterIps("10.96.0.10")
            .setSelector(Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue(app).build()))
            .addPorts(ServicePort.newBuilder().setPort(port).setProtocol("TCP").setTargetPort("8080")))
        .build());
  }

  static Resource pod(String ns, String name, String app, String ip, boolean ready) {
    return Kinds.wrap(Pod.newBuilder()
        .setApiVersion("v1").setKind("Pod")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).setUid(ns + "-" + name).putLabels("app", app))
        .setSpec(PodSpec.newBuilder().setNodeName("node-1")
            .addContainers(Container.newBuilder().setName("app").setImage("nginx:1.27")
                .addPorts(ContainerPort.newBuilder().setContainerPort(8080).setProtocol("TCP"))))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")))
        .build());
  }
}
