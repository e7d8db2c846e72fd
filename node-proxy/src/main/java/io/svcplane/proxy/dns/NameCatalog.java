package io.svcplane.proxy.dns;

import io.svcplane.api.v1.EndpointsDelta;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Service;
import io.svcplane.proxy.ProxyState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Follows the node proxy's state into DNS names: after each feed update is folded into the
 * {@link ProxyState}, re-derives the {@link ServiceRecords} of the services the update touched, and
 * on demand builds an immutable {@link ClusterNames} that re-indexes only the namespaces that
 * changed. Not thread-safe: the node guardian owns it, as it owns the state.
 */
public final class NameCatalog {
  private final Map<String, Map<String, ServiceRecords>> live = new HashMap<>();
  private final Map<String, ClusterNames.NamespaceNames> built = new HashMap<>();
  private final Set<String> dirty = new HashSet<>();
  private ClusterNames last = ClusterNames.NONE;
  private long serial;

  /** Re-reads from {@code state} every service {@code update} touched (all of them for a snapshot). */
  public void fold(ProxyUpdate update, ProxyState state) {
    Set<String> touched = new LinkedHashSet<>();
    if (update.getSnapshot()) {
      live.forEach((ns, services) -> services.keySet().forEach(name -> touched.add(ns + "/" + name)));
      touched.addAll(state.serviceKeys());
    }
    touched.addAll(update.getRemovedServicesList());
    for (Service s : update.getServicesList()) touched.add(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName());
    for (EndpointsDelta d : update.getEndpointsList()) touched.add(d.getNamespace() + "/" + d.getName());
    for (String key : touched) refresh(key, state);
  }

  private void refresh(String key, ProxyState state) {
    int slash = key.indexOf('/');
    if (slash < 0) return;
    // Names are DNS-1123 (lower case) already; lower-casing keeps lookups exact regardless.
    String ns = key.substring(0, slash).toLowerCase(java.util.Locale.ROOT);
    String name = key.substring(slash + 1).toLowerCase(java.util.Locale.ROOT);
    Service s = state.service(key);
    Map<String, ServiceRecords> services = live.get(ns);
    if (s == null) {
      if (services != null && services.remove(name) != null) {
        dirty.add(ns);
        if (services.isEmpty()) live.remove(ns);
      }
      return;
    }
    ServiceRecords records = ServiceRecords.of(s, state.backendsOf(key));
    if (services == null) {
      services = new HashMap<>();
      live.put(ns, services);
    }
    if (!records.equals(services.put(name, records))) dirty.add(ns);
  }

  /** The names as of now, labelled with the feed version they reflect. */
  public ClusterNames snapshot(String version) {
    if (dirty.isEmpty() && last != ClusterNames.NONE) {
      if (version.equals(last.version())) return last;
      last = new ClusterNames(version, last.serial(), Map.copyOf(built));
      return last;
    }
    for (String ns : dirty) {
      Map<String, ServiceRecords> services = live.get(ns);
      if (services == null) built.remove(ns);
      else built.put(ns, ClusterNames.NamespaceNames.of(services));
    }
    dirty.clear();
    // The SOA serial: seconds since the epoch, and always forward (as CoreDNS's is the last change).
    serial = Math.max(serial + 1, System.currentTimeMillis() / 1000) & 0xffffffffL;
    last = new ClusterNames(version, serial, Map.copyOf(built));
    return last;
  }
}
