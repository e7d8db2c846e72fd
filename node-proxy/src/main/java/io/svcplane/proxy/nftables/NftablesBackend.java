package io.svcplane.proxy.nftables;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import io.svcplane.proxy.ForwardingBackend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwarding in the kernel: programs the node's {@link ForwardingTable} as the nftables table
 * {@code ip svcplane} (see {@link RulesetPlanner} for its shape), one atomic {@code nft -f -}
 * transaction per sync.
 *
 * <p>The first sync is full: it deletes the table if one exists (left by a crashed proxy) and
 * declares it anew, in the same transaction, so forwarding never has a gap. Later syncs are
 * partial: only the elements and chains of service ports that changed. Any failure makes the next
 * sync full. {@link #close} deletes the table. After a partial sync, UDP flows translated to an
 * endpoint that left are deleted from conntrack ({@link Conntrack}), as kube-proxy does.
 */
public final class NftablesBackend implements ForwardingBackend {
  private static final Logger log = LoggerFactory.getLogger(NftablesBackend.class);

  /** Adds the table if missing, then deletes it: nft 1.0.6 has no "destroy". */
  static final String DELETE_TABLE = "table " + RulesetPlanner.FAMILY + " " + RulesetPlanner.TABLE + " {}\n"
      + "delete table " + RulesetPlanner.FAMILY + " " + RulesetPlanner.TABLE + "\n";

  private final RulesetPlanner planner;
  private final Nft nft;
  private final Conntrack conntrack;
  private boolean conntrackWarned;

  /** What the kernel holds; null when unknown, i.e. the next sync must be full. */
  private ForwardingTable applied;
  private Map<ServicePortName, ServicePortPlan> plans = new HashMap<>();
  private RulesetState state;
  private Sync lastSync;
  private boolean closed;

  /**
   * The node proxy's constructor ({@code --mode nftables}, see {@code Backends}). Two settings come
   * from system properties, else environment variables:
   *
   * <ul>
   *   <li>{@code svcplane.cluster-cidr} / {@code SVCPLANE_CLUSTER_CIDR}: the pod network, see
   *       {@link NodeNetwork#clusterCidr} (unset: masquerade all ClusterIP traffic);
   *   <li>{@code svcplane.nftables.netns} / {@code SVCPLANE_NFTABLES_NETNS}: program the named
   *       network namespace ({@code ip netns exec NAME nft}) instead of the proxy's own.
   * </ul>
   */
  public NftablesBackend(String nodeName, String nodeAddress) {
    this(new NodeNetwork(nodeName, List.of(nodeAddress), setting("svcplane.cluster-cidr", "SVCPLANE_CLUSTER_CIDR")),
        netns().isEmpty() ? NftCommand.local() : NftCommand.inNetns(netns()),
        netns().isEmpty() ? ConntrackCommand.local() : ConntrackCommand.inNetns(netns()));
  }

  private static String netns() {
    return setting("svcplane.nftables.netns", "SVCPLANE_NFTABLES_NETNS");
  }

  private static String setting(String property, String env) {
    String v = System.getProperty(property);
    if (v == null) v = System.getenv(env);
    return v == null ? "" : v.strip();
  }

  /** A backend that leaves conntrack alone (see {@link Conntrack}). */
  public NftablesBackend(NodeNetwork node, Nft nft) {
    this(node, nft, Conntrack.NONE);
  }

  public NftablesBackend(NodeNetwork node, Nft nft, Conntrack conntrack) {
    this.planner = new RulesetPlanner(node);
    this.nft = nft;
    this.conntrack = conntrack;
  }

  @Override
  public String mode() {
    return "nftables";
  }

  /**
   * Makes the kernel forward as {@code desired} says; returns once nft has applied it.
   *
   * @throws NftException with nft's error; the next call then does a full sync
   */
  @Override
  public synchronized void apply(ForwardingTable desired) throws NftException {
    if (closed) throw new IllegalStateException("nftables backend is closed");
    long t0 = System.nanoTime();
    if (applied == null) {
      fullSync(desired, t0, "first sync");
      return;
    }
    Set<ServicePortName> changed = desired.changedFrom(applied);
    List<ServicePortPlan> old = new ArrayList<>();
    List<ServicePortPlan> now = new ArrayList<>();
    for (ServicePortName name : changed) {
      ServicePortPlan before = plans.get(name);
      if (before != null) old.add(before);
      ServicePortRule rule = desired.rule(name);
      if (rule != null) now.add(planner.plan(rule, before));
    }
    String tx;
    try {
      tx = state.replace(old, now);
    } catch (RulesetState.CapacityExceeded e) {
      fullSync(desired, t0, e.getMessage());
      return;
    }
    long t1 = System.nanoTime();
    if (!tx.isEmpty()) {
      try {
        nft.apply(tx);
      } catch (NftException e) {
        applied = null;
        state = null;
        throw e;
      }
    }
    ForwardingTable before = applied;
    Map<ServicePortName, ServicePortPlan> beforePlans = new HashMap<>();
    for (ServicePortPlan p : old) beforePlans.put(p.name(), p);
    for (ServicePortName name : changed) {
      if (desired.rule(name) == null) plans.remove(name);
    }
    for (ServicePortPlan p : now) plans.put(p.name(), p);
    applied = desired;
    forgetUdpFlowsOfRemovedEndpoints(before, beforePlans);
    lastSync = new Sync(false, changed.size(), tx.length(), t1 - t0, System.nanoTime() - t1);
  }

  /** After a partial sync: UDP flows translated to an endpoint no longer in its slots are forgotten. */
  private void forgetUdpFlowsOfRemovedEndpoints(ForwardingTable before, Map<ServicePortName, ServicePortPlan> beforePlans) {
    beforePlans.forEach((name, was) -> {
      ServicePortRule rule = before.rule(name);
      if (rule == null || rule.protocol() != Protocol.UDP) return;
      ServicePortPlan is = plans.get(name);
      for (String ip : gone(was.clusterSlots(), is == null ? List.of() : is.clusterSlots())) {
        forget(rule.clusterIp(), rule.port(), ip);
      }
      for (String ip : gone(was.externalSlots(), is == null ? List.of() : is.externalSlots())) {
        forget("", rule.nodePort(), ip);
      }
    });
  }

  private static Set<String> gone(List<Endpoint> was, List<Endpoint> is) {
    Set<String> left = new TreeSet<>();
    for (Endpoint e : was) left.add(e.address());
    for (Endpoint e : is) left.remove(e.address());
    Set<String> ips = new TreeSet<>();
    for (String address : left) ips.add(address.substring(0, address.lastIndexOf(':')));
    return ips;
  }

  private void forget(String destination, int port, String endpointIp) {
    try {
      conntrack.forgetUdp(destination, port, endpointIp);
    } catch (NftException e) {
      // The rules are in place; only flows that keep going stay on the old endpoint.
      if (!conntrackWarned) log.warn("cannot forget UDP flows to a removed endpoint: {}", e.getMessage());
      conntrackWarned = true;
    }
  }

  private void fullSync(ForwardingTable desired, long t0, String why) throws NftException {
    Map<ServicePortName, ServicePortPlan> next = new LinkedHashMap<>();
    for (ServicePortRule rule : desired.rules().values()) {
      // Earlier slots, when known, keep endpoints where they were.
      next.put(rule.name(), planner.plan(rule, plans.get(rule.name())));
    }
    RulesetState fresh = RulesetState.of(planner, next.values());
    String script = fresh.fullSyncScript(next.values());
    long t1 = System.nanoTime();
    applied = null;
    state = null;
    nft.apply(script);
    plans = new HashMap<>(next);
    state = fresh;
    applied = desired;
    lastSync = new Sync(true, desired.rules().size(), script.length(), t1 - t0, System.nanoTime() - t1);
    log.debug("full sync ({}): {} service ports, {} bytes", why, desired.rules().size(), script.length());
  }

  /** The full-sync script of what the kernel holds now (for tests: partial syncs must add up to it). */
  synchronized String renderApplied() {
    List<ServicePortPlan> inOrder = new ArrayList<>(plans.values());
    inOrder.sort(Comparator.comparing(ServicePortPlan::name));
    return state.fullSyncScript(inOrder);
  }

  /** The last successful sync, or null before the first. */
  public synchronized Sync lastSync() {
    return lastSync;
  }

  /** Deletes the table: forwarding by this node's rules stops. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    try {
      nft.apply(DELETE_TABLE);
    } catch (NftException e) {
      log.warn("could not delete table {} {}: {}", RulesetPlanner.FAMILY, RulesetPlanner.TABLE, e.getMessage());
    }
  }

  /**
   * What one sync did.
   *
   * @param full whether it replaced the whole table
   * @param servicePorts service ports written (full) or changed (partial)
   * @param scriptChars size of the nft transaction
   * @param renderNanos time to plan and render it
   * @param applyNanos time nft took to apply it
   */
  public record Sync(boolean full, int servicePorts, int scriptChars, long renderNanos, long applyNanos) {}
}
