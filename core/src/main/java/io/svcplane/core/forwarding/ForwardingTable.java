package io.svcplane.core.forwarding;

import java.util.Collection;
import java.util.Collections;
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

  /** Service ports that were added, changed or removed since {@code old}. */
  public Set<ServicePortName> changedFrom(ForwardingTable old) {
    Set<ServicePortName> changed = new TreeSet<>();
    rules.forEach((k, r) -> {
      if (!r.equals(old.rules.get(k))) changed.add(k);
    });
    old.rules.keySet().forEach(k -> {
      if (!rules.containsKey(k)) changed.add(k);
    });
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
