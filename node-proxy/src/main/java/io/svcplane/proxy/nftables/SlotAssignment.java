package io.svcplane.proxy.nftables;

import io.svcplane.core.forwarding.Endpoint;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which endpoint sits at which index ("slot") of a service port's endpoint map. {@code numgen
 * random mod n} picks a slot, and ClientIP affinity remembers the slot a client got, so slots
 * should move as little as possible when endpoints come and go: an endpoint (by address) keeps its
 * slot while it stays usable and the slot still exists; new endpoints, and those whose slot fell
 * off the end, fill the free slots in endpoint order. Partial syncs then touch only the slots that
 * changed, and affinity survives changes to other endpoints.
 */
public final class SlotAssignment {
  private SlotAssignment() {}

  /**
   * @param previous the slots as last applied (empty when there is no history)
   * @param usable the endpoints that may take new connections now, sorted
   * @return the new slots: a permutation of {@code usable}
   */
  public static List<Endpoint> assign(List<Endpoint> previous, List<Endpoint> usable) {
    Map<String, Endpoint> rest = new LinkedHashMap<>();
    for (Endpoint e : usable) rest.putIfAbsent(e.address(), e);
    Endpoint[] slots = new Endpoint[rest.size()];
    Set<String> kept = new HashSet<>();
    for (int i = 0; i < Math.min(slots.length, previous.size()); i++) {
      Endpoint now = rest.get(previous.get(i).address());
      if (now != null) {
        slots[i] = now;
        kept.add(now.address());
      }
    }
    rest.keySet().removeAll(kept);
    var fill = rest.values().iterator();
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] == null) slots[i] = fill.next();
    }
    return List.of(slots);
  }
}
