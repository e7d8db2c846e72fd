package io.svcplane.svcctl.log;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.NodeAddress;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.diff.FieldChange;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.selector.LabelSelector;
import io.svcplane.eventlog.replay.HistoryReader;
import io.svcplane.eventlog.replay.PartitionRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * {@code svcctl history} output: a heading, then one row per event (version, time, event type)
 * with what changed under it, one change per line:
 *
 * <pre>
 * service/web in namespace shop: 3 events (svcplane.resources partition 2, Kafka at 127.0.0.1:9092)
 * VERSION   TIME                       EVENT      CHANGES
 * 12        2026-11-26T10:40:00.123Z   ADDED      type ClusterIP, clusterIP 10.96.0.12, ports 80/TCP, selector app=web
 * 57        2026-11-26T10:42:00.456Z   MODIFIED   spec.ports[0].port: 80 -> 8080
 * 90        2026-11-26T10:45:10.000Z   DELETED
 * </pre>
 *
 * Endpoints rows show the address move ({@code +10.244.1.5:80 -10.244.2.3:80}) and a
 * {@code caused by KIND/NS/NAME TYPE at TIME (resources P:O)} line.
 */
final class HistoryPrinter {
  private HistoryPrinter() {}

  static String print(HistoryReader.ObjectHistory h, String source) {
    ObjectKey key = h.key();
    StringBuilder out = new StringBuilder();
    StringJoiner where = new StringJoiner(", ");
    for (PartitionRef p : h.searched()) {
      if (p.topic() == LogTopic.ENDPOINTS || key.kind() != io.svcplane.api.v1.Kind.ENDPOINTS || where.length() == 0) {
        where.add(p.topic().topicName() + " partition " + p.partition());
      }
    }
    out.append(key.kindSlashName());
    if (Kinds.isNamespaced(key.kind())) out.append(" in namespace ").append(key.namespace());
    int n = h.entries().size();
    out.append(": ").append(n).append(n == 1 ? " event" : " events").append(" (").append(where).append(", ")
        .append(source).append(")\n");

    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"VERSION", "TIME", "EVENT", "CHANGES"});
    List<List<String>> details = new ArrayList<>();
    details.add(List.of());
    for (HistoryReader.Entry e : h.entries()) {
      List<String> lines = changes(e);
      String event = e.type().name() + (e.snapshot() ? "*" : "");
      rows.add(new String[] {e.version(), Times.full(e.time()), event, lines.isEmpty() ? "" : lines.get(0)});
      details.add(lines.size() > 1 ? lines.subList(1, lines.size()) : List.of());
    }
    int[] width = new int[3];
    for (String[] r : rows) for (int i = 0; i < 3; i++) width[i] = Math.max(width[i], r[i].length());
    String indent = " ".repeat(width[0] + width[1] + width[2] + 9);
    for (int i = 0; i < rows.size(); i++) {
      String[] r = rows.get(i);
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < 3; c++) line.append(pad(r[c], width[c] + 3));
      line.append(r[3]);
      out.append(line.toString().stripTrailing()).append('\n');
      for (String d : details.get(i)) out.append(indent).append(d).append('\n');
    }
    if (h.entries().stream().anyMatch(HistoryReader.Entry::snapshot)) {
      out.append("* the state at the export's --since: earlier events of the object are not in the file\n");
    }
    return out.toString();
  }

  private static List<String> changes(HistoryReader.Entry e) {
    List<String> lines = new ArrayList<>();
    boolean endpoints = e.addresses() != null;
    if (endpoints) {
      String move = e.previous() == null && e.addresses().isEmpty() ? "(no addresses)" : e.addresses().toString();
      lines.add(e.topic() == LogTopic.RESOURCES ? "written by a user (svcplane.resources): " + move : move);
    } else if (e.previous() == null && e.type() != EventType.DELETED) {
      String s = summary(e.object());
      if (!s.isEmpty()) lines.add(s);
    }
    for (FieldChange c : e.changes()) lines.add(c.toString());
    if (e.cause() != null) {
      HistoryReader.CauseInfo c = e.cause();
      String what = c.key().isEmpty() ? "a resource event" : c.key();
      lines.add("caused by " + what + " " + c.type() + " at " + Times.near(c.time(), e.time()) + " (" + c.position() + ")"
          + (c.inLog() || c.offset() < 0 ? "" : ": that record is not in this log"));
    }
    return lines;
  }

  /** What an object is, in one line, for the event that created it. */
  static String summary(Resource r) {
    List<String> parts = new ArrayList<>();
    switch (r.getObjectCase()) {
      case SERVICE -> {
        Service s = r.getService();
        String type = s.getSpec().getType().isEmpty() ? "ClusterIP" : s.getSpec().getType();
        parts.add("type " + type);
        if (!s.getSpec().getClusterIp().isEmpty()) parts.add("clusterIP " + s.getSpec().getClusterIp());
        if (!s.getSpec().getExternalName().isEmpty()) parts.add("externalName " + s.getSpec().getExternalName());
        List<String> ports = new ArrayList<>();
        for (ServicePort p : s.getSpec().getPortsList()) {
          String proto = p.getProtocol().isEmpty() ? "TCP" : p.getProtocol();
          String target = p.getTargetPort().isEmpty() || p.getTargetPort().equals(Integer.toString(p.getPort()))
              ? "" : "->" + p.getTargetPort();
          String node = p.getNodePort() == 0 ? "" : ":" + p.getNodePort();
          ports.add(p.getPort() + node + "/" + proto + target);
        }
        if (!ports.isEmpty()) parts.add("ports " + String.join(",", ports));
        if (!s.getSpec().hasSelector()) parts.add("no selector");
        else if (LabelSelector.selectorMap(s).isEmpty()) parts.add("selector {} (every pod)");
        else parts.add("selector " + labels(LabelSelector.selectorMap(s)));
      }
      case POD -> {
        Pod p = r.getPod();
        if (!p.getStatus().getPhase().isEmpty()) parts.add("phase " + p.getStatus().getPhase());
        if (!p.getStatus().getPodIp().isEmpty()) parts.add("podIP " + p.getStatus().getPodIp());
        for (PodCondition c : p.getStatus().getConditionsList()) {
          if (c.getType().equals("Ready")) parts.add("ready " + c.getStatus());
        }
        if (!p.getSpec().getNodeName().isEmpty()) parts.add("node " + p.getSpec().getNodeName());
        if (p.getMetadata().getLabelsCount() > 0) parts.add("labels " + labels(p.getMetadata().getLabelsMap()));
      }
      case NODE -> {
        for (NodeAddress a : r.getNode().getStatus().getAddressesList()) parts.add(a.getType() + " " + a.getAddress());
      }
      case NAMESPACE -> {
        if (!r.getNamespace().getStatus().getPhase().isEmpty()) parts.add("phase " + r.getNamespace().getStatus().getPhase());
      }
      case ENDPOINTS -> {
        List<String> ips = new ArrayList<>();
        r.getEndpoints().getSubsetsList().forEach(s -> s.getAddressesList().stream().map(EndpointAddress::getIp).forEach(ips::add));
        parts.add("addresses " + (ips.isEmpty() ? "<none>" : String.join(",", ips)));
      }
      default -> { }
    }
    return String.join(", ", parts);
  }

  private static String labels(Map<String, String> m) {
    StringJoiner j = new StringJoiner(",");
    new TreeMap<>(m).forEach((k, v) -> j.add(k + "=" + v));
    return j.toString();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
  }
}
