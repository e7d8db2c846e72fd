package io.svcplane.core.validation;

import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeAddress;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Kubernetes' validation of the five kinds (after {@link ResourceDefaults}), with Kubernetes'
 * field paths and messages. Checks that need the cluster's state (a nodePort inside the range and
 * free, a clusterIP inside the CIDR and free, the namespace existing) belong to the apiserver's
 * allocation step, not here.
 */
public final class ResourceValidator {
  private ResourceValidator() {}

  static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");
  static final List<String> SERVICE_TYPES = List.of("ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
  static final List<String> AFFINITIES = List.of("ClientIP", "None");
  static final List<String> TRAFFIC_POLICIES = List.of("Cluster", "Local");
  static final List<String> IP_FAMILY_POLICIES = List.of("PreferDualStack", "RequireDualStack", "SingleStack");
  static final List<String> IP_FAMILIES = List.of("IPv4", "IPv6");
  static final List<String> POD_PHASES = List.of("Failed", "Pending", "Running", "Succeeded", "Unknown");
  static final List<String> CONDITION_STATUSES = List.of("False", "True", "Unknown");
  static final List<String> NODE_ADDRESS_TYPES = List.of("ExternalDNS", "ExternalIP", "Hostname", "InternalDNS", "InternalIP");
  static final int MAX_CLIENT_IP_TIMEOUT = 86400;
  static final int TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

  /** Errors of an object being created (or the result of an update), empty if it is valid. */
  public static List<FieldError> validate(Resource r) {
    List<FieldError> errs = new ArrayList<>();
    Kind kind = Kinds.kindOf(r);
    meta(kind, Kinds.metadata(r), errs);
    switch (kind) {
      case SERVICE -> service(r.getService(), errs);
      case POD -> pod(r.getPod(), errs);
      case ENDPOINTS -> endpoints(r.getEndpoints(), errs);
      case NODE -> node(r.getNode(), errs);
      case NAMESPACE -> namespace(r.getNamespace(), errs);
      default -> throw new IllegalArgumentException("no kind: " + kind);
    }
    return errs;
  }

  /** Errors of replacing {@code old} by {@code next}: those of {@link #validate} plus immutable fields. */
  public static List<FieldError> validateUpdate(Resource next, Resource old) {
    List<FieldError> errs = validate(next);
    if (next.hasService() && old.hasService()) {
      ServiceSpec n = next.getService().getSpec();
      ServiceSpec o = old.getService().getSpec();
      boolean bothUseClusterIp = !n.getType().equals("ExternalName") && !o.getType().equals("ExternalName");
      if (bothUseClusterIp && !o.getClusterIp().isEmpty() && !n.getClusterIp().equals(o.getClusterIp())) {
        errs.add(FieldError.invalid("spec.clusterIPs[0]", List.copyOf(n.getClusterIpsList().isEmpty()
            ? List.of(n.getClusterIp()) : n.getClusterIpsList()), "may not change once set"));
      }
    }
    return errs;
  }

  // ---- metadata ---------------------------------------------------------------------------------

  static void meta(Kind kind, ObjectMeta m, List<FieldError> errs) {
    String name = m.getName();
    if (name.isEmpty()) {
      errs.add(FieldError.required("metadata.name", "name or generateName is required"));
    } else {
      List<String> msgs = switch (kind) {
        case SERVICE -> NameRules.dns1035Label(name);
        case NAMESPACE -> NameRules.dns1123Label(name);
        default -> NameRules.dns1123Subdomain(name);
      };
      msgs.forEach(msg -> errs.add(FieldError.invalid("metadata.name", name, msg)));
    }
    if (Kinds.isNamespaced(kind)) {
      if (m.getNamespace().isEmpty()) errs.add(FieldError.required("metadata.namespace", ""));
      else NameRules.dns1123Label(m.getNamespace())
          .forEach(msg -> errs.add(FieldError.invalid("metadata.namespace", m.getNamespace(), msg)));
    }
    labels(m.getLabelsMap(), "metadata.labels", errs);
    annotations(m.getAnnotationsMap(), errs);
  }

  public static void labels(Map<String, String> labels, String path, List<FieldError> errs) {
    for (var e : new TreeMap<>(labels).entrySet()) {
      NameRules.qualifiedName(e.getKey()).forEach(msg -> errs.add(FieldError.invalid(path, e.getKey(), msg)));
      NameRules.labelValue(e.getValue()).forEach(msg -> errs.add(FieldError.invalid(path, e.getValue(), msg)));
    }
  }

  static void annotations(Map<String, String> annotations, List<FieldError> errs) {
    long size = 0;
    for (var e : new TreeMap<>(annotations).entrySet()) {
      NameRules.qualifiedName(e.getKey().toLowerCase(java.util.Locale.ROOT))
          .forEach(msg -> errs.add(FieldError.invalid("metadata.annotations", e.getKey(), msg)));
      size += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
      errs.add(FieldError.tooLong("metadata.annotations", "must have at most " + TOTAL_ANNOTATION_SIZE_LIMIT + " bytes"));
    }
  }

  // ---- Service ----------------------------------------------------------------------------------

  static void service(Service svc, List<FieldError> errs) {
    ServiceSpec s = svc.getSpec();
    String type = s.getType();
    boolean externalName = type.equals("ExternalName");
    boolean headless = s.getClusterIp().equals("None");
    boolean nodePorts = type.equals("NodePort") || type.equals("LoadBalancer");
    if (!SERVICE_TYPES.contains(type)) errs.add(FieldError.notSupported("spec.type", type, SERVICE_TYPES));

    if (s.getPortsCount() == 0 && !headless && !externalName) errs.add(FieldError.required("spec.ports", ""));
    Set<String> names = new HashSet<>();
    Set<String> portKeys = new HashSet<>();
    Set<String> nodePortKeys = new HashSet<>();
    boolean requireName = s.getPortsCount() > 1;
    for (int i = 0; i < s.getPortsCount(); i++) {
      ServicePort p = s.getPorts(i);
      String path = "spec.ports[" + i + "]";
      if (requireName && p.getName().isEmpty()) {
        errs.add(FieldError.required(path + ".name", ""));
      } else if (!p.getName().isEmpty()) {
        NameRules.dns1123Label(p.getName()).forEach(msg -> errs.add(FieldError.invalid(path + ".name", p.getName(), msg)));
        if (!names.add(p.getName())) errs.add(FieldError.duplicate(path + ".name", p.getName()));
      }
      NameRules.portNumber(p.getPort()).forEach(msg -> errs.add(FieldError.invalid(path + ".port", p.getPort(), msg)));
      protocol(p.getProtocol(), path + ".protocol", errs);
      // A targetPort defaulted from an invalid port would only repeat the port's error.
      boolean repeatsPort = p.getTargetPort().equals(Integer.toString(p.getPort())) && !NameRules.portNumber(p.getPort()).isEmpty();
      if (!repeatsPort) targetPort(p.getTargetPort(), path + ".targetPort", errs);
      if (p.getNodePort() != 0) {
        if (!nodePorts) {
          errs.add(FieldError.forbidden(path + ".nodePort", "may not be used when `type` is '" + type + "'"));
        } else {
          NameRules.portNumber(p.getNodePort())
              .forEach(msg -> errs.add(FieldError.invalid(path + ".nodePort", p.getNodePort(), msg)));
          if (!nodePortKeys.add(p.getNodePort() + "/" + p.getProtocol())) {
            errs.add(FieldError.duplicate(path + ".nodePort", p.getNodePort()));
          }
        }
      }
      if (!portKeys.add(p.getPort() + "/" + p.getProtocol())) {
        errs.add(FieldError.duplicate(path, p.getPort() + "/" + p.getProtocol()));
      }
    }

    if (externalName) {
      if (!s.getClusterIp().isEmpty() || s.getClusterIpsCount() > 0) {
        errs.add(FieldError.forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
      }
      String en = s.getExternalName();
      if (en.isEmpty()) {
        errs.add(FieldError.required("spec.externalName", ""));
      } else {
        String clean = en.endsWith(".") ? en.substring(0, en.length() - 1) : en;
        NameRules.dns1123Subdomain(clean).forEach(msg -> errs.add(FieldError.invalid("spec.externalName", en, msg)));
      }
    } else {
      if (!s.getExternalName().isEmpty()) {
        errs.add(FieldError.forbidden("spec.externalName", "may not be set unless `type` is 'ExternalName'"));
      }
      clusterIps(s, nodePorts, errs);
      if (!s.getIpFamilyPolicy().isEmpty() && !IP_FAMILY_POLICIES.contains(s.getIpFamilyPolicy())) {
        errs.add(FieldError.notSupported("spec.ipFamilyPolicy", s.getIpFamilyPolicy(), IP_FAMILY_POLICIES));
      } else if (s.getIpFamilyPolicy().equals("RequireDualStack")) {
        errs.add(FieldError.invalid("spec.ipFamilyPolicy", s.getIpFamilyPolicy(),
            "this cluster is not configured for dual-stack services"));
      }
      for (int i = 0; i < s.getIpFamiliesCount(); i++) {
        String f = s.getIpFamilies(i);
        if (!IP_FAMILIES.contains(f)) errs.add(FieldError.notSupported("spec.ipFamilies[" + i + "]", f, IP_FAMILIES));
        else if (!f.equals("IPv4")) errs.add(FieldError.invalid("spec.ipFamilies[" + i + "]", f, "not configured on this cluster"));
      }
      if (!s.getExternalTrafficPolicy().isEmpty() && !TRAFFIC_POLICIES.contains(s.getExternalTrafficPolicy())) {
        errs.add(FieldError.notSupported("spec.externalTrafficPolicy", s.getExternalTrafficPolicy(), TRAFFIC_POLICIES));
      }
      if (!s.getInternalTrafficPolicy().isEmpty() && !TRAFFIC_POLICIES.contains(s.getInternalTrafficPolicy())) {
        errs.add(FieldError.notSupported("spec.internalTrafficPolicy", s.getInternalTrafficPolicy(), TRAFFIC_POLICIES));
      }
    }

    if (!AFFINITIES.contains(s.getSessionAffinity())) {
      errs.add(FieldError.notSupported("spec.sessionAffinity", s.getSessionAffinity(), AFFINITIES));
    } else if (s.getSessionAffinity().equals("ClientIP")) {
      int t = s.getSessionAffinityConfig().getClientIp().getTimeoutSeconds();
      if (t <= 0 || t > MAX_CLIENT_IP_TIMEOUT) {
        errs.add(FieldError.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t,
            "must be greater than 0 and less than " + MAX_CLIENT_IP_TIMEOUT));
      }
    } else if (s.hasSessionAffinityConfig() && s.getSessionAffinityConfig().hasClientIp()) {
      errs.add(FieldError.invalid("spec.sessionAffinityConfig", "clientIP",
          "must not be set when session affinity is None"));
    }

    if (s.hasSelector()) {
      Map<String, String> sel = io.svcplane.core.selector.LabelSelector.selectorMap(svc);
      labels(sel, "spec.selector", errs);
    }
  }

  private static void clusterIps(ServiceSpec s, boolean nodePorts, List<FieldError> errs) {
    String ip = s.getClusterIp();
    if (s.getClusterIpsCount() > 1) {
      errs.add(FieldError.invalid("spec.clusterIPs", List.copyOf(s.getClusterIpsList()),
          "may only hold up to 1 values on a single-stack cluster"));
    }
    if (s.getClusterIpsCount() > 0 && !s.getClusterIps(0).equals(ip)) {
      errs.add(FieldError.invalid("spec.clusterIPs", List.copyOf(s.getClusterIpsList()), "first value must match `clusterIP`"));
    }
    if (ip.isEmpty()) return;
    if (ip.equals("None")) {
      if (nodePorts) {
        errs.add(FieldError.invalid("spec.clusterIPs[0]", ip, "may not be set to 'None' for " + s.getType() + " services"));
      }
      return;
    }
    NameRules.ip(ip).forEach(msg -> errs.add(FieldError.invalid("spec.clusterIPs[0]", ip, msg)));
  }

  private static void protocol(String protocol, String path, List<FieldError> errs) {
    if (protocol.isEmpty()) errs.add(FieldError.required(path, ""));
    else if (!PROTOCOLS.contains(protocol)) errs.add(FieldError.notSupported(path, protocol, PROTOCOLS));
  }

  /** Kubernetes' IntOrString: a number is a port number, anything else a container port name. */
  private static void targetPort(String target, String path, List<FieldError> errs) {
    if (target.chars().allMatch(Character::isDigit) && !target.isEmpty()) {
      long n = target.length() > 9 ? Long.MAX_VALUE : Long.parseLong(target);
      NameRules.portNumber(n).forEach(msg -> errs.add(FieldError.invalid(path, n == Long.MAX_VALUE ? target : (Object) (int) n, msg)));
    } else {
      NameRules.portName(target).forEach(msg -> errs.add(FieldError.invalid(path, target, msg)));
    }
  }

  // ---- Pod --------------------------------------------------------------------------------------

  static void pod(Pod pod, List<FieldError> errs) {
    var spec = pod.getSpec();
    if (spec.getContainersCount() == 0) errs.add(FieldError.required("spec.containers", ""));
    Set<String> containerNames = new HashSet<>();
    Set<String> portNames = new HashSet<>();
    containers(spec.getInitContainersList(), "spec.initContainers", containerNames, portNames, errs);
    containers(spec.getContainersList(), "spec.containers", containerNames, portNames, errs);
    if (!spec.getNodeName().isEmpty()) {
      NameRules.dns1123Subdomain(spec.getNodeName())
          .forEach(msg -> errs.add(FieldError.invalid("spec.nodeName", spec.getNodeName(), msg)));
    }
    if (!spec.getHostname().isEmpty()) {
      NameRules.dns1123Label(spec.getHostname())
          .forEach(msg -> errs.add(FieldError.invalid("spec.hostname", spec.getHostname(), msg)));
    }
    if (!spec.getSubdomain().isEmpty()) {
      NameRules.dns1123Label(spec.getSubdomain())
          .forEach(msg -> errs.add(FieldError.invalid("spec.subdomain", spec.getSubdomain(), msg)));
    }
    var status = pod.getStatus();
    if (!POD_PHASES.contains(status.getPhase())) {
      errs.add(FieldError.notSupported("status.phase", status.getPhase(), POD_PHASES));
    }
    if (!status.getPodIp().isEmpty()) {
      NameRules.ip(status.getPodIp()).forEach(msg -> errs.add(FieldError.invalid("status.podIP", status.getPodIp(), msg)));
    }
    for (int i = 0; i < status.getPodIpsCount(); i++) {
      String ip = status.getPodIps(i).getIp();
      String path = "status.podIPs[" + i + "].ip";
      NameRules.ip(ip).forEach(msg -> errs.add(FieldError.invalid(path, ip, msg)));
    }
    if (status.getPodIpsCount() > 0 && !status.getPodIps(0).getIp().equals(status.getPodIp())) {
      errs.add(FieldError.invalid("status.podIPs[0].ip", status.getPodIps(0).getIp(), "must match `podIP`"));
    }
    if (!status.getHostIp().isEmpty()) {
      NameRules.ip(status.getHostIp()).forEach(msg -> errs.add(FieldError.invalid("status.hostIP", status.getHostIp(), msg)));
    }
    for (int i = 0; i < status.getConditionsCount(); i++) {
      PodCondition c = status.getConditions(i);
      String path = "status.conditions[" + i + "]";
      if (c.getType().isEmpty()) errs.add(FieldError.required(path + ".type", "must be specified"));
      if (!CONDITION_STATUSES.contains(c.getStatus())) {
        errs.add(FieldError.notSupported(path + ".status", c.getStatus(), CONDITION_STATUSES));
      }
    }
  }

  private static void containers(List<Container> containers, String base, Set<String> containerNames,
      Set<String> portNames, List<FieldError> errs) {
    for (int c = 0; c < containers.size(); c++) {
      Container ct = containers.get(c);
      String path = base + "[" + c + "]";
      if (ct.getName().isEmpty()) {
        errs.add(FieldError.required(path + ".name", ""));
      } else {
        NameRules.dns1123Label(ct.getName()).forEach(msg -> errs.add(FieldError.invalid(path + ".name", ct.getName(), msg)));
        if (!containerNames.add(ct.getName())) errs.add(FieldError.duplicate(path + ".name", ct.getName()));
      }
      if (ct.getImage().isEmpty()) errs.add(FieldError.required(path + ".image", ""));
      for (int p = 0; p < ct.getPortsCount(); p++) {
        ContainerPort port = ct.getPorts(p);
        String pp = path + ".ports[" + p + "]";
        if (!port.getName().isEmpty()) {
          NameRules.portName(port.getName()).forEach(msg -> errs.add(FieldError.invalid(pp + ".name", port.getName(), msg)));
          if (!portNames.add(port.getName())) errs.add(FieldError.duplicate(pp + ".name", port.getName()));
        }
        if (port.getContainerPort() == 0) {
          errs.add(FieldError.required(pp + ".containerPort", ""));
        } else {
          NameRules.portNumber(port.getContainerPort())
              .forEach(msg -> errs.add(FieldError.invalid(pp + ".containerPort", port.getContainerPort(), msg)));
        }
        if (port.getHostPort() != 0) {
          NameRules.portNumber(port.getHostPort())
              .forEach(msg -> errs.add(FieldError.invalid(pp + ".hostPort", port.getHostPort(), msg)));
        }
        protocol(port.getProtocol(), pp + ".protocol", errs);
      }
    }
  }

  // ---- Endpoints, Node, Namespace ---------------------------------------------------------------

  static void endpoints(Endpoints ep, List<FieldError> errs) {
    for (int s = 0; s < ep.getSubsetsCount(); s++) {
      EndpointSubset ss = ep.getSubsets(s);
      String path = "subsets[" + s + "]";
      if (ss.getAddressesCount() == 0 && ss.getNotReadyAddressesCount() == 0) {
        errs.add(FieldError.required(path, "must specify `addresses` or `notReadyAddresses`"));
      }
      addresses(ss.getAddressesList(), path + ".addresses", errs);
      addresses(ss.getNotReadyAddressesList(), path + ".notReadyAddresses", errs);
      boolean requireName = ss.getPortsCount() > 1;
      for (int p = 0; p < ss.getPortsCount(); p++) {
        EndpointPort port = ss.getPorts(p);
        String pp = path + ".ports[" + p + "]";
        if (requireName && port.getName().isEmpty()) errs.add(FieldError.required(pp + ".name", ""));
        else if (!port.getName().isEmpty()) {
          NameRules.dns1123Label(port.getName()).forEach(msg -> errs.add(FieldError.invalid(pp + ".name", port.getName(), msg)));
        }
        NameRules.portNumber(port.getPort()).forEach(msg -> errs.add(FieldError.invalid(pp + ".port", port.getPort(), msg)));
        protocol(port.getProtocol(), pp + ".protocol", errs);
      }
    }
  }

  private static void addresses(List<EndpointAddress> addrs, String base, List<FieldError> errs) {
    for (int a = 0; a < addrs.size(); a++) {
      EndpointAddress ad = addrs.get(a);
      String path = base + "[" + a + "]";
      NameRules.ip(ad.getIp()).forEach(msg -> errs.add(FieldError.invalid(path + ".ip", ad.getIp(), msg)));
      if (!ad.getHostname().isEmpty()) {
        NameRules.dns1123Label(ad.getHostname()).forEach(msg -> errs.add(FieldError.invalid(path + ".hostname", ad.getHostname(), msg)));
      }
      if (!ad.getNodeName().isEmpty()) {
        NameRules.dns1123Subdomain(ad.getNodeName()).forEach(msg -> errs.add(FieldError.invalid(path + ".nodeName", ad.getNodeName(), msg)));
      }
    }
  }

  static void node(Node node, List<FieldError> errs) {
    for (int i = 0; i < node.getStatus().getAddressesCount(); i++) {
      NodeAddress a = node.getStatus().getAddresses(i);
      String path = "status.addresses[" + i + "]";
      if (!NODE_ADDRESS_TYPES.contains(a.getType())) errs.add(FieldError.notSupported(path + ".type", a.getType(), NODE_ADDRESS_TYPES));
      if (a.getAddress().isEmpty()) errs.add(FieldError.required(path + ".address", ""));
    }
    for (int i = 0; i < node.getStatus().getConditionsCount(); i++) {
      var c = node.getStatus().getConditions(i);
      String path = "status.conditions[" + i + "]";
      if (c.getType().isEmpty()) errs.add(FieldError.required(path + ".type", "must be specified"));
      if (!CONDITION_STATUSES.contains(c.getStatus())) errs.add(FieldError.notSupported(path + ".status", c.getStatus(), CONDITION_STATUSES));
    }
  }

  static void namespace(Namespace ns, List<FieldError> errs) {
    String phase = ns.getStatus().getPhase();
    if (!phase.equals("Active") && !phase.equals("Terminating")) {
      errs.add(FieldError.notSupported("status.phase", phase, List.of("Active", "Terminating")));
    }
  }
}
