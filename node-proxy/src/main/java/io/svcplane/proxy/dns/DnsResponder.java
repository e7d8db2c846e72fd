package io.svcplane.proxy.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Answers one question from the cluster's names, after Kubernetes' DNS specification (schema
 * 1.0.1) and CoreDNS's kubernetes plugin. Pure: the same question and names give the same answer.
 *
 * <ul>
 *   <li>{@code SVC.NS.svc.ZONE}: A/AAAA with the ClusterIPs; headless: one per published
 *       endpoint (NXDOMAIN with none); ExternalName: a CNAME, followed inside the zone only.
 *   <li>{@code HOSTNAME.SVC.NS.svc.ZONE}: a headless service's endpoints with that hostname (an
 *       endpoint without one is named by its IP with dashes, as CoreDNS does).
 *   <li>{@code _PORT._PROTO.SVC.NS.svc.ZONE}: SRV per named port, target the service's name
 *       (headless: each endpoint's name and port), with the targets' addresses as additional.
 *   <li>{@code A-B-C-D.NS.pod.ZONE}: A A.B.C.D (the specification's deprecated pod records,
 *       CoreDNS's "pods insecure"); {@code dns-version.ZONE} TXT; SOA and NS at the apex.
 *   <li>PTR for ClusterIPs and headless endpoints; other addresses are not the cluster's.
 *   <li>{@code SVC.NS} and {@code SVC.NS.svc} (and names below them) asked as given, as if the
 *       client had appended the search domain, when that name exists in the cluster.
 * </ul>
 * A name in the zone that does not exist is NXDOMAIN, one that exists without the asked type is
 * NODATA; both carry the zone's SOA. Any other name is not the cluster's: {@link #answer} returns
 * null and the server refuses or forwards it.
 */
public final class DnsResponder {
  /** The schema version of Kubernetes' DNS specification served at dns-version.ZONE. */
  public static final String SCHEMA_VERSION = "1.0.1";
  private static final Name IN_ADDR_ARPA = Name.fromConstantString("in-addr.arpa.");
  private static final int MAX_CNAME_CHAIN = 8;

  /** What the zone says: an rcode and the three sections (the question is the caller's). */
  public record Answer(int rcode, List<Record> answer, List<Record> authority, List<Record> additional) {}

  private final Name zone;
  private final long ttl;
  private final InetAddress nsAddress;
  private final Name nsName;
  private final Name hostmaster;

  /**
   * @param zone the cluster domain, e.g. cluster.local.
   * @param ttl seconds, for every record and for negative caching
   * @param nsAddress where this server listens, the address of ns.dns.ZONE (null: none given)
   */
  public DnsResponder(Name zone, long ttl, InetAddress nsAddress) {
    this.zone = zone;
    this.ttl = ttl;
    this.nsAddress = nsAddress;
    this.nsName = child("ns.dns", zone);
    this.hostmaster = child("hostmaster", zone);
  }

  public Name zone() {
    return zone;
  }

  /** The answer to {@code qname}/{@code qtype} (class IN), or null when the name is not the cluster's. */
  public Answer answer(Name qname, int qtype, ClusterNames names) {
    if (qname.subdomain(zone)) {
      Node node = resolve(labels(qname, qname.labels() - zone.labels()), names);
      return respond(qname, qtype, node, names, true);
    }
    if (qname.subdomain(IN_ADDR_ARPA)) return reverse(qname, qtype, names);
    int n = qname.labels() - 1;
    if (n < 2) return null;
    List<String> rel = labels(qname, n);
    if (!"svc".equals(rel.get(n - 1))) rel.add("svc");
    Node node = resolve(rel, names);
    if (!(node instanceof ServiceNode || node instanceof EndpointNode || node instanceof SrvNode)) return null;
    // Not our zone's name: no SOA, so a NODATA here is not cached against the cluster zone.
    return respond(qname, qtype, node, names, false);
  }

  // ---- Where a name leads -------------------------------------------------------------------

  private sealed interface Node permits Missing, Empty, Apex, Version, NsHost, ServiceNode, EndpointNode, SrvNode, PodNode {}

  private record Missing() implements Node {}

  private record Empty() implements Node {}

  private record Apex() implements Node {}

  private record Version() implements Node {}

  private record NsHost() implements Node {}

  private record ServiceNode(ServiceRecords service) implements Node {}

  private record EndpointNode(ServiceRecords service, List<ServiceRecords.EndpointName> endpoints) implements Node {}

  private record SrvNode(ServiceRecords service, String port, String protocol) implements Node {}

  private record PodNode(InetAddress ip) implements Node {}

  private static final Node MISSING = new Missing();
  private static final Node EMPTY = new Empty();

  /** {@code rel}: the labels left of the zone, lower case, most specific first. */
  private Node resolve(List<String> rel, ClusterNames names) {
    int n = rel.size();
    if (n == 0) return new Apex();
    return switch (rel.get(n - 1)) {
      case "svc" -> resolveService(rel, names);
      case "pod" -> resolvePod(rel);
      case "dns-version" -> n == 1 ? new Version() : MISSING;
      case "dns" -> n == 1 ? EMPTY : n == 2 && "ns".equals(rel.get(0)) ? new NsHost() : MISSING;
      default -> MISSING;
    };
  }

  private static Node resolveService(List<String> rel, ClusterNames names) {
    int n = rel.size();
    if (n == 1) return EMPTY;
    String ns = rel.get(n - 2);
    if (!names.hasNamespace(ns)) return MISSING;
    if (n == 2) return EMPTY;
    ServiceRecords s = names.service(ns, rel.get(n - 3));
    if (s == null) return MISSING;
    // The specification: a headless service without ready endpoints is NXDOMAIN.
    if (s.shape() == ServiceRecords.Shape.HEADLESS && s.endpoints().isEmpty()) return MISSING;
    if (n == 3) return new ServiceNode(s);
    String label = rel.get(n - 4);
    if (n == 4) {
      if (label.startsWith("_") && hasSrvUnder(s, label.substring(1))) return EMPTY;
      if (s.shape() != ServiceRecords.Shape.HEADLESS) return MISSING;
      List<ServiceRecords.EndpointName> eps = new ArrayList<>(1);
      for (ServiceRecords.EndpointName e : s.endpoints()) {
        if (e.hostname().equals(label)) eps.add(e);
      }
      return eps.isEmpty() ? MISSING : new EndpointNode(s, eps);
    }
    if (n == 5 && rel.get(0).startsWith("_") && label.startsWith("_")) {
      String port = rel.get(0).substring(1);
      String protocol = label.substring(1);
      return hasSrv(s, port, protocol) ? new SrvNode(s, port, protocol) : MISSING;
    }
    return MISSING;
  }

  private static boolean hasSrvUnder(ServiceRecords s, String protocol) {
    for (ServiceRecords.NamedPort p : s.ports()) {
      if (p.protocol().equals(protocol) && hasSrv(s, p.name(), protocol)) return true;
    }
    return false;
  }

  private static boolean hasSrv(ServiceRecords s, String port, String protocol) {
    return switch (s.shape()) {
      case CLUSTER_IP -> s.hasPort(port, protocol);
      case EXTERNAL_NAME -> s.externalName() != null && s.hasPort(port, protocol);
      case HEADLESS -> s.endpoints().stream().anyMatch(e -> e.ports().containsKey(port + "/" + protocol));
    };
  }

  private static Node resolvePod(List<String> rel) {
    int n = rel.size();
    if (n < 3) return EMPTY;
    if (n > 3) return MISSING;
    String dashed = rel.get(0);
    String[] parts = dashed.split("-", -1);
    if (parts.length != 4) return MISSING;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) return MISSING;
    }
    InetAddress ip = ServiceRecords.literal(String.join(".", parts));
    return ip == null ? MISSING : new PodNode(ip);
  }

  // ---- What a name answers ------------------------------------------------------------------

  private Answer respond(Name qname, int qtype, Node node, ClusterNames names, boolean ownZone) {
    List<Record> answer = new ArrayList<>();
    List<Record> additional = new ArrayList<>();
    Name owner = qname;
    Node at = node;
    for (int hop = 0; at instanceof ServiceNode sn && sn.service().shape() == ServiceRecords.Shape.EXTERNAL_NAME; hop++) {
      Name target = sn.service().externalName();
      if (target == null) break;
      answer.add(new CNAMERecord(owner, DClass.IN, ttl, target));
      if (qtype == Type.CNAME || qtype == Type.ANY) return new Answer(Rcode.NOERROR, answer, List.of(), List.of());
      // Followed inside the cluster zone only: this server does not recurse to the outside.
      if (!target.subdomain(zone) || hop == MAX_CNAME_CHAIN) return new Answer(Rcode.NOERROR, answer, List.of(), List.of());
      owner = target;
      at = resolve(labels(target, target.labels() - zone.labels()), names);
    }
    if (at instanceof Missing) return new Answer(Rcode.NXDOMAIN, answer, soa(ownZone, names), List.of());
    records(at, owner, qtype, answer, additional);
    if (answer.isEmpty()) return new Answer(Rcode.NOERROR, answer, soa(ownZone, names), List.of());
    return new Answer(Rcode.NOERROR, answer, List.of(), additional);
  }

  private void records(Node node, Name owner, int qtype, List<Record> answer, List<Record> additional) {
    if (node instanceof Apex) {
      if (wants(qtype, Type.SOA)) answer.add(soaRecord(0));
      if (wants(qtype, Type.NS)) {
        answer.add(new NSRecord(owner, DClass.IN, ttl, nsName));
        if (nsAddress != null) addresses(nsName, List.of(nsAddress), Type.ANY, additional);
      }
    } else if (node instanceof Version) {
      if (wants(qtype, Type.TXT)) answer.add(new TXTRecord(owner, DClass.IN, ttl, SCHEMA_VERSION));
    } else if (node instanceof NsHost) {
      if (nsAddress != null) addresses(owner, List.of(nsAddress), qtype, answer);
    } else if (node instanceof ServiceNode sn) {
      ServiceRecords s = sn.service();
      addresses(owner, s.shape() == ServiceRecords.Shape.HEADLESS ? endpointIps(s.endpoints()) : s.clusterIps(), qtype, answer);
    } else if (node instanceof EndpointNode en) {
      addresses(owner, endpointIps(en.endpoints()), qtype, answer);
    } else if (node instanceof PodNode p) {
      addresses(owner, List.of(p.ip()), qtype, answer);
    } else if (node instanceof SrvNode srv) {
      if (wants(qtype, Type.SRV)) srv(owner, srv, answer, additional);
    }
  }

  private void srv(Name owner, SrvNode node, List<Record> answer, List<Record> additional) {
    ServiceRecords s = node.service();
    Name serviceName = serviceName(s);
    switch (s.shape()) {
      case CLUSTER_IP -> {
        answer.add(new SRVRecord(owner, DClass.IN, ttl, 0, 100, s.port(node.port(), node.protocol()).port(), serviceName));
        addresses(serviceName, s.clusterIps(), Type.ANY, additional);
      }
      case EXTERNAL_NAME ->
        answer.add(new SRVRecord(owner, DClass.IN, ttl, 0, 100, s.port(node.port(), node.protocol()).port(), s.externalName()));
      case HEADLESS -> {
        String key = node.port() + "/" + node.protocol();
        List<ServiceRecords.EndpointName> eps = s.endpoints().stream().filter(e -> e.ports().containsKey(key)).toList();
        // Equal shares, as CoreDNS weighs the records of one name.
        int weight = Math.max(1, 100 / eps.size());
        for (ServiceRecords.EndpointName e : eps) {
          Name target = child(e.hostname(), serviceName);
          answer.add(new SRVRecord(owner, DClass.IN, ttl, 0, weight, e.ports().get(key), target));
          addresses(target, List.of(e.ip()), Type.ANY, additional);
        }
      }
    }
  }

  private Answer reverse(Name qname, int qtype, ClusterNames names) {
    if (qname.labels() != IN_ADDR_ARPA.labels() + 4) return null;
    List<String> octets = labels(qname, 4);
    InetAddress ip = ServiceRecords.literal(octets.get(3) + "." + octets.get(2) + "." + octets.get(1) + "." + octets.get(0));
    if (ip == null) return null;
    var owners = names.owners(ip);
    if (owners.isEmpty()) return null;
    List<Record> answer = new ArrayList<>();
    if (wants(qtype, Type.PTR)) {
      Set<Name> targets = new LinkedHashSet<>();
      for (ClusterNames.PtrTarget t : owners) {
        Name svc = child(t.service() + "." + t.namespace() + ".svc", zone);
        targets.add(t.hostname() == null ? svc : child(t.hostname(), svc));
      }
      for (Name t : targets) answer.add(new PTRRecord(qname, DClass.IN, ttl, t));
    }
    return new Answer(Rcode.NOERROR, answer, List.of(), List.of());
  }

  // ---- Records ------------------------------------------------------------------------------

  private void addresses(Name owner, List<InetAddress> ips, int qtype, List<Record> out) {
    for (InetAddress ip : ips) {
      if (ip instanceof Inet4Address && wants(qtype, Type.A)) out.add(new ARecord(owner, DClass.IN, ttl, ip));
      else if (ip instanceof Inet6Address && wants(qtype, Type.AAAA)) out.add(new AAAARecord(owner, DClass.IN, ttl, ip));
    }
  }

  private static List<InetAddress> endpointIps(List<ServiceRecords.EndpointName> eps) {
    List<InetAddress> out = new ArrayList<>(eps.size());
    for (ServiceRecords.EndpointName e : eps) {
      if (!out.contains(e.ip())) out.add(e.ip());
    }
    return out;
  }

  private List<Record> soa(boolean ownZone, ClusterNames names) {
    return ownZone ? List.of(soaRecord(names.serial())) : List.of();
  }

  private Record soaRecord(long serial) {
    return new SOARecord(zone, DClass.IN, ttl, nsName, hostmaster, serial, 7200, 1800, 86400, ttl);
  }

  private Name serviceName(ServiceRecords s) {
    return child(s.name() + "." + s.namespace() + ".svc", zone);
  }

  private static boolean wants(int qtype, int type) {
    return qtype == type || qtype == Type.ANY;
  }

  /** The first {@code n} labels of {@code name}, lower case, most specific first. */
  private static List<String> labels(Name name, int n) {
    List<String> out = new ArrayList<>(n + 1);
    for (int i = 0; i < n; i++) out.add(name.getLabelString(i).toLowerCase(Locale.ROOT));
    return out;
  }

  private static Name child(String relative, Name origin) {
    try {
      return Name.fromString(relative, origin);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a DNS name: " + relative + "." + origin, e);
    }
  }
}
