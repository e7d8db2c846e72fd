package io.svcplane.core.forwarding;

import java.util.ArrayList;
import java.util.List;

/**
 * What every node proxy does for one service port, whatever its backend (userspace, nftables):
 * where traffic arrives (ClusterIP:port, any node address at nodePort) and which endpoints a new
 * connection may go to.
 *
 * @param clusterIp the service's virtual IP; empty when it has none (headless)
 * @param nodePort the port on node addresses; 0 when the service has none
 * @param externalLocal externalTrafficPolicy Local: NodePort traffic only to this node's endpoints
 * @param internalLocal internalTrafficPolicy Local: ClusterIP traffic only to this node's endpoints
 * @param affinitySeconds ClientIP session affinity timeout; 0 for none (random per connection)
 * @param endpoints every endpoint, sorted
 */
public record ServicePortRule(
    ServicePortName name,
    Protocol protocol,
    String clusterIp,
    int port,
    int nodePort,
    boolean externalLocal,
    boolean internalLocal,
    int affinitySeconds,
    List<Endpoint> endpoints) {

  public ServicePortRule {
    endpoints = List.copyOf(endpoints.stream().sorted().toList());
  }

  /**
   * Endpoints a new connection may go to, as kube-proxy chooses them: the ready ones; if none is
   * ready, the serving terminating ones; only this node's when {@code localOnly}. Empty: refuse.
   */
  public List<Endpoint> usable(boolean localOnly, String node) {
    List<Endpoint> ready = new ArrayList<>();
    List<Endpoint> terminating = new ArrayList<>();
    for (Endpoint e : endpoints) {
      if (localOnly && !node.equals(e.nodeName())) continue;
      if (e.ready()) ready.add(e);
      else if (e.serving() && e.terminating()) terminating.add(e);
    }
    return ready.isEmpty() ? terminating : ready;
  }

  /** Endpoints for traffic to ClusterIP:port arriving at {@code node}. */
  public List<Endpoint> forClusterIp(String node) {
    return usable(internalLocal, node);
  }

  /** Endpoints for traffic to a node address at nodePort arriving at {@code node}. */
  public List<Endpoint> forNodePort(String node) {
    return usable(externalLocal, node);
  }

  public boolean hasClusterIp() {
    return !clusterIp.isEmpty();
  }

  public boolean hasNodePort() {
    return nodePort > 0;
  }
}
