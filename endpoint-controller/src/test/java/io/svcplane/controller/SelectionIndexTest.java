package io.svcplane.controller;

import static io.svcplane.controller.Fixtures.port;
import static io.svcplane.controller.Fixtures.selector;
import static io.svcplane.controller.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.svcplane.api.v1.Service;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which services a pod change affects, and which pods a service selects, one change at a time. */
class SelectionIndexTest {
  private final SelectionIndex index = new SelectionIndex();

  @Test
  void podRelabeledAwayAffectsTheServiceThatSelectedItBefore() {
    index.serviceChanged("web", Map.of("app", "web"));
    assertEquals(Set.of("web"), index.podChanged("p", Map.of("app", "web")));
    // p no longer matches: web must be planned again (to drop p) although it does not select p now
    assertEquals(Set.of("web"), index.podChanged("p", Map.of("app", "db")));
    assertEquals(Set.of(), index.members("web"));
    // and from now on p's changes are none of web's business
    assertEquals(Set.of(), index.podChanged("p", Map.of("app", "db", "x", "y")));
  }

  @Test
  void podRelabeledIntoAServiceAffectsBothTheOldAndTheNewService() {
    index.serviceChanged("web", Map.of("app", "web"));
    index.serviceChanged("db", Map.of("app", "db"));
    index.podChanged("p", Map.of("app", "web"));
    assertEquals(Set.of("web", "db"), index.podChanged("p", Map.of("app", "db")));
    assertEquals(Set.of("p"), index.members("db"));
    assertEquals(Set.of("db"), index.selectedBy("p"));
  }

  @Test
  void podChangeWithTheSameLabelsAffectsTheServicesThatSelectIt() {
    index.serviceChanged("web", Map.of("app", "web"));
    index.serviceChanged("db", Map.of("app", "db"));
    index.podChanged("p", Map.of("app", "web"));
    assertEquals(Set.of("web"), index.podChanged("p", Map.of("app", "web")));
  }

  @Test
  void deletedPodAffectsTheServicesThatSelectedIt() {
    index.serviceChanged("web", Map.of("app", "web"));
    index.serviceChanged("all", Map.of());
    index.podChanged("p", Map.of("app", "web"));
    assertEquals(Set.of("web", "all"), index.podChanged("p", null));
    assertEquals(Set.of(), index.members("web"));
    assertEquals(Set.of(), index.members("all"));
  }

  @Test
  void selectorWithSeveralPairsNeedsEveryPair() {
    index.podChanged("a", Map.of("app", "web"));
    index.podChanged("b", Map.of("app", "web", "tier", "front"));
    index.serviceChanged("front", Map.of("app", "web", "tier", "front"));
    assertEquals(Set.of("b"), index.members("front"));
    assertEquals(Set.of(), index.podChanged("c", Map.of("tier", "front")));
    assertEquals(Set.of("front"), index.podChanged("c", Map.of("tier", "front", "app", "web")));
  }

  @Test
  void emptySelectorSelectsEveryPodOfTheNamespaceIncludingLaterOnes() {
    index.podChanged("a", Map.of("app", "web"));
    index.podChanged("b", Map.of());
    index.serviceChanged("all", Map.of());
    assertEquals(Set.of("a", "b"), index.members("all"));
    assertEquals(Set.of("all"), index.podChanged("c", Map.of("x", "y")));
    assertEquals(Set.of("a", "b", "c"), index.members("all"));
  }

  @Test
  void changedSelectorMovesWhatTheServiceSelects() {
    index.podChanged("a", Map.of("app", "a"));
    index.podChanged("b", Map.of("app", "b"));
    index.serviceChanged("s", Map.of("app", "a"));
    assertEquals(Set.of("a"), index.members("s"));
    index.serviceChanged("s", Map.of("app", "b"));
    assertEquals(Set.of("b"), index.members("s"));
    assertEquals(Set.of(), index.selectedBy("a"));
    assertEquals(Set.of(), index.podChanged("a", Map.of("app", "a", "v", "2")));
    assertEquals(Set.of("s"), index.podChanged("b", Map.of("app", "b", "v", "2")));
  }

  @Test
  void serviceThatLosesItsSelectorOrIsDeletedSelectsNothing() {
    index.podChanged("a", Map.of("app", "a"));
    index.serviceChanged("s", Map.of("app", "a"));
    index.serviceChanged("s", null);
    assertEquals(Set.of(), index.members("s"));
    assertEquals(Set.of(), index.podChanged("a", Map.of("app", "a", "v", "2")));
  }

  @Test
  void onlyServicesWhoseEndpointsComeFromPodsHaveASelectorInTheIndex() {
    Service plain = service("ns", "s", selector("app", "a"), port("", 80, "80")).build();
    assertEquals(Map.of("app", "a"), SelectionIndex.selectorOf(plain));
    assertEquals(Map.of(), SelectionIndex.selectorOf(service("ns", "s", selector(), port("", 80, "80")).build()));
    assertNull(SelectionIndex.selectorOf(service("ns", "s", null, port("", 80, "80")).build()));
    Service.Builder external = plain.toBuilder();
    external.getSpecBuilder().setType("ExternalName").setExternalName("example.com");
    assertNull(SelectionIndex.selectorOf(external.build()));
    assertNull(SelectionIndex.selectorOf(null));
  }

  /**
   * Random pod and service changes: each pod change affects exactly the services that selected
   * the pod before it or select it after it, and every service selects exactly its matching pods.
   */
  @Test
  void affectedServicesAreExactlyThoseThatSelectedThePodBeforeOrSelectItAfter() {
    Random random = new Random(42);
    List<Map<String, String>> labelChoices = List.of(Map.of(), Map.of("app", "a"), Map.of("app", "b"),
        Map.of("app", "a", "tier", "web"), Map.of("app", "b", "tier", "web"), Map.of("tier", "db"), Map.of("x", "1"));
    List<Map<String, String>> selectorChoices = List.of(Map.of(), Map.of("app", "a"), Map.of("app", "b"),
        Map.of("tier", "web"), Map.of("app", "a", "tier", "web"), Map.of("tier", "db", "app", "b"));
    Map<String, Map<String, String>> pods = new TreeMap<>();
    Map<String, Map<String, String>> services = new TreeMap<>();
    for (int step = 0; step < 20_000; step++) {
      if (random.nextInt(5) == 0) {
        String s = "s" + random.nextInt(8);
        Map<String, String> sel = random.nextInt(6) == 0 ? null : selectorChoices.get(random.nextInt(selectorChoices.size()));
        index.serviceChanged(s, sel);
        if (sel == null) services.remove(s);
        else services.put(s, sel);
      } else {
        String p = "p" + random.nextInt(30);
        Map<String, String> labels = random.nextInt(8) == 0 ? null : labelChoices.get(random.nextInt(labelChoices.size()));
        Set<String> expected = new HashSet<>();
        Map<String, String> old = pods.get(p);
        services.forEach((s, sel) -> {
          if ((old != null && matches(sel, old)) || (labels != null && matches(sel, labels))) expected.add(s);
        });
        assertEquals(expected, new HashSet<>(index.podChanged(p, labels)), "step " + step + ": " + p + " " + old + " -> " + labels);
        if (labels == null) pods.remove(p);
        else pods.put(p, labels);
      }
      for (String s : services.keySet()) {
        Set<String> members = new HashSet<>();
        pods.forEach((p, labels) -> {
          if (matches(services.get(s), labels)) members.add(p);
        });
        assertEquals(members, index.members(s), "step " + step + ": members of " + s);
      }
    }
  }

  private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    Map<String, String> l = new HashMap<>(labels);
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(l.get(e.getKey())));
  }
}
