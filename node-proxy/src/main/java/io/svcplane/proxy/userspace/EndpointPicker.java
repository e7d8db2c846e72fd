package io.svcplane.proxy.userspace;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ServicePortRule;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the endpoint of each new connection to one service port: at random among the usable
 * endpoints of the rule (ready ones, else serving terminating ones; only local ones under a Local
 * traffic policy), or, with ClientIP affinity, the endpoint the client last used within the
 * timeout while it is still usable. Immutable apart from the affinity table, which a port keeps
 * across endpoint changes. Safe to call from every event loop.
 */
final class EndpointPicker {
  private record Sticky(InetSocketAddress endpoint, long lastUsedNanos) {}

  private final InetSocketAddress[] clusterIp;
  private final InetSocketAddress[] nodePort;
  private final long affinityNanos;
  private final ConcurrentHashMap<InetAddress, Sticky> affinity;

  private EndpointPicker(InetSocketAddress[] clusterIp, InetSocketAddress[] nodePort, long affinityNanos,
      ConcurrentHashMap<InetAddress, Sticky> affinity) {
    this.clusterIp = clusterIp;
    this.nodePort = nodePort;
    this.affinityNanos = affinityNanos;
    this.affinity = affinity;
  }

  static EndpointPicker of(ServicePortRule rule, String node, EndpointPicker previous) {
    var table = previous != null && rule.affinitySeconds() > 0 ? previous.affinity : new ConcurrentHashMap<InetAddress, Sticky>();
    return new EndpointPicker(addresses(rule.forClusterIp(node)), addresses(rule.forNodePort(node)),
        rule.affinitySeconds() * 1_000_000_000L, table);
  }

  private static InetSocketAddress[] addresses(List<Endpoint> endpoints) {
    return endpoints.stream().map(e -> new InetSocketAddress(e.ip(), e.port())).toArray(InetSocketAddress[]::new);
  }

  boolean hasClusterIpEndpoints() {
    return clusterIp.length > 0;
  }

  boolean hasNodePortEndpoints() {
    return nodePort.length > 0;
  }

  /** The endpoint for a new connection from {@code client}, or null: refuse it. */
  InetSocketAddress pick(boolean viaNodePort, InetAddress client) {
    InetSocketAddress[] usable = viaNodePort ? nodePort : clusterIp;
    if (usable.length == 0) return null;
    if (affinityNanos == 0 || client == null) return usable[ThreadLocalRandom.current().nextInt(usable.length)];
    long now = System.nanoTime();
    Sticky s = affinity.get(client);
    if (s != null && now - s.lastUsedNanos() < affinityNanos && contains(usable, s.endpoint())) {
      affinity.put(client, new Sticky(s.endpoint(), now));
      return s.endpoint();
    }
    InetSocketAddress chosen = usable[ThreadLocalRandom.current().nextInt(usable.length)];
    affinity.put(client, new Sticky(chosen, now));
    if (affinity.size() > 65536) expire(now);
    return chosen;
  }

  private void expire(long now) {
    affinity.entrySet().removeIf(e -> now - e.getValue().lastUsedNanos() >= affinityNanos);
  }

  private static boolean contains(InetSocketAddress[] a, InetSocketAddress x) {
    for (InetSocketAddress e : a) {
      if (e.equals(x)) return true;
    }
    return false;
  }
}
