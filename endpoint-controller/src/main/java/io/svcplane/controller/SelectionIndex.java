package io.svcplane.controller;

import io.svcplane.api.v1.Service;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.selector.LabelSelector;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which pods each service of one namespace selects, and the reverse, kept up to date one change at
 * a time so that a change is planned only for the services it can affect: a pod change affects the
 * services that selected the pod before it and those that select it after; a service change only
 * that service. Services are indexed under one pair of their selector (an empty selector under
 * "every pod") and pods under each of their labels, so neither a pod change nor a selector change
 * scans the namespace. Not thread-safe: it belongs to one namespace actor.
 */
final class SelectionIndex {
  /** Service name to its selector (equality on every pair; empty selects every pod). */
  private final Map<String, Map<String, String>> selectors = new HashMap<>();
  /** label key to value to the services indexed under that pair of their selector. */
  private final Map<String, Map<String, Set<String>>> servicesByLabel = new HashMap<>();
  /** Services with the empty selector {@code {}}. */
  private final Set<String> selectingEveryPod = new HashSet<>();
  /** Service name to the names of the pods it selects. */
  private final Map<String, Set<String>> members = new HashMap<>();
  /** Pod name to the services that select it (no entry: none). */
  private final Map<String, Set<String>> selectedBy = new HashMap<>();
  /** Pod name to its labels, for every pod of the namespace. */
  private final Map<String, Map<String, String>> podLabels = new HashMap<>();
  /** label key to value to the pods that carry that label. */
  private final Map<String, Map<String, Set<String>>> podsByLabel = new HashMap<>();

  /**
   * The selector the index keeps for a service: its selector map, or null when its Endpoints are
   * not computed from pods (deleted, no selector, ExternalName).
   */
  static Map<String, String> selectorOf(Service service) {
    if (service == null || EndpointsPlanner.isExternalName(service) || !service.getSpec().hasSelector()) return null;
    return LabelSelector.selectorMap(service);
  }

  /**
   * A pod was added or changed ({@code labels}) or deleted ({@code labels} null).
   *
   * @return the services that selected the pod before this change or select it after it; the
   *     set is valid until the next call and must not be modified
   */
  Set<String> podChanged(String pod, Map<String, String> labels) {
    Set<String> before = selectedBy.getOrDefault(pod, Set.of());
    Map<String, String> oldLabels = podLabels.get(pod);
    if (labels != null && labels.equals(oldLabels)) return before; // same labels: same services

    if (oldLabels != null) unindexPod(pod, oldLabels);
    Set<String> after = new HashSet<>();
    if (labels != null) {
      indexPod(pod, labels);
      selectingEveryPod.forEach(after::add);
      labels.forEach((key, value) -> {
        Map<String, Set<String>> byValue = servicesByLabel.get(key);
        Set<String> candidates = byValue == null ? null : byValue.get(value);
        if (candidates == null) return;
        for (String service : candidates) {
          if (matches(selectors.get(service), labels)) after.add(service);
        }
      });
    }
    for (String service : before) {
      if (!after.contains(service)) members.get(service).remove(pod);
    }
    for (String service : after) {
      if (!before.contains(service)) members.get(service).add(pod);
    }
    if (after.isEmpty()) selectedBy.remove(pod);
    else selectedBy.put(pod, after);
    if (before.isEmpty()) return after;
    Set<String> affected = new HashSet<>(before);
    affected.addAll(after);
    return affected;
  }

  /**
   * A service was added, changed or deleted; {@code selector} is {@link #selectorOf} it. Only a
   * different selector changes what it selects.
   */
  void serviceChanged(String service, Map<String, String> selector) {
    Map<String, String> old = selectors.get(service);
    if (old == null ? selector == null : old.equals(selector)) return;
    if (old != null) removeService(service, old);
    if (selector == null) return;

    Map<String, String> copy = Map.copyOf(selector);
    selectors.put(service, copy);
    Set<String> selected = new HashSet<>();
    if (copy.isEmpty()) {
      selectingEveryPod.add(service);
      selected.addAll(podLabels.keySet());
    } else {
      Map.Entry<String, String> pair = indexPair(copy);
      servicesByLabel.computeIfAbsent(pair.getKey(), k -> new HashMap<>())
          .computeIfAbsent(pair.getValue(), v -> new HashSet<>()).add(service);
      for (String pod : smallestPostingList(copy)) {
        if (matches(copy, podLabels.get(pod))) selected.add(pod);
      }
    }
    members.put(service, selected);
    for (String pod : selected) selectedBy.computeIfAbsent(pod, p -> new HashSet<>()).add(service);
  }

  /** Names of the pods the service selects; empty for a service that selects none or has no selector. */
  Set<String> members(String service) {
    return members.getOrDefault(service, Set.of());
  }

  /** Names of the services that select the pod. */
  Set<String> selectedBy(String pod) {
    return selectedBy.getOrDefault(pod, Set.of());
  }

  private void removeService(String service, Map<String, String> selector) {
    selectors.remove(service);
    if (selector.isEmpty()) {
      selectingEveryPod.remove(service);
    } else {
      Map.Entry<String, String> pair = indexPair(selector);
      Map<String, Set<String>> byValue = servicesByLabel.get(pair.getKey());
      Set<String> set = byValue.get(pair.getValue());
      set.remove(service);
      if (set.isEmpty()) byValue.remove(pair.getValue());
      if (byValue.isEmpty()) servicesByLabel.remove(pair.getKey());
    }
    for (String pod : members.remove(service)) {
      Set<String> services = selectedBy.get(pod);
      services.remove(service);
      if (services.isEmpty()) selectedBy.remove(pod);
    }
  }

  /** The pair a service is indexed under: the least key, so it is stable for one selector. */
  private static Map.Entry<String, String> indexPair(Map<String, String> selector) {
    String key = null;
    for (String k : selector.keySet()) {
      if (key == null || k.compareTo(key) < 0) key = k;
    }
    return Map.entry(key, selector.get(key));
  }

  /** The pods carrying the rarest pair of a non-empty selector: the only candidates it can select. */
  private Collection<String> smallestPostingList(Map<String, String> selector) {
    Collection<String> smallest = null;
    for (Map.Entry<String, String> pair : selector.entrySet()) {
      Map<String, Set<String>> byValue = podsByLabel.get(pair.getKey());
      Set<String> pods = byValue == null ? null : byValue.get(pair.getValue());
      if (pods == null) return Set.of();
      if (smallest == null || pods.size() < smallest.size()) smallest = pods;
    }
    return smallest;
  }

  private void indexPod(String pod, Map<String, String> labels) {
    Map<String, String> copy = Map.copyOf(labels);
    podLabels.put(pod, copy);
    copy.forEach((key, value) -> podsByLabel.computeIfAbsent(key, k -> new HashMap<>())
        .computeIfAbsent(value, v -> new HashSet<>()).add(pod));
  }

  private void unindexPod(String pod, Map<String, String> labels) {
    podLabels.remove(pod);
    labels.forEach((key, value) -> {
      Map<String, Set<String>> byValue = podsByLabel.get(key);
      Set<String> pods = byValue.get(value);
      pods.remove(pod);
      if (pods.isEmpty()) byValue.remove(value);
      if (byValue.isEmpty()) podsByLabel.remove(key);
    });
  }

  /** A Service selector: every pair present with the same value (as Kubernetes' SelectorFromSet). */
  private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> pair : selector.entrySet()) {
      if (!pair.getValue().equals(labels.get(pair.getKey()))) return false;
    }
    return true;
  }
}
