package io.svcplane.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HashTrieMapTest {

  /** A key with the hash code it is given. */
  private record Key(int hash, String id) {
    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** 2^n distinct strings with one hash code: "Aa" and "BB" hash alike, and so do their concatenations. */
  private static List<String> colliding(int n) {
    List<String> out = new ArrayList<>(List.of(""));
    for (int i = 0; i < n; i++) {
      List<String> next = new ArrayList<>();
      for (String s : out) {
        next.add(s + "Aa");
        next.add(s + "BB");
      }
      out = next;
    }
    return out;
  }

  @Test
  void collidingKeysReallyCollide() {
    List<String> keys = colliding(4);
    assertEquals(16, new HashSet<>(keys).size());
    for (String k : keys) assertEquals("AaAaAaAa".hashCode(), k.hashCode());
  }

  /**
   * Random plus and minus, checked after every step against a HashMap, and the older maps checked
   * at the end, for none may change: keys from a small pool (so removals hit), with whole-hash
   * collisions and hashes that agree in all but their low, middle or top bits.
   */
  @Test
  void behavesAsAHashMapAndNeverChangesAnOlderMap() {
    Random random = new Random(42);
    List<Object> pool = new ArrayList<>();
    for (int i = 0; i < 3000; i++) pool.add("svc-" + i);
    pool.addAll(colliding(5));
    for (int i = 0; i < 64; i++) {
      pool.add(new Key(i, "low"));
      pool.add(new Key(i << 26, "top")); // part only at the last levels
      pool.add(new Key(i % 4 == 0 ? 7 : 7 | (i << 20), "mid" + i)); // some collide whole, some part midway
    }
    for (int round = 0; round < 4; round++) {
      HashTrieMap<Object, Integer> map = HashTrieMap.empty();
      Map<Object, Integer> expected = new HashMap<>();
      List<HashTrieMap<Object, Integer>> older = new ArrayList<>();
      List<Map<Object, Integer>> olderExpected = new ArrayList<>();
      for (int step = 0; step < 20_000; step++) {
        Object key = pool.get(random.nextInt(pool.size()));
        if (random.nextInt(3) == 0) {
          map = map.minus(key);
          expected.remove(key);
        } else {
          int value = random.nextInt(5);
          map = map.plus(key, value);
          expected.put(key, value);
        }
        assertEquals(expected.size(), map.size());
        assertEquals(expected.get(key), map.get(key));
        if (step % 1000 == 0) {
          older.add(map);
          olderExpected.add(new HashMap<>(expected));
        }
      }
      assertEquals(expected, map);
      assertEquals(expected, new HashMap<>(map));
      assertEquals(expected.hashCode(), map.hashCode());
      for (Object k : pool) assertEquals(expected.containsKey(k), map.containsKey(k), k.toString());
      for (int i = 0; i < older.size(); i++) assertEquals(olderExpected.get(i), older.get(i));
      // empty it again: every node folds back up into its parent
      for (Object k : pool) map = map.minus(k);
      assertTrue(map.isEmpty());
      assertEquals(0, map.size());
      assertEquals(Map.of(), map);
    }
  }

  /** Keys that share the root's slot leave a sub-node at the root; a removal folds it back. */
  @Test
  void keysUnderOneRootSlot() {
    Key a = new Key(1, "a");
    Key b = new Key(1 | 32, "b");
    Key c = new Key(1 | 32, "c");
    HashTrieMap<Key, String> map = HashTrieMap.<Key, String>empty().plus(a, "A").plus(b, "B").plus(c, "C");
    assertEquals(Map.of(a, "A", b, "B", c, "C"), map);
    HashTrieMap<Key, String> two = map.minus(c);
    assertEquals(Map.of(a, "A", b, "B"), two);
    HashTrieMap<Key, String> one = two.minus(b);
    assertEquals("A", one.get(a));
    assertEquals(Map.of(a, "A"), one);
    assertTrue(one.minus(a).isEmpty());
    assertEquals("B", two.minus(a).get(b));
    assertEquals(Map.of(a, "A", c, "C"), map.minus(b));
  }

  @Test
  void iteratesEachEntryOnce() {
    HashTrieMap<String, String> map = HashTrieMap.empty();
    for (String k : colliding(3)) map = map.plus(k, "c" + k);
    for (int i = 0; i < 500; i++) map = map.plus("k" + i, "v" + i);
    List<String> seen = new ArrayList<>();
    for (var e : map.entrySet()) {
      seen.add(e.getKey());
      assertEquals(e.getKey().startsWith("k") ? "v" + e.getKey().substring(1) : "c" + e.getKey(), e.getValue());
    }
    assertEquals(508, seen.size());
    assertEquals(508, new HashSet<>(seen).size());
    assertEquals(new HashSet<>(seen), map.keySet());
    // keys, values and forEach walk the trie without entries, in the same order
    assertEquals(seen, new ArrayList<>(map.keySet()));
    List<String> values = new ArrayList<>();
    for (String k : seen) values.add(map.get(k));
    assertEquals(values, new ArrayList<>(map.values()));
    List<String> visited = new ArrayList<>();
    HashTrieMap<String, String> full = map;
    full.forEach((k, v) -> {
      assertEquals(full.get(k), v);
      visited.add(k);
    });
    assertEquals(seen, visited);
    assertTrue(map.keySet().contains("k7"));
    assertEquals(508, map.values().size());
  }

  @Test
  void anUnchangedMapIsTheSameInstance() {
    String value = "v";
    HashTrieMap<String, String> map = HashTrieMap.<String, String>empty().plus("a", value).plus("b", "w");
    assertSame(map, map.plus("a", value));
    assertSame(map, map.minus("absent"));
    assertSame(map, map.minus(null));
    // an equal value that is another object replaces it: the image swaps in new objects
    String other = new String("v");
    assertNotSame(map, map.plus("a", other));
    assertSame(other, map.plus("a", other).get("a"));
  }

  @Test
  void fromCopiesAPlainMapAndKeepsATrie() {
    Map<String, Integer> plain = Map.of("a", 1, "b", 2);
    HashTrieMap<String, Integer> trie = HashTrieMap.from(plain);
    assertEquals(plain, trie);
    assertSame(trie, HashTrieMap.from(trie));
  }

  @Test
  void refusesNullsAndChanges() {
    HashTrieMap<String, String> map = HashTrieMap.empty();
    assertThrows(NullPointerException.class, () -> map.plus(null, "v"));
    assertThrows(NullPointerException.class, () -> map.plus("k", null));
    assertThrows(UnsupportedOperationException.class, () -> map.plus("k", "v").put("x", "y"));
    assertThrows(UnsupportedOperationException.class, () -> map.plus("k", "v").entrySet().iterator().next().setValue("y"));
    assertNull(map.get(null));
  }
}
