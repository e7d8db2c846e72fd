package io.svcplane.proxy.nftables;

import java.util.List;

/**
 * What the ruleset must know about the node besides its forwarding table.
 *
 * @param nodeName the node's name, as in {@code Endpoint.nodeName()}: Local traffic policies keep
 *     only endpoints on this node
 * @param nodeAddresses the IPv4 addresses NodePorts answer on
 * @param clusterCidr the pod network (kube-proxy's {@code --cluster-cidr}), e.g. "10.244.0.0/16":
 *     ClusterIP traffic from outside it is masqueraded so that replies come back through this node.
 *     Empty when unknown: then all ClusterIP traffic is masqueraded (correct, but pods lose the
 *     client's address)
 */
public record NodeNetwork(String nodeName, List<String> nodeAddresses, String clusterCidr) {
  public NodeNetwork {
    nodeAddresses = List.copyOf(nodeAddresses);
    clusterCidr = clusterCidr == null ? "" : clusterCidr;
  }
}
