package io.svcplane.proxy;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.EndpointsDelta;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Service;
import io.svcplane.core.forwarding.ForwardingPlanner;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.ServiceBackends;
import io.svcplane.core.forwarding.ServicePortRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a node proxy knows: the services and backends the ProxyFeed sent, folded update by update,
 * and the forwarding table they plan to. Rules are re-planned only for the services an update
 * touched. Not thread-safe: the node guardian owns it.
 */
public final class ProxyState {
  private final Map<String, Service> services = new HashMap<>();
  private final Map<String, Map<String, Backend>> backends = new HashMap<>();
  private final Map<String, List<ServicePortRule>> rules = new TreeMap<>();
  private final Map<String, String> digests = new HashMap<>();
  private String version = "";
  private ForwardingTable table = ForwardingTable.EMPTY;

  /** Folds one update; throws IllegalArgumentException for an update that does not fit. */
  public void apply(ProxyUpdate u) {
    java.util.Set<String> touched = new java.util.HashSet<>();
    if (u.getSnapshot()) {
      touched.addAll(services.keySet());
      services.clear();
      backends.clear();
    }
    for (String key : u.getRemovedServicesList()) {
      services.remove(key);
      backends.remove(key);
      touched.add(key);
    }
    for (Service s : u.getServicesList()) {
      String key = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
      services.put(key, s);
      touched.add(key);
    }
    for (EndpointsDelta d : u.getEndpointsList()) {
      String key = d.getNamespace() + "/" + d.getName();
      if (!services.containsKey(key)) {
        throw new IllegalArgumentException("endpoints of " + key + " but no such service");
      }
      Map<String, Backend> m = backends.computeIfAbsent(key, k -> new LinkedHashMap<>());
      if (d.getReplace() || u.getSnapshot()) m.clear();
      for (String ip : d.getRemovedList()) m.remove(ip);
      for (Backend b : d.getUpsertedList()) m.put(b.getIp(), b);
      touched.add(key);
    }
    for (String key : touched) {
      Service s = services.get(key);
      if (s == null) {
        rules.remove(key);
        digests.remove(key);
      } else {
        var bs = backends.getOrDefault(key, Map.of()).values();
        rules.put(key, ForwardingPlanner.rulesOf(s, bs));
        digests.put(key, ServiceBackends.digest(s, bs));
      }
    }
    if (!touched.isEmpty()) {
      List<ServicePortRule> all = new ArrayList<>();
      rules.values().forEach(all::addAll);
      table = ForwardingTable.of(all);
    }
    version = u.getVersion();
  }

  public ForwardingTable table() {
    return table;
  }

  public String version() {
    return version;
  }

  /** "namespace/name" -> digest of every service held, for a resuming hello. */
  public Map<String, String> digests() {
    return Map.copyOf(digests);
  }

  public int serviceCount() {
    return services.size();
  }

  /** The service held as "namespace/name", or null. */
  public Service service(String key) {
    return services.get(key);
  }

  /** Every service held, as "namespace/name". */
  public java.util.Set<String> serviceKeys() {
    return java.util.Set.copyOf(services.keySet());
  }

  public List<Backend> backendsOf(String key) {
    return List.copyOf(backends.getOrDefault(key, Map.of()).values());
  }
}
