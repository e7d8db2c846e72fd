package io.svcplane.core.allocation;

import io.svcplane.core.validation.NameRules;

/**
 * An IPv4 service range such as {@code 10.96.0.0/16}. As in Kubernetes, its network address
 * (the first) and its broadcast address (the last) are never handed out, so a /29 holds 6
 * ClusterIPs.
 */
public record ServiceCidr(int network, int prefixLength) {
  public static final String DEFAULT = "10.96.0.0/16";

  public ServiceCidr {
    if (prefixLength < 8 || prefixLength > 30) {
      throw new IllegalArgumentException("service CIDR prefix length must be between 8 and 30, got /" + prefixLength);
    }
    int mask = mask(prefixLength);
    if ((network & ~mask) != 0) {
      throw new IllegalArgumentException("service CIDR " + ipString(network) + "/" + prefixLength
          + " has host bits set; did you mean " + ipString(network & mask) + "/" + prefixLength + "?");
    }
  }

  /** Parses {@code a.b.c.d/n}. */
  public static ServiceCidr parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("not a CIDR (a.b.c.d/n): \"" + text + "\"");
    String ip = text.substring(0, slash);
    if (!NameRules.isIpv4(ip)) throw new IllegalArgumentException("not an IPv4 CIDR: \"" + text + "\"");
    int prefix;
    try {
      prefix = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a CIDR prefix length: \"" + text + "\"");
    }
    return new ServiceCidr(ipInt(ip), prefix);
  }

  /** Number of addresses in the range, reserved ones included. */
  public int size() {
    return 1 << (32 - prefixLength);
  }

  /** Offset of an address inside the range, or -1 when outside. */
  public int offsetOf(int ip) {
    return (ip & mask(prefixLength)) == network ? ip - network : -1;
  }

  /** True for the network and broadcast addresses, which are never allocated. */
  public boolean isReserved(int offset) {
    return offset == 0 || offset == size() - 1;
  }

  public String address(int offset) {
    return ipString(network + offset);
  }

  static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  /** The address as an int; the caller has checked it is dotted IPv4. */
  public static int ipInt(String ip) {
    String[] p = ip.split("\\.");
    return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8) | Integer.parseInt(p[3]);
  }

  public static String ipString(int ip) {
    return ((ip >>> 24) & 255) + "." + ((ip >>> 16) & 255) + "." + ((ip >>> 8) & 255) + "." + (ip & 255);
  }

  @Override
  public String toString() {
    return ipString(network) + "/" + prefixLength;
  }
}
