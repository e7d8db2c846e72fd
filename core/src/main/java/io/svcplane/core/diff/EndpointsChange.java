package io.svcplane.core.diff;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the address set of an Endpoints changed, as {@code ip:port} pairs: what answers "which
 * backends did traffic go to before and after". Not-ready addresses are marked, so a pod that
 * turns unready shows as {@code -10.244.1.5:80 +10.244.1.5:80(not ready)}.
 */
public record EndpointsChange(Set<String> added, Set<String> removed) {

  public static final String NOT_READY = "(not ready)";

  /**
   * @param before the previous Endpoints, or null if there were none
   * @param after the new Endpoints, or null if they are gone
   */
  public static EndpointsChange between(Endpoints before, Endpoints after) {
    Set<String> a = backends(before);
    Set<String> b = backends(after);
    Set<String> added = new TreeSet<>(b);
    added.removeAll(a);
    Set<String> removed = new TreeSet<>(a);
    removed.removeAll(b);
    return new EndpointsChange(added, removed);
  }

  /** Every {@code ip:port} of the Endpoints, not-ready ones suffixed with {@link #NOT_READY}. */
  public static Set<String> backends(Endpoints e) {
    Set<String> out = new TreeSet<>();
    if (e == null) return out;
    for (EndpointSubset s : e.getSubsetsList()) {
      List<String> ports = new ArrayList<>();
      for (EndpointPort p : s.getPortsList()) {
        String proto = p.getProtocol().isEmpty() || p.getProtocol().equals("TCP") ? "" : "/" + p.getProtocol();
        ports.add(p.getPort() + proto);
      }
      if (ports.isEmpty()) ports.add("");
      for (EndpointAddress addr : s.getAddressesList()) {
        for (String port : ports) out.add(hostPort(addr.getIp(), port));
      }
      for (EndpointAddress addr : s.getNotReadyAddressesList()) {
        for (String port : ports) out.add(hostPort(addr.getIp(), port) + NOT_READY);
      }
    }
    return out;
  }

  private static String hostPort(String ip, String port) {
    return port.isEmpty() ? ip : ip + ":" + port;
  }

  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty();
  }

  /** {@code +10.244.1.5:80 -10.244.2.3:80}, or {@code (addresses unchanged)}. */
  @Override
  public String toString() {
    if (isEmpty()) return "(addresses unchanged)";
    List<String> parts = new ArrayList<>();
    added.forEach(s -> parts.add("+" + s));
    removed.forEach(s -> parts.add("-" + s));
    return String.join(" ", parts);
  }
}
