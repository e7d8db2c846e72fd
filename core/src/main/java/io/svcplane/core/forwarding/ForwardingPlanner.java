package io.svcplane.core.forwarding;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * The forwarding planner: services and their backends (as the ProxyFeed carries them) to the
 * rules a node proxy programs. Pure. ExternalName services and services with neither a ClusterIP
 * nor a NodePort get no rules.
 */
public final class ForwardingPlanner {
  /** Kubernetes' default ClientIP affinity timeout: 3 hours. */
  public static final int DEFAULT_AFFINITY_SECONDS = 10800;

  private ForwardingPlanner() {}

  /**
   * @param backendsOf the backends of a service, by "namespace/name"
   */
  public static ForwardingTable plan(Collection<Service> services, Function<String, Collection<Backend>> backendsOf) {
    List<ServicePortRule> rules = new ArrayList<>();
    for (Service s : services) {
      rules.addAll(rulesOf(s, backendsOf.apply(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName())));
    }
    return ForwardingTable.of(rules);
  }

  /** The rules of one service's ports. */
  public static List<ServicePortRule> rulesOf(Service s, Collection<Backend> backends) {
    var spec = s.getSpec();
    if ("ExternalName".equals(spec.getType())) return List.of();
    String clusterIp = spec.getClusterIp();
    if ("None".equals(clusterIp)) clusterIp = "";
    int affinity = 0;
    if ("ClientIP".equals(spec.getSessionAffinity())) {
      int t = spec.getSessionAffinityConfig().getClientIp().getTimeoutSeconds();
      affinity = t > 0 ? t : DEFAULT_AFFINITY_SECONDS;
    }
    boolean externalLocal = "Local".equals(spec.getExternalTrafficPolicy());
    boolean internalLocal = "Local".equals(spec.getInternalTrafficPolicy());
    List<ServicePortRule> out = new ArrayList<>();
    for (ServicePort sp : spec.getPortsList()) {
      if (clusterIp.isEmpty() && sp.getNodePort() == 0) continue;
      Protocol protocol = Protocol.of(sp.getProtocol());
      List<Endpoint> endpoints = new ArrayList<>();
      for (Backend b : backends) {
        for (EndpointPort ep : b.getPortsList()) {
          if (ep.getName().equals(sp.getName()) && Protocol.of(ep.getProtocol()) == protocol) {
            endpoints.add(new Endpoint(b.getIp(), ep.getPort(), b.getNodeName(), b.getReady(), b.getServing(), b.getTerminating()));
          }
        }
      }
      out.add(new ServicePortRule(
          new ServicePortName(s.getMetadata().getNamespace(), s.getMetadata().getName(), sp.getName()),
          protocol, clusterIp, sp.getPort(), sp.getNodePort(), externalLocal, internalLocal, affinity, endpoints));
    }
    return out;
  }
}
