package io.svcplane.proxy.nftables;

import io.svcplane.core.forwarding.ServicePortName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The content of the {@code ip svcplane} table as this proxy last programmed it, built from the
 * plans of all service ports: which service ports claim each element and chain. Elements and
 * chains can be shared (one ClusterIP for several ports, one chain per endpoint count); when two
 * service ports claim one key with different values (two services on one ClusterIP and port), the
 * first in name order wins, as in a full render.
 *
 * <p>{@link #fullSyncScript} renders the whole table; {@link #replace} swaps plans and returns the
 * transaction that takes the kernel from the old content to the new one, touching only what the
 * swapped plans claim. Not thread-safe.
 */
public final class RulesetState {
  /** Sets get room for twice their elements (at least this many) so partial syncs rarely outgrow them. */
  static final int MIN_SET_SIZE = 1024;

  private static final String T = RulesetPlanner.FAMILY + " " + RulesetPlanner.TABLE;

  private final RulesetPlanner planner;
  private final Map<NftSet, Map<String, Claims>> elements = new EnumMap<>(NftSet.class);
  private final Map<String, Claimed> chains = new HashMap<>();
  /** The size each set was declared with in the last full sync. */
  private final Map<NftSet, Integer> capacity = new EnumMap<>(NftSet.class);

  /** Who claims one key: nearly always a single service port, so no map until a second one comes. */
  private static final class Claims {
    private ServicePortName owner;
    private String value;
    private TreeMap<ServicePortName, String> shared;

    Claims(ServicePortName owner, String value) {
      this.owner = owner;
      this.value = value;
    }

    void add(ServicePortName o, String v) {
      if (shared == null) {
        if (o.equals(owner)) {
          value = v;
          return;
        }
        shared = new TreeMap<>();
        shared.put(owner, value);
      }
      shared.put(o, v);
      owner = shared.firstKey();
      value = shared.firstEntry().getValue();
    }

    /** Returns false when no claim is left. */
    boolean remove(ServicePortName o) {
      if (shared == null) return !o.equals(owner);
      shared.remove(o);
      if (shared.isEmpty()) return false;
      owner = shared.firstKey();
      value = shared.firstEntry().getValue();
      if (shared.size() == 1) shared = null;
      return true;
    }

    /** Whether this key is written by {@code o} with {@code v} (the winning claim). */
    boolean wonBy(ServicePortName o, String v) {
      return (owner == o || owner.equals(o)) && value.equals(v);
    }
  }

  private static final class Claimed {
    final NftChain chain;
    int claims;

    Claimed(NftChain chain) {
      this.chain = chain;
    }
  }

  private RulesetState(RulesetPlanner planner) {
    this.planner = planner;
    for (NftSet s : NftSet.values()) elements.put(s, new HashMap<>());
  }

  /** The state holding these plans (in service port order). */
  public static RulesetState of(RulesetPlanner planner, Collection<ServicePortPlan> plans) {
    RulesetState s = new RulesetState(planner);
    for (ServicePortPlan p : plans) s.claim(p);
    return s;
  }

  /**
   * The transaction that replaces the whole table: creates it if missing, deletes it (with
   * whatever a crashed proxy or anyone else left in it), and declares it anew. Elements come in
   * the order of {@code plans}, which must be the plans this state was built from.
   */
  public String fullSyncScript(Collection<ServicePortPlan> plans) {
    Map<NftSet, StringBuilder> body = new EnumMap<>(NftSet.class);
    Map<NftSet, Integer> count = new EnumMap<>(NftSet.class);
    for (NftSet s : NftSet.values()) {
      body.put(s, new StringBuilder());
      count.put(s, 0);
    }
    for (NftElement e : planner.nodeElements()) append(body, count, e);
    Map<String, NftChain> chainsInOrder = new LinkedHashMap<>();
    for (ServicePortPlan p : plans) {
      for (NftElement e : p.elements()) {
        // A shared key is written once, by its winning claim.
        if (elements.get(e.set()).get(e.key()).wonBy(p.name(), e.value())) append(body, count, e);
      }
      for (NftChain c : p.chains()) chainsInOrder.putIfAbsent(c.name(), c);
    }
    int chars = 4096;
    for (StringBuilder b : body.values()) chars += b.length();
    StringBuilder out = new StringBuilder(chars + chainsInOrder.size() * 200);
    out.append("table ").append(T).append(" {}\n");
    out.append("delete table ").append(T).append('\n');
    out.append("table ").append(T).append(" {\n");
    out.append("\tcomment \"svcplane node proxy, node ").append(planner.node().nodeName())
        .append(": rewritten by every full sync\"\n");
    capacity.clear();
    for (NftSet s : NftSet.values()) {
      out.append('\t').append(s.isMap() ? "map " : "set ").append(s.setName()).append(" {\n");
      out.append("\t\t").append(s.type()).append('\n');
      if (s.isDynamic()) {
        out.append("\t\tsize ").append(NftSet.AFFINITY_SIZE).append('\n');
        out.append("\t\tflags dynamic,timeout\n");
        out.append("\t\ttimeout 3h\n");
      } else {
        int size = sizeFor(count.get(s));
        capacity.put(s, size);
        out.append("\t\tsize ").append(size).append('\n');
        if (count.get(s) > 0) {
          out.append("\t\telements = {\n").append(body.get(s)).append("\t\t}\n");
        }
      }
      out.append("\t}\n");
    }
    List<NftChain> sorted = new ArrayList<>(chainsInOrder.values());
    sorted.sort(Comparator.comparingInt(NftChain::level).thenComparing(NftChain::name, RulesetState::naturalOrder));
    for (NftChain c : sorted) {
      out.append("\tchain ").append(c.name()).append(" {\n");
      for (String r : c.rules()) out.append("\t\t").append(r).append('\n');
      out.append("\t}\n");
    }
    for (RulesetPlanner.BaseChain c : RulesetPlanner.baseChains()) {
      out.append("\tchain ").append(c.name()).append(" {\n");
      if (!c.hook().isEmpty()) out.append("\t\t").append(c.hook()).append('\n');
      for (String r : c.rules()) out.append("\t\t").append(r).append('\n');
      out.append("\t}\n");
    }
    out.append("}\n");
    return out.toString();
  }

  private static void append(Map<NftSet, StringBuilder> body, Map<NftSet, Integer> count, NftElement e) {
    StringBuilder b = body.get(e.set()).append("\t\t\t").append(e.key());
    if (!e.value().isEmpty()) b.append(" : ").append(e.value());
    b.append(",\n");
    count.merge(e.set(), 1, Integer::sum);
  }

  static int sizeFor(int elements) {
    return Math.max(MIN_SET_SIZE, Integer.highestOneBit(Math.max(1, elements) * 2 - 1) << 1);
  }

  /**
   * Swaps plans: releases {@code old} ones and claims {@code now} ones (either may hold plans of
   * service ports the other lacks), and returns the partial transaction for it, empty when the
   * kernel needs no change.
   *
   * @throws CapacityExceeded if a set would outgrow the size it was declared with: the caller must
   *     do a full sync (this state is then unusable)
   */
  public String replace(Collection<ServicePortPlan> old, Collection<ServicePortPlan> now) throws CapacityExceeded {
    Map<NftSet, Map<String, String>> before = new EnumMap<>(NftSet.class);
    Map<String, Boolean> chainsBefore = new HashMap<>();
    for (Collection<ServicePortPlan> plans : List.of(old, now)) {
      for (ServicePortPlan p : plans) {
        for (NftElement e : p.elements()) {
          Map<String, String> keys = before.computeIfAbsent(e.set(), k -> new HashMap<>());
          // null values are kept: "absent before" is what turns into an add.
          if (!keys.containsKey(e.key())) keys.put(e.key(), effective(e.set(), e.key()));
        }
        for (NftChain c : p.chains()) chainsBefore.computeIfAbsent(c.name(), k -> chains.containsKey(k));
      }
    }
    for (ServicePortPlan p : old) release(p);
    for (ServicePortPlan p : now) claim(p);

    Map<NftSet, TreeSet<String>> deletes = new EnumMap<>(NftSet.class);
    Map<NftSet, TreeSet<String>> adds = new EnumMap<>(NftSet.class);
    before.forEach((set, keys) -> keys.forEach((key, was) -> {
      String is = effective(set, key);
      if (was != null && !was.equals(is)) deletes.computeIfAbsent(set, k -> new TreeSet<>()).add(key);
      if (is != null && !is.equals(was)) adds.computeIfAbsent(set, k -> new TreeSet<>()).add(key);
    }));
    for (NftSet s : adds.keySet()) {
      if (elements.get(s).size() > capacity.getOrDefault(s, 0)) {
        throw new CapacityExceeded(s.setName() + " would hold " + elements.get(s).size()
            + " elements, declared with size " + capacity.getOrDefault(s, 0));
      }
    }
    List<NftChain> newChains = new ArrayList<>();
    List<String> goneChains = new ArrayList<>();
    Map<String, NftChain> known = new HashMap<>();
    for (Collection<ServicePortPlan> plans : List.of(old, now)) {
      for (ServicePortPlan p : plans) for (NftChain c : p.chains()) known.putIfAbsent(c.name(), c);
    }
    chainsBefore.forEach((name, was) -> {
      boolean is = chains.containsKey(name);
      if (!was && is) newChains.add(chains.get(name).chain);
      if (was && !is) goneChains.add(name);
    });

    StringBuilder tx = new StringBuilder();
    newChains.sort(Comparator.comparingInt(NftChain::level).thenComparing(NftChain::name, RulesetState::naturalOrder));
    for (NftChain c : newChains) {
      tx.append("add chain ").append(T).append(' ').append(c.name()).append('\n');
      for (String r : c.rules()) tx.append("add rule ").append(T).append(' ').append(c.name()).append(' ').append(r).append('\n');
    }
    deletes.forEach((set, keys) -> tx.append("delete element ").append(T).append(' ').append(set.setName())
        .append(" { ").append(String.join(", ", keys)).append(" }\n"));
    adds.forEach((set, keys) -> {
      tx.append("add element ").append(T).append(' ').append(set.setName()).append(" { ");
      boolean first = true;
      for (String key : keys) {
        if (!first) tx.append(", ");
        first = false;
        tx.append(new NftElement(set, key, effective(set, key)).text());
      }
      tx.append(" }\n");
    });
    goneChains.sort(Comparator.comparingInt((String n) -> known.get(n).level()).reversed()
        .thenComparing(RulesetState::naturalOrder));
    for (String name : goneChains) {
      tx.append("flush chain ").append(T).append(' ').append(name).append('\n');
      tx.append("delete chain ").append(T).append(' ').append(name).append('\n');
    }
    return tx.toString();
  }

  /** The value the kernel holds for {@code key}, null when absent. */
  private String effective(NftSet set, String key) {
    Claims claims = elements.get(set).get(key);
    return claims == null ? null : claims.value;
  }

  private void claim(ServicePortPlan p) {
    for (NftElement e : p.elements()) {
      Map<String, Claims> set = elements.get(e.set());
      Claims claims = set.get(e.key());
      if (claims == null) set.put(e.key(), new Claims(p.name(), e.value()));
      else claims.add(p.name(), e.value());
    }
    for (NftChain c : p.chains()) chains.computeIfAbsent(c.name(), k -> new Claimed(c)).claims++;
  }

  private void release(ServicePortPlan p) {
    for (NftElement e : p.elements()) {
      Map<String, Claims> set = elements.get(e.set());
      Claims claims = set.get(e.key());
      if (claims != null && !claims.remove(p.name())) set.remove(e.key());
    }
    for (NftChain c : p.chains()) {
      Claimed claimed = chains.get(c.name());
      if (claimed != null && --claimed.claims == 0) chains.remove(c.name());
    }
  }

  /** Elements in the kernel per set (for tests and capacity checks). */
  int size(NftSet set) {
    return elements.get(set).size();
  }

  /** "cluster-tcp-10" after "cluster-tcp-9". */
  static int naturalOrder(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char x = a.charAt(i);
      char y = b.charAt(j);
      if (Character.isDigit(x) && Character.isDigit(y)) {
        int i2 = i;
        int j2 = j;
        while (i2 < a.length() && Character.isDigit(a.charAt(i2))) i2++;
        while (j2 < b.length() && Character.isDigit(b.charAt(j2))) j2++;
        int c = Long.compare(Long.parseLong(a.substring(i, i2)), Long.parseLong(b.substring(j, j2)));
        if (c != 0) return c;
        i = i2;
        j = j2;
      } else {
        if (x != y) return Character.compare(x, y);
        i++;
        j++;
      }
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  /** A partial sync would overflow a set declared in the last full sync. */
  public static final class CapacityExceeded extends Exception {
    public CapacityExceeded(String message) {
      super(message);
    }
  }
}
