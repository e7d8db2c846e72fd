package io.svcplane.proxy.nftables;

import io.svcplane.core.forwarding.Protocol;

/**
 * The named sets and maps of the {@code ip svcplane} table. Endpoint maps are flat, one per
 * protocol (and one more per protocol for service ports whose endpoints listen on different
 * ports), keyed by the service's address, port and slot: their size does not depend on how many
 * endpoints a service has, and a change to one service is a few element updates. (kube-proxy's
 * shape, an anonymous numgen map per service chain, costs the kernel far more to load at 10,000
 * services.)
 */
public enum NftSet {
  /** Every ClusterIP: what is still addressed to one after DNAT is rejected. */
  CLUSTER_IPS("cluster-ips", "type ipv4_addr", Kind.STATIC),
  /** The node addresses NodePorts answer on. */
  NODEPORT_IPS("nodeport-ips", "type ipv4_addr", Kind.STATIC),
  /** NodePorts without usable endpoints on this node: rejected. */
  NO_ENDPOINT_NODEPORTS("no-endpoint-nodeports", "type inet_proto . inet_service", Kind.STATIC),
  /** {@code endpoint . endpoint} for endpoints that may talk to themselves through a service. */
  HAIRPIN("hairpin", "type ipv4_addr . ipv4_addr", Kind.STATIC),
  /** ClusterIP . protocol . port to the chain that picks an endpoint. */
  SERVICE_IPS("service-ips", "type ipv4_addr . inet_proto . inet_service : verdict", Kind.STATIC),
  /** Protocol . NodePort to the chain that picks an endpoint. */
  SERVICE_NODEPORTS("service-nodeports", "type inet_proto . inet_service : verdict", Kind.STATIC),
  TCP_ENDPOINTS("tcp-endpoints", endpointsType("tcp"), Kind.STATIC),
  UDP_ENDPOINTS("udp-endpoints", endpointsType("udp"), Kind.STATIC),
  SCTP_ENDPOINTS("sctp-endpoints", endpointsType("sctp"), Kind.STATIC),
  TCP_NODEPORT_ENDPOINTS("tcp-nodeport-endpoints", nodePortEndpointsType("tcp"), Kind.STATIC),
  UDP_NODEPORT_ENDPOINTS("udp-nodeport-endpoints", nodePortEndpointsType("udp"), Kind.STATIC),
  SCTP_NODEPORT_ENDPOINTS("sctp-nodeport-endpoints", nodePortEndpointsType("sctp"), Kind.STATIC),
  // Service ports whose endpoints listen on different ports (a named targetPort): the value carries the port.
  TCP_ENDPOINTS_MIXED_PORTS("tcp-endpoints-mixed-ports", endpointsMixedPortsType("tcp"), Kind.STATIC),
  UDP_ENDPOINTS_MIXED_PORTS("udp-endpoints-mixed-ports", endpointsMixedPortsType("udp"), Kind.STATIC),
  SCTP_ENDPOINTS_MIXED_PORTS("sctp-endpoints-mixed-ports", endpointsMixedPortsType("sctp"), Kind.STATIC),
  TCP_NODEPORT_ENDPOINTS_MIXED_PORTS("tcp-nodeport-endpoints-mixed-ports", nodePortEndpointsMixedPortsType("tcp"), Kind.STATIC),
  UDP_NODEPORT_ENDPOINTS_MIXED_PORTS("udp-nodeport-endpoints-mixed-ports", nodePortEndpointsMixedPortsType("udp"), Kind.STATIC),
  SCTP_NODEPORT_ENDPOINTS_MIXED_PORTS("sctp-nodeport-endpoints-mixed-ports", nodePortEndpointsMixedPortsType("sctp"), Kind.STATIC),
  TCP_AFFINITY("tcp-affinity", affinityType("tcp"), Kind.DYNAMIC),
  UDP_AFFINITY("udp-affinity", affinityType("udp"), Kind.DYNAMIC),
  SCTP_AFFINITY("sctp-affinity", affinityType("sctp"), Kind.DYNAMIC);

  /** STATIC: the planner owns every element. DYNAMIC: the kernel adds elements from packets. */
  enum Kind { STATIC, DYNAMIC }

  /** Upper bound of the affinity sets: how many (client, service port) pairs are remembered. */
  static final int AFFINITY_SIZE = 1 << 20;

  private final String setName;
  private final String type;
  private final Kind kind;

  NftSet(String setName, String type, Kind kind) {
    this.setName = setName;
    this.type = type;
    this.kind = kind;
  }

  // nft 1.0.6 quirks, found by trying: the numgen slot needs "typeof" (a plain "type" has no
  // 32-bit integer); a "typeof" whose value says "th dport" cannot be read back from the kernel,
  // so later transactions that add rules using the map fail, while "tcp dport" (same type,
  // inet_service) can; and a 5-part typeof with "meta l4proto" breaks "nft list". Hence one map
  // and one affinity set per protocol.
  private static String endpointsType(String p) {
    return "typeof ip daddr . " + p + " dport . numgen random mod 1 : ip daddr";
  }

  private static String nodePortEndpointsType(String p) {
    return "typeof " + p + " dport . numgen random mod 1 : ip daddr";
  }

  private static String endpointsMixedPortsType(String p) {
    return "typeof ip daddr . " + p + " dport . numgen random mod 1 : ip daddr . " + p + " dport";
  }

  private static String nodePortEndpointsMixedPortsType(String p) {
    return "typeof " + p + " dport . numgen random mod 1 : ip daddr . " + p + " dport";
  }

  private static String affinityType(String p) {
    return "typeof ip saddr . ip daddr . " + p + " dport . numgen random mod 1";
  }

  public String setName() {
    return setName;
  }

  /** The declaration line: "type ..." or "typeof ...". */
  public String type() {
    return type;
  }

  public boolean isMap() {
    return type.contains(" : ");
  }

  public boolean isDynamic() {
    return kind == Kind.DYNAMIC;
  }

  public static NftSet endpoints(Protocol p) {
    return switch (p) {
      case TCP -> TCP_ENDPOINTS;
      case UDP -> UDP_ENDPOINTS;
      case SCTP -> SCTP_ENDPOINTS;
    };
  }

  public static NftSet nodePortEndpoints(Protocol p) {
    return switch (p) {
      case TCP -> TCP_NODEPORT_ENDPOINTS;
      case UDP -> UDP_NODEPORT_ENDPOINTS;
      case SCTP -> SCTP_NODEPORT_ENDPOINTS;
    };
  }

  public static NftSet endpointsMixedPorts(Protocol p) {
    return switch (p) {
      case TCP -> TCP_ENDPOINTS_MIXED_PORTS;
      case UDP -> UDP_ENDPOINTS_MIXED_PORTS;
      case SCTP -> SCTP_ENDPOINTS_MIXED_PORTS;
    };
  }

  public static NftSet nodePortEndpointsMixedPorts(Protocol p) {
    return switch (p) {
      case TCP -> TCP_NODEPORT_ENDPOINTS_MIXED_PORTS;
      case UDP -> UDP_NODEPORT_ENDPOINTS_MIXED_PORTS;
      case SCTP -> SCTP_NODEPORT_ENDPOINTS_MIXED_PORTS;
    };
  }

  public static NftSet affinity(Protocol p) {
    return switch (p) {
      case TCP -> TCP_AFFINITY;
      case UDP -> UDP_AFFINITY;
      case SCTP -> SCTP_AFFINITY;
    };
  }
}
