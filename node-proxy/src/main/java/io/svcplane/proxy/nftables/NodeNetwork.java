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
    // The values go into nft scripts: bad ones must fail here, with a message a person can act on.
    for (String a : nodeAddresses) {
      if (!isIpv4(a)) {
        throw new IllegalArgumentException("node address: Invalid value: \"" + a
            + "\": the nftables backend needs an IPv4 address such as 10.0.0.1");
      }
    }
    if (!clusterCidr.isEmpty()) {
      String[] p = clusterCidr.split("/", -1);
      if (p.length != 2 || !isIpv4(p[0]) || !p[1].matches("\\d{1,2}") || Integer.parseInt(p[1]) > 32) {
        throw new IllegalArgumentException("cluster CIDR: Invalid value: \"" + clusterCidr
            + "\": must be an IPv4 CIDR such as 10.244.0.0/16");
      }
    }
  }

  static boolean isIpv4(String s) {
    String[] o = s.split("\\.", -1);
    if (o.length != 4) return false;
    for (String x : o) {
      if (!x.matches("\\d{1,3}") || Integer.parseInt(x) > 255) return false;
    }
    return true;
  }
}
