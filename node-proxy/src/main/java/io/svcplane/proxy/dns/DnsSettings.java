package io.svcplane.proxy.dns;

import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * The node proxy's DNS flags, checked: where it listens (UDP and TCP), the cluster domain, the
 * TTL of every answer, the optional upstream for names outside the cluster, and how many event
 * loops serve it.
 *
 * @param upstream null: names outside the cluster are REFUSED
 */
public record DnsSettings(InetAddress address, int port, Name clusterDomain, long ttl, InetSocketAddress upstream, int threads) {
  public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";
  public static final long DEFAULT_TTL = 5;
  /** DNS's port: the only one a C library's resolver (resolv.conf) asks. */
  public static final int DEFAULT_PORT = 53;

  public DnsSettings {
    if (port < 1 || port > 65535) throw new IllegalArgumentException(invalid("--dns-port", port, "must be between 1 and 65535, inclusive"));
    if (ttl < 0 || ttl > 3600) throw new IllegalArgumentException(invalid("--dns-ttl", ttl, "must be between 0 and 3600 seconds, inclusive"));
    if (threads <= 0) threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  }

  /** Parses the flags as given; messages name the flag, the value and the rule. */
  public static DnsSettings parse(String address, int port, String clusterDomain, long ttl, String upstream, int threads) {
    InetAddress at = ServiceRecords.literal(address);
    if (at == null) throw new IllegalArgumentException(invalid("--dns-address", address, "must be an IP address"));
    return new DnsSettings(at, port, domain(clusterDomain), ttl, upstream == null || upstream.isEmpty() ? null : upstream(upstream), threads);
  }

  /** "cluster.local" -> the absolute name "cluster.local."; a valid DNS name of at least one label. */
  static Name domain(String s) {
    String d = s.endsWith(".") ? s : s + ".";
    if (d.length() < 2 || !d.matches("([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+")) {
      throw new IllegalArgumentException(invalid("--cluster-domain", s,
          "must be lower case DNS labels separated by dots (a lowercase RFC 1123 subdomain, e.g. cluster.local)"));
    }
    try {
      return Name.fromString(d);
    } catch (TextParseException e) {
      throw new IllegalArgumentException(invalid("--cluster-domain", s, e.getMessage()));
    }
  }

  /** "HOST:PORT" or "HOST" (port 53), HOST an IP address: the upstream is never looked up by name. */
  static InetSocketAddress upstream(String s) {
    String host = s;
    int port = 53;
    int colon = s.lastIndexOf(':');
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) throw new IllegalArgumentException(invalid("--dns-upstream", s, "must be HOST:PORT with HOST an IP address"));
      host = s.substring(1, close);
      if (close + 1 < s.length()) {
        if (s.charAt(close + 1) != ':') throw new IllegalArgumentException(invalid("--dns-upstream", s, "must be HOST:PORT with HOST an IP address"));
        port = portOf(s, s.substring(close + 2));
      }
    } else if (colon > 0 && s.indexOf(':') == colon) {
      host = s.substring(0, colon);
      port = portOf(s, s.substring(colon + 1));
    }
    InetAddress ip = ServiceRecords.literal(host);
    if (ip == null) throw new IllegalArgumentException(invalid("--dns-upstream", s, "must be HOST:PORT with HOST an IP address"));
    return new InetSocketAddress(ip, port);
  }

  private static int portOf(String whole, String p) {
    try {
      int port = Integer.parseInt(p);
      if (port >= 1 && port <= 65535) return port;
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new IllegalArgumentException(invalid("--dns-upstream", whole, "port must be between 1 and 65535, inclusive"));
  }

  static String invalid(String flag, Object value, String rule) {
    String v = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    return flag + ": Invalid value: " + v + ": " + rule;
  }

  /**
   * Whether this process may listen on {@code port} at {@code address}, found by binding a UDP
   * socket there for a moment: false only when the kernel refuses with "Permission denied" (a
   * privileged port without root, CAP_NET_BIND_SERVICE or a lower
   * net.ipv4.ip_unprivileged_port_start). A port in use, or an address that is not local, counts
   * as allowed: the real bind then fails with a message that names the flag.
   */
  public static boolean mayListen(InetAddress address, int port) {
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(address, port))) {
      return true;
    } catch (BindException e) {
      return e.getMessage() == null || !e.getMessage().contains("Permission denied");
    } catch (SocketException e) {
      return true;
    }
  }

  public InetSocketAddress listen() {
    return new InetSocketAddress(address, port);
  }
}
