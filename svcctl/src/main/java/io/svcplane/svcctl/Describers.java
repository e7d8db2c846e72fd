package io.svcplane.svcctl;

import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EnvVar;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeAddress;
import io.svcplane.api.v1.NodeCondition;
import io.svcplane.api.v1.NodeProxyStatus;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodIP;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code svcctl describe}: ports of kubectl's describers (staging/src/k8s.io/kubectl/pkg/describe)
 * for the kinds svcplane has, field for field and in the same order, written through the same
 * tab-aligned prefix writer so the layout matches. svcplane records no Events: every describer
 * that prints them in kubectl prints {@code Events: <none>}.
 */
final class Describers {
  private Describers() {}

  private static final DateTimeFormatter RFC1123Z =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US);
  private static final int MAX_ANNOTATION_LEN = 140;

  /** kubectl's PrefixWriter over a tabwriter(minwidth 0, padding 2). */
  private static final class Out {
    final StringBuilder buf = new StringBuilder();
    final TabWriter tw = TabWriter.forDescribe(buf);

    void w(int level, String text) {
      tw.write("  ".repeat(level) + text);
    }

    String done() {
      tw.flush();
      return buf.toString();
    }
  }

  static String service(Service s, Endpoints endpoints) {
    Out w = new Out();
    var spec = s.getSpec();
    w.w(0, "Name:\t" + s.getMetadata().getName() + "\n");
    w.w(0, "Namespace:\t" + s.getMetadata().getNamespace() + "\n");
    labels(w, "Labels", s.getMetadata().getLabelsMap());
    annotations(w, "Annotations", s.getMetadata().getAnnotationsMap());
    w.w(0, "Selector:\t" + Tables.formatLabels(Tables.selector(s)) + "\n");
    w.w(0, "Type:\t" + spec.getType() + "\n");
    if (!spec.getIpFamilyPolicy().isEmpty()) w.w(0, "IP Family Policy:\t" + spec.getIpFamilyPolicy() + "\n");
    w.w(0, "IP Families:\t" + (spec.getIpFamiliesCount() > 0 ? String.join(",", spec.getIpFamiliesList()) : "<none>") + "\n");
    w.w(0, "IP:\t" + spec.getClusterIp() + "\n");
    w.w(0, "IPs:\t" + (spec.getClusterIpsCount() > 0 ? String.join(",", spec.getClusterIpsList()) : "<none>") + "\n");
    if (spec.getExternalIpsCount() > 0) w.w(0, "External IPs:\t" + String.join(",", spec.getExternalIpsList()) + "\n");
    if (!spec.getLoadBalancerIp().isEmpty()) w.w(0, "Desired LoadBalancer IP:\t" + spec.getLoadBalancerIp() + "\n");
    if (!spec.getExternalName().isEmpty()) w.w(0, "External Name:\t" + spec.getExternalName() + "\n");
    if (s.getStatus().getLoadBalancer().getIngressCount() > 0) {
      List<String> ing = new ArrayList<>();
      for (var i : s.getStatus().getLoadBalancer().getIngressList()) ing.add(i.getIp().isEmpty() ? i.getHostname() : i.getIp());
      w.w(0, "LoadBalancer Ingress:\t" + String.join(", ", ing) + "\n");
    }
    for (ServicePort sp : spec.getPortsList()) {
      String name = sp.getName().isEmpty() ? "<unset>" : sp.getName();
      String proto = Tables.protocol(sp.getProtocol());
      w.w(0, "Port:\t" + name + "\t" + sp.getPort() + "/" + proto + "\n");
      String target = sp.getTargetPort().isEmpty() ? Integer.toString(sp.getPort()) : sp.getTargetPort();
      w.w(0, "TargetPort:\t" + target + "/" + proto + "\n");
      if (!sp.getAppProtocol().isEmpty()) w.w(0, "AppProtocol:\t" + sp.getAppProtocol() + "\n");
      if (sp.getNodePort() != 0) w.w(0, "NodePort:\t" + name + "\t" + sp.getNodePort() + "/" + proto + "\n");
      w.w(0, "Endpoints:\t" + Tables.formatEndpoints(endpoints, Set.of(sp.getName())) + "\n");
    }
    w.w(0, "Session Affinity:\t" + spec.getSessionAffinity() + "\n");
    if (!spec.getExternalTrafficPolicy().isEmpty()) {
      w.w(0, "External Traffic Policy:\t" + spec.getExternalTrafficPolicy() + "\n");
    }
    if (!spec.getInternalTrafficPolicy().isEmpty()) {
      w.w(0, "Internal Traffic Policy:\t" + spec.getInternalTrafficPolicy() + "\n");
    }
    if (spec.getHealthCheckNodePort() != 0) w.w(0, "HealthCheck NodePort:\t" + spec.getHealthCheckNodePort() + "\n");
    if (spec.getLoadBalancerSourceRangesCount() > 0) {
      w.w(0, "LoadBalancer Source Ranges:\t" + String.join(",", spec.getLoadBalancerSourceRangesList()) + "\n");
    }
    noEvents(w);
    return w.done();
  }

  static String endpoints(Endpoints e) {
    Out w = new Out();
    w.w(0, "Name:\t" + e.getMetadata().getName() + "\n");
    w.w(0, "Namespace:\t" + e.getMetadata().getNamespace() + "\n");
    labels(w, "Labels", e.getMetadata().getLabelsMap());
    annotations(w, "Annotations", e.getMetadata().getAnnotationsMap());
    w.w(0, "Subsets:\n");
    for (EndpointSubset ss : e.getSubsetsList()) {
      w.w(1, "Addresses:\t" + orNone(ips(ss.getAddressesList())) + "\n");
      w.w(1, "NotReadyAddresses:\t" + orNone(ips(ss.getNotReadyAddressesList())) + "\n");
      if (ss.getPortsCount() > 0) {
        w.w(1, "Ports:\n");
        w.w(2, "Name\tPort\tProtocol\n");
        w.w(2, "----\t----\t--------\n");
        for (EndpointPort p : ss.getPortsList()) {
          w.w(2, (p.getName().isEmpty() ? "<unset>" : p.getName()) + "\t" + p.getPort() + "\t" + p.getProtocol() + "\n");
        }
      }
      w.w(0, "\n");
    }
    noEvents(w);
    return w.done();
  }

  private static String ips(List<EndpointAddress> addresses) {
    List<String> ips = new ArrayList<>();
    for (EndpointAddress a : addresses) ips.add(a.getIp());
    return String.join(",", ips);
  }

  static String pod(Pod p, Instant now, ZoneId zone) {
    Out w = new Out();
    var meta = p.getMetadata();
    var spec = p.getSpec();
    var status = p.getStatus();
    w.w(0, "Name:\t" + meta.getName() + "\n");
    w.w(0, "Namespace:\t" + meta.getNamespace() + "\n");
    if (!spec.getServiceAccountName().isEmpty()) w.w(0, "Service Account:\t" + spec.getServiceAccountName() + "\n");
    w.w(0, spec.getNodeName().isEmpty() ? "Node:\t<none>\n" : "Node:\t" + spec.getNodeName() + "/" + status.getHostIp() + "\n");
    if (status.hasStartTime()) w.w(0, "Start Time:\t" + time(status.getStartTime(), zone) + "\n");
    labels(w, "Labels", meta.getLabelsMap());
    annotations(w, "Annotations", meta.getAnnotationsMap());
    String phase = status.getPhase();
    if (meta.hasDeletionTimestamp() && !phase.equals("Failed") && !phase.equals("Succeeded")) {
      w.w(0, "Status:\tTerminating (lasts " + HumanDuration.since(meta.getDeletionTimestamp(), now) + ")\n");
      w.w(0, "Termination Grace Period:\t" + meta.getDeletionGracePeriodSeconds() + "s\n");
    } else {
      w.w(0, "Status:\t" + phase + "\n");
    }
    if (!status.getReason().isEmpty()) w.w(0, "Reason:\t" + status.getReason() + "\n");
    if (!status.getMessage().isEmpty()) w.w(0, "Message:\t" + status.getMessage() + "\n");
    w.w(0, "IP:\t" + status.getPodIp() + "\n");
    List<String> podIps = new ArrayList<>();
    for (PodIP ip : status.getPodIpsList()) podIps.add(ip.getIp());
    if (podIps.isEmpty() && !status.getPodIp().isEmpty()) podIps.add(status.getPodIp());
    if (podIps.isEmpty()) {
      w.w(0, "IPs:\t<none>\n");
    } else {
      w.w(0, "IPs:\n");
      for (String ip : podIps) w.w(1, "IP:\t" + ip + "\n");
    }
    for (var ref : meta.getOwnerReferencesList()) {
      if (ref.getController()) w.w(0, "Controlled By:\t" + ref.getKind() + "/" + ref.getName() + "\n");
    }
    if (spec.getInitContainersCount() > 0) containers(w, "Init Containers", spec.getInitContainersList());
    containers(w, "Containers", spec.getContainersList());
    if (status.getConditionsCount() > 0) {
      w.w(0, "Conditions:\n  Type\tStatus\n");
      for (PodCondition c : status.getConditionsList()) w.w(1, c.getType() + " \t" + c.getStatus() + " \n");
    }
    w.w(0, "Volumes:\t<none>\n");
    w.w(0, "QoS Class:\t" + qosClass(p) + "\n");
    labels(w, "Node-Selectors", spec.getNodeSelectorMap());
    w.w(0, "Tolerations:\t<none>\n");
    noEvents(w);
    return w.done();
  }

  private static void containers(Out w, String label, List<Container> containers) {
    w.w(0, label + ":" + (containers.isEmpty() ? " <none>" : "") + "\n");
    for (Container c : containers) {
      w.w(1, c.getName() + ":\n");
      w.w(2, "Image:\t" + c.getImage() + "\n");
      List<String> ports = new ArrayList<>();
      List<String> hostPorts = new ArrayList<>();
      for (ContainerPort cp : c.getPortsList()) {
        String proto = Tables.protocol(cp.getProtocol());
        String suffix = cp.getName().isEmpty() ? "" : " (" + cp.getName() + ")";
        ports.add(cp.getContainerPort() + "/" + proto + suffix);
        hostPorts.add(cp.getHostPort() + "/" + proto + suffix);
      }
      String portString = String.join(", ", ports);
      String hostPortString = String.join(", ", hostPorts);
      w.w(2, (portString.contains(",") ? "Ports:\t" : "Port:\t") + orNone(portString) + "\n");
      w.w(2, (hostPortString.contains(",") ? "Host Ports:\t" : "Host Port:\t") + orNone(hostPortString) + "\n");
      if (c.getCommandCount() > 0) {
        w.w(2, "Command:\n");
        for (String s : c.getCommandList()) for (String line : s.split("\n", -1)) w.w(3, line + "\n");
      }
      if (c.getArgsCount() > 0) {
        w.w(2, "Args:\n");
        for (String s : c.getArgsList()) for (String line : s.split("\n", -1)) w.w(3, line + "\n");
      }
      if (c.hasResources()) {
        resourceList(w, "Limits", c.getResources().getLimitsMap());
        resourceList(w, "Requests", c.getResources().getRequestsMap());
      }
      w.w(2, "Environment:" + (c.getEnvCount() == 0 ? "\t<none>" : "") + "\n");
      for (EnvVar e : c.getEnvList()) {
        String[] lines = e.getValue().split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
          w.w(3, (i == 0 ? e.getName() + ":\t" : "\t") + lines[i] + "\n");
        }
      }
      w.w(2, "Mounts:\t<none>\n");
    }
  }

  private static void resourceList(Out w, String title, Map<String, String> list) {
    if (list.isEmpty()) return;
    w.w(2, title + ":\n");
    new TreeMap<>(list).forEach((k, v) -> w.w(3, k + ":\t" + v + "\n"));
  }

  /** Kubernetes' QoS class from container requests and limits. */
  static String qosClass(Pod p) {
    boolean any = false;
    boolean guaranteed = true;
    for (Container c : p.getSpec().getContainersList()) {
      var limits = c.getResources().getLimitsMap();
      var requests = c.getResources().getRequestsMap();
      if (!limits.isEmpty() || !requests.isEmpty()) any = true;
      for (String r : List.of("cpu", "memory")) {
        String limit = limits.get(r);
        String request = requests.getOrDefault(r, limit);
        if (limit == null || !limit.equals(request)) guaranteed = false;
      }
    }
    if (!any) return "BestEffort";
    return guaranteed ? "Guaranteed" : "Burstable";
  }

  static String node(Node n, List<Pod> podsOnNode, Instant now, ZoneId zone) {
    Out w = new Out();
    var meta = n.getMetadata();
    w.w(0, "Name:\t" + meta.getName() + "\n");
    List<String> roles = new ArrayList<>();
    meta.getLabelsMap().forEach((k, v) -> {
      if (k.startsWith("node-role.kubernetes.io/") && k.length() > "node-role.kubernetes.io/".length()) {
        roles.add(k.substring("node-role.kubernetes.io/".length()));
      } else if (k.equals("kubernetes.io/role") && !v.isEmpty()) {
        roles.add(v);
      }
    });
    roles.sort(null);
    w.w(0, "Roles:\t" + (roles.isEmpty() ? "<none>" : String.join(",", roles)) + "\n");
    labels(w, "Labels", meta.getLabelsMap());
    annotations(w, "Annotations", meta.getAnnotationsMap());
    w.w(0, "CreationTimestamp:\t" + time(meta.getCreationTimestamp(), zone) + "\n");
    w.w(0, "Taints:\t<none>\n");
    w.w(0, "Unschedulable:\t" + n.getSpec().getUnschedulable() + "\n");
    var status = n.getStatus();
    if (status.getConditionsCount() > 0) {
      w.w(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
      w.w(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
      for (NodeCondition c : status.getConditionsList()) {
        w.w(1, c.getType() + " \t" + c.getStatus() + " \t" + time(c.getLastHeartbeatTime(), zone) + " \t"
            + time(c.getLastTransitionTime(), zone) + " \t" + c.getReason() + " \t" + c.getMessage() + "\n");
      }
    }
    w.w(0, "Addresses:\n");
    for (NodeAddress a : status.getAddressesList()) w.w(1, a.getType() + ":\t" + a.getAddress() + "\n");
    if (!n.getSpec().getPodCidr().isEmpty()) w.w(0, "PodCIDR:\t" + n.getSpec().getPodCidr() + "\n");
    // svcplane's own section: what the node's proxy has programmed (kubectl has no equivalent).
    w.w(0, "Proxy:\n");
    if (!Tables.hasProxyReport(n)) {
      w.w(1, "Connected:\tfalse\n");
    } else {
      NodeProxyStatus p = status.getProxy();
      w.w(1, "Connected:\t" + p.getConnected() + "\n");
      w.w(1, "Mode:\t" + orNone(p.getMode()) + "\n");
      w.w(1, "Programmed:\t" + Tables.programmed(n) + "\n");
      w.w(1, "Programmed Version:\t" + orNone(p.getProgrammedVersion()) + "\n");
      w.w(1, "Lag:\t" + Tables.lag(n) + "\n");
      w.w(1, "Last ACK:\t" + (p.hasLastAckTime() ? time(p.getLastAckTime(), zone) : "<none>") + "\n");
      w.w(1, "Last Error:\t" + orNone(p.getLastError()) + "\n");
    }
    w.w(0, "Non-terminated Pods:\t(" + podsOnNode.size() + " in total)\n");
    if (!podsOnNode.isEmpty()) {
      w.w(1, "Namespace\tName\tAge\n");
      w.w(1, "---------\t----\t---\n");
      for (Pod p : podsOnNode) {
        w.w(1, p.getMetadata().getNamespace() + "\t" + p.getMetadata().getName() + "\t"
            + HumanDuration.since(p.getMetadata().getCreationTimestamp(), now) + "\n");
      }
    }
    noEvents(w);
    return w.done();
  }

  static String namespace(Namespace ns) {
    Out w = new Out();
    w.w(0, "Name:\t" + ns.getMetadata().getName() + "\n");
    labels(w, "Labels", ns.getMetadata().getLabelsMap());
    annotations(w, "Annotations", ns.getMetadata().getAnnotationsMap());
    w.w(0, "Status:\t" + ns.getStatus().getPhase() + "\n");
    return w.done();
  }

  private static void noEvents(Out w) {
    w.w(0, "Events:\t<none>\n");
  }

  /** kubectl's printLabelsMultiline: sorted {@code k=v}, one per line, aligned. */
  private static void labels(Out w, String title, Map<String, String> labels) {
    w.w(0, title + ":\t");
    if (labels.isEmpty()) {
      w.w(0, "<none>\n");
      return;
    }
    boolean first = true;
    for (var e : new TreeMap<>(labels).entrySet()) {
      if (!first) w.w(0, "\t");
      first = false;
      w.w(0, e.getKey() + "=" + e.getValue() + "\n");
    }
  }

  /** kubectl's printAnnotationsMultiline: {@code k: v}, long or multi-line values folded and cut. */
  private static void annotations(Out w, String title, Map<String, String> annotations) {
    w.w(0, title + ":\t");
    TreeMap<String, String> sorted = new TreeMap<>(annotations);
    sorted.remove("kubectl.kubernetes.io/last-applied-configuration");
    if (sorted.isEmpty()) {
      w.w(0, "<none>\n");
      return;
    }
    boolean first = true;
    for (var e : sorted.entrySet()) {
      if (!first) w.w(0, "\t");
      first = false;
      String value = e.getValue().endsWith("\n") ? e.getValue().substring(0, e.getValue().length() - 1) : e.getValue();
      if (value.length() + e.getKey().length() + 2 > MAX_ANNOTATION_LEN || value.contains("\n")) {
        w.w(0, e.getKey() + ":\n");
        for (String s : value.split("\n", -1)) {
          w.w(0, "\t  " + (s.length() > MAX_ANNOTATION_LEN - 2 ? s.substring(0, MAX_ANNOTATION_LEN - 2) + "..." : s) + "\n");
        }
      } else {
        w.w(0, e.getKey() + ": " + value + "\n");
      }
    }
  }

  private static String orNone(String s) {
    return s.isEmpty() ? "<none>" : s;
  }

  /** Go's time.RFC1123Z in the local zone, as kubectl prints timestamps; unset prints Go's zero time. */
  static String time(Timestamp ts, ZoneId zone) {
    if (ts.getSeconds() == 0 && ts.getNanos() == 0) return "Mon, 01 Jan 0001 00:00:00 +0000";
    return RFC1123Z.format(Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos()).atZone(zone));
  }
}
