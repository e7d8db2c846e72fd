package io.svcplane.core.forwarding;

import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The whole desired forwarding state of a node: one rule per service port. Backends (userspace
 * listeners, the nftables ruleset, dry-run JSON) render it; {@link #changedFrom} gives what a
 * partial sync must touch. Immutable.
 */
public final class ForwardingTable {
  public static final ForwardingTable EMPTY = new ForwardingTable(Map.of());

  private final Map<ServicePortName, ServicePortRule> rules;

  private ForwardingTable(Map<ServicePortName, ServicePortRule> rules) {
    this.rules = rules;
  }

  public static ForwardingTable of(Collection<ServicePortRule> rules) {
    TreeMap<ServicePortName, ServicePortRule> m = new TreeMap<>();
    for (ServicePortRule r : rules) {
      if (m.put(r.name(), r) != null) throw new IllegalArgumentException("two rules for " + r.name());
    }
    return new ForwardingTable(Collections.unmodifiableMap(m));
  }

  /** Rules by service port, sorted. */
  public Map<ServicePortName, ServicePortRule> rules() {
    return rules;
  }

  public ServicePortRule rule(ServicePortName name) {
    return rules.get(name);
  }

  /**
   * Service ports that were added, changed or removed since {@code old}. One merge walk over both
   * sorted tables, and rules that are the same object are not compared field by field: a proxy
   * diffs its whole table on every update, so this must stay cheap at 10,000s of service ports.
   */
  public Set<ServicePortName> changedFrom(ForwardingTable old) {
    Set<ServicePortName> changed = new TreeSet<>();
    Iterator<Map.Entry<ServicePortName, ServicePortRule>> now = rules.entrySet().iterator();
    Iterator<Map.Entry<ServicePortName, ServicePortRule>> before = old.rules.entrySet().iterator();
    Map.Entry<ServicePortName, ServicePortRule> a = now.hasNext() ? now.next() : null;
    Map.Entry<ServicePortName, ServicePortRule> b = before.hasNext() ? before.next() : null;
    while (a != null || b != null) {
      int c = a == null ? 1 : b == null ? -1 : a.getKey() == b.getKey() ? 0 : a.getKey().compareTo(b.getKey());
      if (c < 0) {
        changed.add(a.getKey());
      } else if (c > 0) {
        changed.add(b.getKey());
      } else if (a.getValue() != b.getValue() && !a.getValue().equals(b.getValue())) {
        changed.add(a.getKey());
      }
      if (c <= 0) a = now.hasNext() ? now.next() : null;
      if (c >= 0) b = before.hasNext() ? before.next() : null;
    }
    return changed;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ForwardingTable t && rules.equals(t.rules);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rules);
  }

  @Override
  public String toString() {
    return "ForwardingTable" + rules.values();
  }
}
