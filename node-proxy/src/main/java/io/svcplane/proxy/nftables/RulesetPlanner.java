package io.svcplane.proxy.nftables;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans the node's {@code ip svcplane} table, purely: a {@link ServicePortRule} becomes elements
 * of a few flat maps plus the shared chains they jump to.
 *
 * <p>The path of a new connection: the {@code services} chain looks up {@code ip daddr .
 * meta l4proto . th dport} in {@code service-ips} (or the NodePort in {@code service-nodeports})
 * and jumps to a chain shared by every service port with the same endpoint count and target port,
 * e.g. {@code cluster-tcp-3-to-8080}: {@code dnat ip to ip daddr . tcp dport . numgen random mod 3
 * map @tcp-endpoints : 8080}. The endpoint maps hold addresses only, since nearly every service
 * port sends to one target port, and nft needs about a sixth less CPU to load a table whose
 * endpoint elements have a one-part value (0.72 s against 0.85 s at 10,000 services x 10
 * endpoints, see bench/README.md). A service port whose endpoints listen on different ports (a
 * named targetPort) uses the {@code -mixed-ports} maps, whose values carry the port, and chains
 * named {@code -to-mixed}. The number of chains grows with distinct (endpoint count, target port)
 * pairs, not with services.
 *
 * <p>ClientIP affinity adds one lookup per slot in a per-protocol timed set of (client, service
 * address, port, slot) before the random pick; the chosen slot is recorded by the slot's chain.
 * Connections still addressed to a ClusterIP after DNAT (no endpoints, unknown port) and NodePorts
 * without endpoints are rejected in the filter hooks.
 *
 * <p>Masquerade where the reply would otherwise bypass this node: ClusterIP traffic from outside
 * the cluster CIDR (all of it when that is unknown), NodePort traffic with externalTrafficPolicy
 * Cluster, and a pod reaching itself through a service (hairpin). NodePort traffic with policy
 * Local keeps the client's address.
 */
public final class RulesetPlanner {
  public static final String TABLE = "svcplane";
  public static final String FAMILY = "ip";
  /** The packet mark bit that asks nat-postrouting to masquerade (kube-proxy's bit). */
  public static final int MASQUERADE_MARK = 0x4000;

  private static final String MARK_FOR_MASQUERADE = String.format("meta mark set meta mark or 0x%x", MASQUERADE_MARK);

  private final NodeNetwork node;

  public RulesetPlanner(NodeNetwork node) {
    this.node = node;
  }

  public NodeNetwork node() {
    return node;
  }

  /** The plan of one service port. {@code previous} (may be null) keeps endpoints in their slots. */
  public ServicePortPlan plan(ServicePortRule rule, ServicePortPlan previous) {
    Protocol p = rule.protocol();
    List<Endpoint> clusterSlots = rule.hasClusterIp()
        ? SlotAssignment.assign(previous == null ? List.of() : previous.clusterSlots(), rule.forClusterIp(node.nodeName()))
        : List.of();
    List<Endpoint> externalSlots = rule.hasNodePort()
        ? SlotAssignment.assign(previous == null ? List.of() : previous.externalSlots(), rule.forNodePort(node.nodeName()))
        : List.of();
    List<NftElement> elements = new ArrayList<>();
    Map<String, NftChain> chains = new LinkedHashMap<>();

    if (rule.hasClusterIp()) {
      String ip = rule.clusterIp();
      elements.add(new NftElement(NftSet.CLUSTER_IPS, ip, ""));
      if (!clusterSlots.isEmpty()) {
        int port = targetPort(clusterSlots);
        NftChain entry = clusterChains(p, clusterSlots.size(), port, rule.affinitySeconds(), chains);
        elements.add(new NftElement(NftSet.SERVICE_IPS, ip + " . " + p.lower() + " . " + rule.port(), "goto " + entry.name()));
        NftSet map = port > 0 ? NftSet.endpoints(p) : NftSet.endpointsMixedPorts(p);
        String keyPrefix = ip + " . " + rule.port() + " . ";
        for (int i = 0; i < clusterSlots.size(); i++) {
          elements.add(new NftElement(map, keyPrefix + i, value(clusterSlots.get(i), port)));
        }
      }
    }
    if (rule.hasNodePort()) {
      String key = p.lower() + " . " + rule.nodePort();
      if (externalSlots.isEmpty()) {
        elements.add(new NftElement(NftSet.NO_ENDPOINT_NODEPORTS, key, ""));
      } else {
        int port = targetPort(externalSlots);
        NftChain entry = externalChains(p, externalSlots.size(), port, rule.externalLocal(), rule.affinitySeconds(), chains);
        elements.add(new NftElement(NftSet.SERVICE_NODEPORTS, key, "goto " + entry.name()));
        NftSet map = port > 0 ? NftSet.nodePortEndpoints(p) : NftSet.nodePortEndpointsMixedPorts(p);
        for (int i = 0; i < externalSlots.size(); i++) {
          elements.add(new NftElement(map, rule.nodePort() + " . " + i, value(externalSlots.get(i), port)));
        }
      }
    }
    // Hairpin: only an endpoint on this node (or of unknown node) can send to a service from its
    // own address through this node.
    Map<String, Boolean> hairpin = new LinkedHashMap<>();
    for (List<Endpoint> slots : List.of(clusterSlots, externalSlots)) {
      for (Endpoint e : slots) {
        if (e.nodeName().isEmpty() || e.nodeName().equals(node.nodeName())) hairpin.put(e.ip(), true);
      }
    }
    hairpin.keySet().forEach(ip -> elements.add(new NftElement(NftSet.HAIRPIN, ip + " . " + ip, "")));
    return new ServicePortPlan(rule.name(), clusterSlots, externalSlots, elements, List.copyOf(chains.values()));
  }

  /** The port every slot's endpoint listens on, or 0 when they differ. */
  private static int targetPort(List<Endpoint> slots) {
    int port = slots.get(0).port();
    for (Endpoint e : slots) {
      if (e.port() != port) return 0;
    }
    return port;
  }

  /** An endpoint map's value: the address, plus the port when the chain cannot supply it. */
  private static String value(Endpoint e, int port) {
    return port > 0 ? e.ip() : e.ip() + " . " + e.port();
  }

  /** "-to-8080", or "-to-mixed" when the endpoints' ports differ. */
  private static String toPort(int port) {
    return port > 0 ? "-to-" + port : "-to-mixed";
  }

  /** " : 8080" after a lookup in an address map; nothing after a lookup in a mixed-ports map. */
  private static String dnatPort(int port) {
    return port > 0 ? " : " + port : "";
  }

  /**
   * Adds the chains of ClusterIP traffic with {@code n} endpoints listening on {@code port} (0:
   * on different ports) to {@code out}; returns the entry chain.
   */
  private NftChain clusterChains(Protocol p, int n, int port, int affinitySeconds, Map<String, NftChain> out) {
    String proto = p.lower();
    String masquerade = node.clusterCidr().isEmpty()
        ? MARK_FOR_MASQUERADE
        : "ip saddr != " + node.clusterCidr() + " " + MARK_FOR_MASQUERADE;
    String keyPrefix = "ip daddr . " + proto + " dport";
    String map = "@" + (port > 0 ? NftSet.endpoints(p) : NftSet.endpointsMixedPorts(p)).setName();
    if (affinitySeconds <= 0) {
      return add(out, new NftChain("cluster-" + proto + "-" + n + toPort(port), List.of(
          masquerade,
          "meta l4proto " + proto + " dnat ip to " + keyPrefix + " . numgen random mod " + n + " map " + map + dnatPort(port)), 1));
    }
    String slotPrefix = "cluster-" + proto + "-affinity-" + affinitySeconds + "-slot-";
    for (int i = 0; i < n; i++) {
      add(out, slotChain(slotPrefix + i + toPort(port), p, i, affinitySeconds, keyPrefix, map, port));
    }
    return add(out, affinityChain("cluster-" + proto + "-" + n + toPort(port) + "-affinity-" + affinitySeconds, p, n,
        masquerade, slotPrefix, toPort(port)));
  }

  private NftChain externalChains(Protocol p, int n, int port, boolean local, int affinitySeconds, Map<String, NftChain> out) {
    String proto = p.lower();
    String name = (local ? "external-local-" : "external-") + proto + "-" + n + toPort(port);
    // Cluster policy: the endpoint may be on another node, which would answer the client directly.
    String masquerade = local ? null : MARK_FOR_MASQUERADE;
    String keyPrefix = proto + " dport";
    String map = "@" + (port > 0 ? NftSet.nodePortEndpoints(p) : NftSet.nodePortEndpointsMixedPorts(p)).setName();
    if (affinitySeconds <= 0) {
      List<String> rules = new ArrayList<>();
      if (masquerade != null) rules.add(masquerade);
      rules.add("meta l4proto " + proto + " dnat ip to " + keyPrefix + " . numgen random mod " + n + " map " + map + dnatPort(port));
      return add(out, new NftChain(name, rules, 1));
    }
    String slotPrefix = "external-" + proto + "-affinity-" + affinitySeconds + "-slot-";
    for (int i = 0; i < n; i++) {
      add(out, slotChain(slotPrefix + i + toPort(port), p, i, affinitySeconds, keyPrefix, map, port));
    }
    return add(out, affinityChain(name + "-affinity-" + affinitySeconds, p, n, masquerade, slotPrefix, toPort(port)));
  }

  /** Seen before in the affinity set: back to that slot. Otherwise a random slot. */
  private static NftChain affinityChain(String name, Protocol p, int n, String masquerade, String slotPrefix,
      String slotSuffix) {
    String set = "@" + NftSet.affinity(p).setName();
    List<String> rules = new ArrayList<>();
    if (masquerade != null) rules.add(masquerade);
    for (int i = 0; i < n; i++) {
      rules.add(affinityKey(p, i) + " " + set + " goto " + slotPrefix + i + slotSuffix);
    }
    StringBuilder pick = new StringBuilder("numgen random mod ").append(n).append(" vmap { ");
    for (int i = 0; i < n; i++) {
      if (i > 0) pick.append(", ");
      pick.append(i).append(" : goto ").append(slotPrefix).append(i).append(slotSuffix);
    }
    rules.add(pick.append(" }").toString());
    return new NftChain(name, rules, 1);
  }

  /** Remembers that this client got slot {@code i}, then DNATs to it. */
  private static NftChain slotChain(String name, Protocol p, int i, int seconds, String keyPrefix, String map, int port) {
    return new NftChain(name, List.of(
        "update @" + NftSet.affinity(p).setName() + " { " + affinityKey(p, i) + " timeout " + seconds + "s }",
        "meta l4proto " + p.lower() + " dnat ip to " + keyPrefix + " . " + slot(i) + " map " + map + dnatPort(port)), 0);
  }

  private static String affinityKey(Protocol p, int slot) {
    return "ip saddr . ip daddr . " + p.lower() + " dport . " + slot(slot);
  }

  /** The constant {@code i} as an expression nft 1.0.6 accepts inside a concatenation. */
  private static String slot(int i) {
    return "numgen random mod 1 offset " + i;
  }

  private static NftChain add(Map<String, NftChain> out, NftChain c) {
    out.putIfAbsent(c.name(), c);
    return c;
  }

  /** Elements that come from the node, not from a service port. */
  public List<NftElement> nodeElements() {
    List<NftElement> out = new ArrayList<>();
    for (String a : node.nodeAddresses()) out.add(new NftElement(NftSet.NODEPORT_IPS, a, ""));
    return out;
  }

  /** The chains every ruleset has, hooks first; they never change while a proxy runs. */
  public static List<BaseChain> baseChains() {
    String check = "ct state new jump endpoint-check";
    return List.of(
        new BaseChain("nat-prerouting", "type nat hook prerouting priority dstnat; policy accept;", List.of("jump services")),
        new BaseChain("nat-output", "type nat hook output priority -100; policy accept;", List.of("jump services")),
        new BaseChain("nat-postrouting", "type nat hook postrouting priority srcnat; policy accept;", List.of(
            String.format("meta mark & 0x%x == 0x%x meta mark set meta mark & 0x%x masquerade fully-random",
                MASQUERADE_MARK, MASQUERADE_MARK, ~MASQUERADE_MARK),
            "ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random")),
        // Right after DNAT (priority -90 follows the nat chains' -100), before routing: a ClusterIP
        // that was not translated may have no route at all on this node.
        new BaseChain("filter-prerouting", "type filter hook prerouting priority -90; policy accept;", List.of(check)),
        new BaseChain("filter-output", "type filter hook output priority -90; policy accept;", List.of(check)),
        new BaseChain("services", "", List.of(
            "ip daddr . meta l4proto . th dport vmap @service-ips",
            "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports")),
        new BaseChain("endpoint-check", "", List.of(
            "ip daddr @cluster-ips reject",
            "ip daddr @nodeport-ips meta l4proto . th dport @no-endpoint-nodeports reject")));
  }

  /**
   * A fixed chain of the table.
   *
   * @param hook "type ... hook ...; policy accept;" for a base chain, empty otherwise
   */
  public record BaseChain(String name, String hook, List<String> rules) {}
}
