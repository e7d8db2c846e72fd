package io.svcplane.proxy.dns;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's names at one feed version: services by namespace, and the addresses that have a
 * PTR name. Immutable; the DNS server answers from one of these and swaps it atomically when the
 * proxy programs a new version.
 */
public final class ClusterNames {
  /** Before the first version: the server answers SERVFAIL, not NXDOMAIN, for cluster names. */
  public static final ClusterNames NONE = new ClusterNames(null, 0, Map.of());

  /** One namespace's services, and who owns each address ("svc" or "hostname.svc" under the namespace). */
  public record NamespaceNames(Map<String, ServiceRecords> services, Map<InetAddress, List<PtrTarget>> byAddress) {
    public static NamespaceNames of(Map<String, ServiceRecords> services) {
      Map<InetAddress, List<PtrTarget>> byAddress = new HashMap<>();
      for (ServiceRecords s : services.values()) {
        for (InetAddress ip : s.clusterIps()) {
          byAddress.computeIfAbsent(ip, k -> new ArrayList<>(1)).add(new PtrTarget(null, s.name(), s.namespace()));
        }
        for (ServiceRecords.EndpointName e : s.endpoints()) {
          byAddress.computeIfAbsent(e.ip(), k -> new ArrayList<>(1)).add(new PtrTarget(e.hostname(), s.name(), s.namespace()));
        }
      }
      byAddress.replaceAll((k, v) -> List.copyOf(v));
      return new NamespaceNames(Map.copyOf(services), Map.copyOf(byAddress));
    }
  }

  /** The owner of an address: a service (hostname null) or an endpoint of a headless service. */
  public record PtrTarget(String hostname, String service, String namespace) {}

  private final String version;
  private final long serial;
  private final Map<String, NamespaceNames> namespaces;

  ClusterNames(String version, long serial, Map<String, NamespaceNames> namespaces) {
    this.version = version;
    this.serial = serial;
    this.namespaces = namespaces;
  }

  /** The feed version these names reflect; null before the first. */
  public String version() {
    return version;
  }

  /** The zone's SOA serial: changes whenever the names do. */
  public long serial() {
    return serial;
  }

  public ServiceRecords service(String namespace, String name) {
    NamespaceNames ns = namespaces.get(namespace);
    return ns == null ? null : ns.services().get(name);
  }

  /** A namespace exists in DNS while it has a service. */
  public boolean hasNamespace(String namespace) {
    return namespaces.containsKey(namespace);
  }

  /** Who owns {@code ip}: services whose ClusterIP it is, and headless endpoints with it. */
  public List<PtrTarget> owners(InetAddress ip) {
    List<PtrTarget> out = null;
    for (NamespaceNames ns : namespaces.values()) {
      List<PtrTarget> t = ns.byAddress().get(ip);
      if (t == null) continue;
      if (out == null) out = new ArrayList<>(t.size());
      out.addAll(t);
    }
    return out == null ? List.of() : out;
  }

  public int serviceCount() {
    int n = 0;
    for (NamespaceNames ns : namespaces.values()) n += ns.services().size();
    return n;
  }
}
