package io.svcplane.proxy.dns;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.xbill.DNS.Address;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * What DNS says about one service, derived from the Service and its feed backends: its shape, its
 * ClusterIPs, its named ports, and (headless) the endpoints DNS publishes with their hostnames.
 * A value: equal records mean an unchanged answer, so the catalog skips them. Pure.
 */
public record ServiceRecords(String namespace, String name, Shape shape, List<InetAddress> clusterIps,
    Name externalName, List<NamedPort> ports, List<EndpointName> endpoints) {

  /** How the service's own name answers. */
  public enum Shape {
    /** A/AAAA with the ClusterIPs; SRV targets are the service name. */
    CLUSTER_IP,
    /** clusterIP None: A/AAAA per published endpoint; SRV targets are the endpoints' hostnames. */
    HEADLESS,
    /** A CNAME to spec.externalName. */
    EXTERNAL_NAME
  }

  /** A service port with a name (only named ports have SRV records); protocol in lower case. */
  public record NamedPort(String name, String protocol, int port) {}

  /**
   * An endpoint published by a headless service: its hostname label (the endpoint's hostname, or
   * its IP with dashes, as CoreDNS names endpoints without one) and its port per "name/protocol".
   */
  public record EndpointName(String hostname, InetAddress ip, Map<String, Integer> ports) {}

  public ServiceRecords {
    clusterIps = List.copyOf(clusterIps);
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
  }

  public static ServiceRecords of(Service service, Collection<Backend> backends) {
    var spec = service.getSpec();
    String ns = lower(service.getMetadata().getNamespace());
    String name = lower(service.getMetadata().getName());
    List<NamedPort> ports = new ArrayList<>();
    for (ServicePort p : spec.getPortsList()) {
      if (p.getName().isEmpty()) continue;
      ports.add(new NamedPort(lower(p.getName()), protocol(p.getProtocol()), p.getPort()));
    }
    if ("ExternalName".equals(spec.getType())) {
      return new ServiceRecords(ns, name, Shape.EXTERNAL_NAME, List.of(), externalName(spec.getExternalName()), ports, List.of());
    }
    if ("None".equals(spec.getClusterIp())) {
      return new ServiceRecords(ns, name, Shape.HEADLESS, List.of(), null, ports,
          published(backends, spec.getPublishNotReadyAddresses()));
    }
    List<InetAddress> ips = new ArrayList<>();
    List<String> given = spec.getClusterIpsCount() > 0 ? spec.getClusterIpsList() : List.of(spec.getClusterIp());
    for (String ip : given) {
      InetAddress a = literal(ip);
      if (a != null && !ips.contains(a)) ips.add(a);
    }
    return new ServiceRecords(ns, name, Shape.CLUSTER_IP, ips, null, ports, List.of());
  }

  /**
   * The endpoints a headless service publishes: the ready ones (Endpoints {@code addresses}), or
   * all of them with publishNotReadyAddresses, sorted by IP so equal sets compare equal.
   */
  static List<EndpointName> published(Collection<Backend> backends, boolean publishNotReady) {
    TreeMap<String, EndpointName> byIp = new TreeMap<>();
    for (Backend b : backends) {
      if (!b.getReady() && !publishNotReady) continue;
      InetAddress ip = literal(b.getIp());
      if (ip == null) continue;
      String host = b.getHostname().isEmpty() ? dashed(ip) : lower(b.getHostname());
      Map<String, Integer> ports = new TreeMap<>();
      for (EndpointPort p : b.getPortsList()) {
        if (!p.getName().isEmpty()) ports.put(lower(p.getName()) + "/" + protocol(p.getProtocol()), p.getPort());
      }
      byIp.put(b.getIp(), new EndpointName(host, ip, Map.copyOf(ports)));
    }
    return List.copyOf(byIp.values());
  }

  /** Does the service have an SRV name {@code _port._protocol}? */
  public boolean hasPort(String portName, String protocol) {
    return port(portName, protocol) != null;
  }

  public NamedPort port(String portName, String protocol) {
    for (NamedPort p : ports) {
      if (p.name().equals(portName) && p.protocol().equals(protocol)) return p;
    }
    return null;
  }

  public boolean hasProtocol(String protocol) {
    for (NamedPort p : ports) {
      if (p.protocol().equals(protocol)) return true;
    }
    return false;
  }

  /** An address literal, never a lookup; null when {@code s} is not one. */
  static InetAddress literal(String s) {
    if (s == null || s.isEmpty()) return null;
    int family = s.indexOf(':') >= 0 ? Address.IPv6 : Address.IPv4;
    try {
      return Address.getByAddress(s, family);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** "10.244.1.7" -> "10-244-1-7": the hostname of an endpoint that has none. */
  static String dashed(InetAddress ip) {
    return ip.getHostAddress().replace('.', '-').replace(':', '-');
  }

  private static Name externalName(String s) {
    if (s.isEmpty()) return null;
    try {
      return Name.fromString(s.endsWith(".") ? s : s + ".");
    } catch (TextParseException e) {
      return null;
    }
  }

  private static String protocol(String p) {
    return p.isEmpty() ? "tcp" : lower(p);
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
