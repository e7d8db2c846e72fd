package io.svcplane.core.validation;

import io.svcplane.api.v1.ClientIPConfig;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodIP;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.SessionAffinityConfig;
import io.svcplane.core.Kinds;

/**
 * Kubernetes' defaulting, applied by the apiserver to every object it accepts, before validation
 * and allocation: what {@code kubectl get -o yaml} shows that the manifest did not say.
 */
public final class ResourceDefaults {
  private ResourceDefaults() {}

  public static final String DEFAULT_NAMESPACE = "default";
  public static final int DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;
  /** The label Kubernetes puts on every Namespace (since 1.21). */
  public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

  public static Resource apply(Resource r) {
    Resource withMeta = Kinds.withMetadata(r, meta(Kinds.kindOf(r), Kinds.metadata(r)));
    return switch (withMeta.getObjectCase()) {
      case SERVICE -> Kinds.wrap(service(withMeta.getService()));
      case POD -> Kinds.wrap(pod(withMeta.getPod()));
      case ENDPOINTS -> Kinds.wrap(endpoints(withMeta.getEndpoints()));
      case NAMESPACE -> Kinds.wrap(namespace(withMeta.getNamespace()));
      case NODE -> withMeta;
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
  }

  /** Namespaced kinds land in "default"; cluster-scoped kinds have no namespace. */
  static ObjectMeta meta(Kind kind, ObjectMeta m) {
    if (Kinds.isNamespaced(kind)) {
      return m.getNamespace().isEmpty() ? m.toBuilder().setNamespace(DEFAULT_NAMESPACE).build() : m;
    }
    return m.getNamespace().isEmpty() ? m : m.toBuilder().clearNamespace().build();
  }

  public static Service service(Service svc) {
    ServiceSpec.Builder s = svc.getSpec().toBuilder();
    if (s.getType().isEmpty()) s.setType("ClusterIP");
    for (int i = 0; i < s.getPortsCount(); i++) {
      ServicePort p = s.getPorts(i);
      ServicePort.Builder pb = p.toBuilder();
      if (p.getProtocol().isEmpty()) pb.setProtocol("TCP");
      if (p.getTargetPort().isEmpty() || p.getTargetPort().equals("0")) pb.setTargetPort(Integer.toString(p.getPort()));
      s.setPorts(i, pb);
    }
    if (s.getSessionAffinity().isEmpty()) s.setSessionAffinity("None");
    if (s.getSessionAffinity().equals("ClientIP")
        && s.getSessionAffinityConfig().getClientIp().getTimeoutSeconds() == 0) {
      s.setSessionAffinityConfig(SessionAffinityConfig.newBuilder()
          .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(DEFAULT_CLIENT_IP_TIMEOUT_SECONDS)));
    }
    // Kubernetes defaults externalTrafficPolicy only where external traffic can arrive.
    if ((s.getType().equals("NodePort") || s.getType().equals("LoadBalancer")) && s.getExternalTrafficPolicy().isEmpty()) {
      s.setExternalTrafficPolicy("Cluster");
    }
    if (!s.getType().equals("ExternalName")) {
      if (s.getInternalTrafficPolicy().isEmpty()) s.setInternalTrafficPolicy("Cluster");
      if (s.getIpFamilyPolicy().isEmpty()) s.setIpFamilyPolicy("SingleStack");
      if (s.getIpFamiliesCount() == 0) s.addIpFamilies("IPv4");
      if (s.getClusterIp().isEmpty() && s.getClusterIpsCount() > 0) s.setClusterIp(s.getClusterIps(0));
      if (!s.getClusterIp().isEmpty() && s.getClusterIpsCount() == 0) s.addClusterIps(s.getClusterIp());
    }
    return svc.toBuilder().setSpec(s).build();
  }

  public static Pod pod(Pod pod) {
    Pod.Builder b = pod.toBuilder();
    var spec = b.getSpecBuilder();
    for (int c = 0; c < spec.getContainersCount(); c++) {
      Container.Builder cb = spec.getContainersBuilder(c);
      for (int p = 0; p < cb.getPortsCount(); p++) {
        ContainerPort port = cb.getPorts(p);
        if (port.getProtocol().isEmpty()) cb.setPorts(p, port.toBuilder().setProtocol("TCP"));
      }
    }
    if (spec.getRestartPolicy().isEmpty()) spec.setRestartPolicy("Always");
    var status = b.getStatusBuilder();
    if (status.getPhase().isEmpty()) status.setPhase("Pending");
    if (!status.getPodIp().isEmpty() && status.getPodIpsCount() == 0) {
      status.addPodIps(PodIP.newBuilder().setIp(status.getPodIp()));
    }
    return b.build();
  }

  public static Endpoints endpoints(Endpoints ep) {
    Endpoints.Builder b = ep.toBuilder();
    for (int s = 0; s < b.getSubsetsCount(); s++) {
      EndpointSubset.Builder sb = b.getSubsetsBuilder(s);
      for (int p = 0; p < sb.getPortsCount(); p++) {
        EndpointPort port = sb.getPorts(p);
        if (port.getProtocol().isEmpty()) sb.setPorts(p, port.toBuilder().setProtocol("TCP"));
      }
    }
    return b.build();
  }

  public static Namespace namespace(Namespace ns) {
    Namespace.Builder b = ns.toBuilder();
    if (b.getStatus().getPhase().isEmpty()) b.getStatusBuilder().setPhase("Active");
    String name = b.getMetadata().getName();
    if (!name.isEmpty() && !name.equals(b.getMetadata().getLabelsMap().get(NAMESPACE_NAME_LABEL))) {
      b.getMetadataBuilder().putLabels(NAMESPACE_NAME_LABEL, name);
    }
    return b.build();
  }
}
