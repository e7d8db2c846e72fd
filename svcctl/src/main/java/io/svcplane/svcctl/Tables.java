package io.svcplane.svcctl;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeAddress;
import io.svcplane.api.v1.NodeCondition;
import io.svcplane.api.v1.NodeProxyStatus;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.core.selector.LabelSelector;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The columns of {@code svcctl get} per kind, as kubectl's server-side table printers fill them
 * (pkg/printers/internalversion): same headers, same cell formats, same {@code <none>}s.
 */
final class Tables {
  private Tables() {}

  static List<String> header(Kind kind, boolean wide) {
    List<String> h = new ArrayList<>();
    switch (kind) {
      case SERVICE -> {
        h.addAll(List.of("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"));
        if (wide) h.add("SELECTOR");
      }
      case ENDPOINTS -> h.addAll(List.of("NAME", "ENDPOINTS", "AGE"));
      case POD -> {
        h.addAll(List.of("NAME", "READY", "STATUS", "RESTARTS", "AGE"));
        if (wide) h.addAll(List.of("IP", "NODE", "NOMINATED NODE", "READINESS GATES"));
      }
      case NODE -> {
        h.addAll(List.of("NAME", "STATUS", "PROGRAMMED", "LAG", "AGE"));
        if (wide) h.addAll(List.of("INTERNAL-IP", "EXTERNAL-IP", "MODE"));
      }
      case NAMESPACE -> h.addAll(List.of("NAME", "STATUS", "AGE"));
      default -> throw new IllegalArgumentException("no table for " + kind);
    }
    return h;
  }

  /** The cells of one object; NAME is the bare name (callers add a kind prefix when several kinds print). */
  static List<String> row(Resource r, boolean wide, Instant now) {
    return switch (r.getObjectCase()) {
      case SERVICE -> service(r.getService(), wide, now);
      case ENDPOINTS -> endpoints(r.getEndpoints(), now);
      case POD -> pod(r.getPod(), wide, now);
      case NODE -> node(r.getNode(), wide, now);
      case NAMESPACE -> namespace(r.getNamespace(), now);
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
  }

  static List<String> service(Service s, boolean wide, Instant now) {
    var spec = s.getSpec();
    String clusterIp = spec.getClusterIpsCount() > 0 ? spec.getClusterIps(0)
        : spec.getClusterIp().isEmpty() ? "<none>" : spec.getClusterIp();
    String ports = servicePorts(spec.getPortsList());
    List<String> row = new ArrayList<>(List.of(s.getMetadata().getName(), spec.getType(), clusterIp,
        externalIp(s, wide), ports.isEmpty() ? "<none>" : ports, HumanDuration.since(s.getMetadata().getCreationTimestamp(), now)));
    if (wide) row.add(formatLabels(selector(s)));
    return row;
  }

  /** kubectl's makePortString: {@code 80/TCP}, {@code 80:30550/TCP}, joined by commas. */
  static String servicePorts(List<ServicePort> ports) {
    List<String> pieces = new ArrayList<>();
    for (ServicePort p : ports) {
      String proto = protocol(p.getProtocol());
      pieces.add(p.getNodePort() > 0 ? p.getPort() + ":" + p.getNodePort() + "/" + proto : p.getPort() + "/" + proto);
    }
    return String.join(",", pieces);
  }

  /** kubectl's getServiceExternalIP. */
  static String externalIp(Service s, boolean wide) {
    var spec = s.getSpec();
    switch (spec.getType()) {
      case "ClusterIP", "NodePort", "" -> {
        return spec.getExternalIpsCount() > 0 ? String.join(",", spec.getExternalIpsList()) : "<none>";
      }
      case "LoadBalancer" -> {
        String lb = loadBalancerIngress(s, wide);
        if (spec.getExternalIpsCount() > 0) {
          List<String> all = new ArrayList<>();
          if (!lb.isEmpty()) all.addAll(List.of(lb.split(",")));
          all.addAll(spec.getExternalIpsList());
          return String.join(",", all);
        }
        return lb.isEmpty() ? "<pending>" : lb;
      }
      case "ExternalName" -> {
        return spec.getExternalName();
      }
      default -> {
        return "<unknown>";
      }
    }
  }

  private static String loadBalancerIngress(Service s, boolean wide) {
    java.util.TreeSet<String> result = new java.util.TreeSet<>();
    for (var ing : s.getStatus().getLoadBalancer().getIngressList()) {
      if (!ing.getIp().isEmpty()) result.add(ing.getIp());
      else if (!ing.getHostname().isEmpty()) result.add(ing.getHostname());
    }
    String r = String.join(",", result);
    if (!wide && r.length() > 16) r = r.substring(0, 13) + "...";
    return r;
  }

  static Map<String, String> selector(Service s) {
    return s.getSpec().hasSelector() ? LabelSelector.selectorMap(s) : Map.of();
  }

  /** apimachinery's labels.FormatLabels: sorted {@code k=v} joined by commas, {@code <none>} when empty. */
  static String formatLabels(Map<String, String> labels) {
    if (labels.isEmpty()) return "<none>";
    List<String> parts = new ArrayList<>();
    new TreeMap<>(labels).forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(",", parts);
  }

  static String protocol(String p) {
    return p.isEmpty() ? "TCP" : p;
  }

  static List<String> endpoints(Endpoints e, Instant now) {
    return List.of(e.getMetadata().getName(), formatEndpoints(e, null),
        HumanDuration.since(e.getMetadata().getCreationTimestamp(), now));
  }

  /**
   * kubectl's formatEndpoints: ready {@code ip:port} pairs (only ports named in {@code portNames}
   * when given), at most three, then {@code + N more...}; {@code <none>} when there are none.
   */
  static String formatEndpoints(Endpoints e, Set<String> portNames) {
    if (e == null || e.getSubsetsCount() == 0) return "<none>";
    List<String> list = new ArrayList<>();
    final int max = 3;
    boolean more = false;
    int count = 0;
    for (EndpointSubset ss : e.getSubsetsList()) {
      if (ss.getPortsCount() == 0) {
        count += ss.getAddressesCount();
        for (EndpointAddress a : ss.getAddressesList()) {
          if (list.size() == max) {
            more = true;
            break;
          }
          list.add(a.getIp());
        }
        continue;
      }
      for (EndpointPort port : ss.getPortsList()) {
        if (portNames != null && !portNames.contains(port.getName())) continue;
        count += ss.getAddressesCount();
        for (EndpointAddress a : ss.getAddressesList()) {
          if (list.size() == max) {
            more = true;
            break;
          }
          list.add(hostPort(a.getIp(), port.getPort()));
        }
      }
    }
    String ret = String.join(",", list);
    if (more) return ret + " + " + (count - max) + " more...";
    return ret.isEmpty() ? "<none>" : ret;
  }

  private static String hostPort(String ip, int port) {
    return ip.contains(":") ? "[" + ip + "]:" + port : ip + ":" + port;
  }

  static List<String> pod(Pod p, boolean wide, Instant now) {
    var status = p.getStatus();
    String reason = status.getReason().isEmpty() ? status.getPhase() : status.getReason();
    String phase = status.getPhase();
    boolean terminal = phase.equals("Succeeded") || phase.equals("Failed");
    if (p.getMetadata().hasDeletionTimestamp() && status.getReason().equals("NodeLost")) {
      reason = "Unknown";
    } else if (p.getMetadata().hasDeletionTimestamp() && !terminal) {
      reason = "Terminating";
    }
    int total = p.getSpec().getContainersCount();
    // No kubelet, so no container statuses: every container counts as ready and running while the
    // pod is Running with its Ready condition True (what a kubelet would report for such a pod).
    int ready = phase.equals("Running") && podReady(p) ? total : 0;
    List<String> row = new ArrayList<>(List.of(p.getMetadata().getName(), ready + "/" + total, reason, "0",
        HumanDuration.since(p.getMetadata().getCreationTimestamp(), now)));
    if (wide) {
      String ip = status.getPodIpsCount() > 0 ? status.getPodIps(0).getIp() : status.getPodIp();
      row.add(ip.isEmpty() ? "<none>" : ip);
      row.add(p.getSpec().getNodeName().isEmpty() ? "<none>" : p.getSpec().getNodeName());
      row.add("<none>");
      row.add("<none>");
    }
    return row;
  }

  static boolean podReady(Pod p) {
    for (PodCondition c : p.getStatus().getConditionsList()) {
      if (c.getType().equals("Ready")) return c.getStatus().equals("True");
    }
    return false;
  }

  static List<String> node(Node n, boolean wide, Instant now) {
    List<String> row = new ArrayList<>(List.of(n.getMetadata().getName(), nodeStatus(n), programmed(n), lag(n),
        HumanDuration.since(n.getMetadata().getCreationTimestamp(), now)));
    if (wide) {
      row.add(nodeAddress(n, "InternalIP"));
      row.add(nodeAddress(n, "ExternalIP"));
      String mode = n.getStatus().hasProxy() ? n.getStatus().getProxy().getMode() : "";
      row.add(mode.isEmpty() ? "<none>" : mode);
    }
    return row;
  }

  /** kubectl's node STATUS: Ready / NotReady from the Ready condition, Unknown without one. */
  static String nodeStatus(Node n) {
    List<String> status = new ArrayList<>();
    for (NodeCondition c : n.getStatus().getConditionsList()) {
      if (c.getType().equals("Ready")) {
        status.add(c.getStatus().equals("True") ? "Ready" : "NotReady");
        break;
      }
    }
    if (status.isEmpty()) status.add("Unknown");
    if (n.getSpec().getUnschedulable()) status.add("SchedulingDisabled");
    return String.join(",", status);
  }

  /**
   * PROGRAMMED: {@code yes} when the node's proxy has ACKed the apiserver's newest version,
   * {@code no} while it is behind (or has never programmed), {@code <none>} when no proxy has
   * reported for the node.
   */
  static String programmed(Node n) {
    if (!hasProxyReport(n)) return "<none>";
    NodeProxyStatus p = n.getStatus().getProxy();
    if (p.getProgrammedVersion().isEmpty()) return "no";
    return p.getLagEvents() == 0 ? "yes" : "no";
  }

  /** LAG: {@code 0} when caught up, else {@code N events/S.Ss} (events behind / age of the oldest unACKed). */
  static String lag(Node n) {
    if (!hasProxyReport(n)) return "<none>";
    NodeProxyStatus p = n.getStatus().getProxy();
    if (p.getLagEvents() == 0) return "0";
    String events = p.getLagEvents() == 1 ? "1 event" : p.getLagEvents() + " events";
    return events + "/" + String.format(Locale.ROOT, "%.1fs", p.getLagSeconds());
  }

  /** Whether any proxy has reported for the node (the apiserver sends an empty status otherwise). */
  static boolean hasProxyReport(Node n) {
    if (!n.getStatus().hasProxy()) return false;
    NodeProxyStatus p = n.getStatus().getProxy();
    return p.getConnected() || !p.getProgrammedVersion().isEmpty() || !p.getMode().isEmpty();
  }

  static String nodeAddress(Node n, String type) {
    for (NodeAddress a : n.getStatus().getAddressesList()) {
      if (a.getType().equals(type)) return a.getAddress();
    }
    return "<none>";
  }

  static List<String> namespace(Namespace ns, Instant now) {
    return List.of(ns.getMetadata().getName(), ns.getStatus().getPhase(),
        HumanDuration.since(ns.getMetadata().getCreationTimestamp(), now));
  }
}
