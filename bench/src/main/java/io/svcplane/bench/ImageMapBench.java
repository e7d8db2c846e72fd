package io.svcplane.bench;

import io.svcplane.core.image.HashTrieMap;
import java.util.Locale;
import java.util.Random;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;

/**
 * The cluster image's persistent map ({@link HashTrieMap}) beside pcollections' HashTreePMap,
 * which the image used before (it is on the classpath through Kafka): memory per entry, and the
 * time of what the apiserver's fold does per write, a get and a plus on a namespace's map, with
 * 64 namespaces of 5,000 objects (as the write benchmark's image near its end). The two are run in
 * turn in one JVM, several rounds, so that the machine's drift hits both.
 *
 * <pre>java -cp 'bench/target/bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*' io.svcplane.bench.ImageMapBench</pre>
 */
public final class ImageMapBench {
  private static volatile Object sink;

  /** Plus (map, key, value) -> map. */
  private interface Plus {
    Object apply(Object map, String key, Object value);
  }

  private record Ops(String name, Object empty, Plus plus, java.util.function.BiFunction<Object, String, Object> get) {}

  @SuppressWarnings("unchecked")
  private static final Ops TRIE = new Ops("HashTrieMap (svcplane)", HashTrieMap.empty(),
      (m, k, v) -> ((HashTrieMap<String, Object>) m).plus(k, v), (m, k) -> ((HashTrieMap<?, ?>) m).get(k));

  @SuppressWarnings("unchecked")
  private static final Ops PCOLLECTIONS = new Ops("HashTreePMap (pcollections)", HashTreePMap.empty(),
      (m, k, v) -> ((PMap<String, Object>) m).plus(k, v), (m, k) -> ((PMap<?, ?>) m).get(k));

  public static void main(String[] args) {
    int namespaces = 64;
    int perNamespace = 5000;
    int rounds = Integer.getInteger("bench.rounds", 6);
    String[] keys = new String[perNamespace * 2];
    for (int i = 0; i < keys.length; i++) keys[i] = "bench-svc-" + i;
    System.out.println("# image map: " + namespaces + " namespaces x " + perNamespace + " entries; per write a get and a"
        + " plus of a freshly parsed key (its hash not cached) on a random namespace's map");
    for (Ops ops : new Ops[] {PCOLLECTIONS, TRIE}) {
      long before = usedHeap();
      Object[] maps = build(ops, namespaces, perNamespace, keys);
      long after = usedHeap();
      System.out.printf(Locale.ROOT, "%-28s memory of the maps: %.1f bytes per entry (keys and values not counted)%n",
          ops.name(), (double) (after - before) / (namespaces * (long) perNamespace));
      sink = maps;
    }
    Random random = new Random(1);
    double[][] nanos = new double[2][rounds];
    for (int round = 0; round < rounds; round++) {
      Ops[] order = round % 2 == 0 ? new Ops[] {PCOLLECTIONS, TRIE} : new Ops[] {TRIE, PCOLLECTIONS};
      for (Ops ops : order) {
        Object[] maps = build(ops, namespaces, perNamespace, keys);
        int writes = 600_000;
        long t0 = System.nanoTime();
        for (int w = 0; w < writes; w++) {
          int n = random.nextInt(namespaces);
          String key = new String(keys[perNamespace + random.nextInt(perNamespace)]);
          sink = ops.get().apply(maps[n], key);
          maps[n] = ops.plus().apply(maps[n], key, key);
        }
        nanos[ops == PCOLLECTIONS ? 0 : 1][round] = (double) (System.nanoTime() - t0) / writes;
      }
      System.out.printf(Locale.ROOT, "round %d: get+plus %.0f ns with HashTreePMap, %.0f ns with HashTrieMap (ratio %.2f)%n",
          round, nanos[0][round], nanos[1][round], nanos[1][round] / nanos[0][round]);
    }
    for (int round = 0; round < rounds; round++) {
      double p = iterateNanosPerEntry(build(PCOLLECTIONS, namespaces, perNamespace, keys));
      double t = iterateNanosPerEntry(build(TRIE, namespaces, perNamespace, keys));
      System.out.printf(Locale.ROOT, "round %d: values() walk %.1f ns per entry with HashTreePMap, %.1f ns with HashTrieMap%n",
          round, p, t);
    }
  }

  /** Walks every value of every map, as a List of a namespace or a feed's snapshot does. */
  private static double iterateNanosPerEntry(Object[] maps) {
    long t0 = System.nanoTime();
    int seen = 0;
    for (int rep = 0; rep < 20; rep++) {
      for (Object m : maps) {
        for (Object v : ((java.util.Map<?, ?>) m).values()) {
          sink = v;
          seen++;
        }
      }
    }
    return (double) (System.nanoTime() - t0) / seen;
  }

  private static Object[] build(Ops ops, int namespaces, int perNamespace, String[] keys) {
    Object[] maps = new Object[namespaces];
    for (int n = 0; n < namespaces; n++) {
      Object m = ops.empty();
      for (int i = 0; i < perNamespace; i++) m = ops.plus().apply(m, keys[i], keys[i]);
      maps[n] = m;
    }
    return maps;
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 4; i++) System.gc();
    return rt.totalMemory() - rt.freeMemory();
  }
}
