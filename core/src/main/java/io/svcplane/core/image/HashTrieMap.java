package io.svcplane.core.image;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * An immutable hash map whose {@link #plus} and {@link #minus} return a new map that shares all
 * but O(log32 n) nodes with this one: a compressed hash-array mapped prefix trie (CHAMP, Steindorfer
 * and Vinju 2015, the layout of Scala's and Clojure's persistent hash maps). Each node holds up to
 * 32 entries and sub-nodes, indexed by 5 bits of the key's hash, in one array; entries that share
 * all 32 bits go to a collision node at the bottom.
 *
 * <p>Why not pcollections' HashTreePMap, which the image used first: that is a binary tree over
 * hash codes, so a change to a namespace of 5,000 objects copies and rebalances ~13 nodes; here it
 * copies 3 small arrays. Folding a write's record was a quarter of the apiserver's fold thread in
 * rebalancing alone.
 *
 * <p>Neither keys nor values may be null. Reads are the {@link Map} interface's; every mutator of
 * {@link Map} throws.
 */
public final class HashTrieMap<K, V> extends AbstractMap<K, V> {
  private static final HashTrieMap<?, ?> EMPTY = new HashTrieMap<>(BitmapNode.EMPTY, 0);
  private static final int BITS = 5;
  private static final int MASK = (1 << BITS) - 1;
  /** Past the last level: the whole hash is used. */
  private static final int HASH_BITS = 32;

  private final Node root;
  private final int size;
  private Set<Entry<K, V>> entrySet;

  private HashTrieMap(Node root, int size) {
    this.root = root;
    this.size = size;
  }

  @SuppressWarnings("unchecked")
  public static <K, V> HashTrieMap<K, V> empty() {
    return (HashTrieMap<K, V>) EMPTY;
  }

  /** {@code m} itself if it is one, else a new map with its entries. */
  @SuppressWarnings("unchecked")
  public static <K, V> HashTrieMap<K, V> from(Map<? extends K, ? extends V> m) {
    if (m instanceof HashTrieMap<?, ?> t) return (HashTrieMap<K, V>) t;
    HashTrieMap<K, V> out = empty();
    for (Entry<? extends K, ? extends V> e : m.entrySet()) out = out.plus(e.getKey(), e.getValue());
    return out;
  }

  /** This map with {@code key} mapped to {@code value}; this map itself if it already was (same instance). */
  public HashTrieMap<K, V> plus(K key, V value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Change change = new Change();
    Node r = root.put(key, value, hash(key), 0, change);
    return r == root ? this : new HashTrieMap<>(r, change.added ? size + 1 : size);
  }

  /** This map without {@code key}; this map itself if it had no such key. */
  public HashTrieMap<K, V> minus(Object key) {
    if (key == null) return this;
    Node r = root.remove(key, hash(key), 0);
    return r == root ? this : new HashTrieMap<>(r, size - 1);
  }

  @Override
  @SuppressWarnings("unchecked")
  public V get(Object key) {
    return key == null ? null : (V) root.find(key, hash(key), 0);
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public V getOrDefault(Object key, V defaultValue) {
    V v = get(key);
    return v != null ? v : defaultValue;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean isEmpty() {
    return size == 0;
  }

  @Override
  public Set<Entry<K, V>> entrySet() {
    Set<Entry<K, V>> s = entrySet;
    if (s == null) {
      s = new AbstractSet<>() {
        @Override
        public Iterator<Entry<K, V>> iterator() {
          return new TrieIterator<>(root, ENTRIES);
        }

        @Override
        public int size() {
          return size;
        }

        @Override
        public boolean contains(Object o) {
          return o instanceof Entry<?, ?> e && e.getValue() != null && e.getValue().equals(get(e.getKey()));
        }
      };
      entrySet = s;
    }
    return s;
  }

  // Keys, values and forEach walk the trie itself: unlike entrySet, they allocate nothing per entry.

  @Override
  public Set<K> keySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<K> iterator() {
        return new TrieIterator<>(root, KEYS);
      }

      @Override
      public int size() {
        return size;
      }

      @Override
      public boolean contains(Object o) {
        return containsKey(o);
      }
    };
  }

  @Override
  public Collection<V> values() {
    return new AbstractCollection<>() {
      @Override
      public Iterator<V> iterator() {
        return new TrieIterator<>(root, VALUES);
      }

      @Override
      public int size() {
        return size;
      }
    };
  }

  @Override
  public void forEach(BiConsumer<? super K, ? super V> action) {
    forEach(root, action);
  }

  /** A node's own entries, then its sub-nodes': the order of the iterators. */
  @SuppressWarnings("unchecked")
  private static <K, V> void forEach(Node node, BiConsumer<? super K, ? super V> action) {
    int entries = 2 * node.entryCount();
    for (int i = 0; i < entries; i += 2) action.accept((K) node.content[i], (V) node.content[i + 1]);
    for (int i = entries; i < node.content.length; i++) forEach((Node) node.content[i], action);
  }

  /** Spreads the high bits down, so keys whose hash codes differ only high up still part early. */
  private static int hash(Object key) {
    int h = key.hashCode();
    return h ^ (h >>> 16);
  }

  private static int mask(int hash, int shift) {
    return (hash >>> shift) & MASK;
  }

  /** What a put did: added a key (else it replaced a value). */
  private static final class Change {
    boolean added;
  }

  /**
   * A node: {@code content} holds its entries first, as key, value, key, value, ..., then its
   * sub-nodes. Canonical form: every sub-node holds at least two entries in all, so that a map has
   * one shape whatever the order of its changes.
   */
  private abstract static class Node {
    final Object[] content;

    Node(Object[] content) {
      this.content = content;
    }

    /** Entries held in this node itself. */
    abstract int entryCount();

    abstract int nodeCount();

    /** The value of {@code key}, or null. */
    abstract Object find(Object key, int hash, int shift);

    abstract Node put(Object key, Object value, int hash, int shift, Change change);

    /** This node without {@code key}; this node itself if it had no such key. */
    abstract Node remove(Object key, int hash, int shift);

    /** One entry and no sub-nodes: its parent takes the entry in. */
    final boolean isSingleEntry() {
      return entryCount() == 1 && nodeCount() == 0;
    }
  }

  private static final class BitmapNode extends Node {
    static final BitmapNode EMPTY = new BitmapNode(0, 0, new Object[0]);
    /** Bits of the hash slices that hold an entry here. */
    final int entryMap;
    /** Bits of the hash slices that hold a sub-node. */
    final int nodeMap;

    BitmapNode(int entryMap, int nodeMap, Object[] content) {
      super(content);
      this.entryMap = entryMap;
      this.nodeMap = nodeMap;
    }

    @Override
    int entryCount() {
      return Integer.bitCount(entryMap);
    }

    @Override
    int nodeCount() {
      return Integer.bitCount(nodeMap);
    }

    private int entryIndex(int bit) {
      return 2 * Integer.bitCount(entryMap & (bit - 1));
    }

    private int nodeIndex(int bit) {
      return 2 * Integer.bitCount(entryMap) + Integer.bitCount(nodeMap & (bit - 1));
    }

    @Override
    Object find(Object key, int hash, int shift) {
      int bit = 1 << mask(hash, shift);
      if ((entryMap & bit) != 0) {
        int i = entryIndex(bit);
        return key.equals(content[i]) ? content[i + 1] : null;
      }
      if ((nodeMap & bit) != 0) return ((Node) content[nodeIndex(bit)]).find(key, hash, shift + BITS);
      return null;
    }

    @Override
    Node put(Object key, Object value, int hash, int shift, Change change) {
      int bit = 1 << mask(hash, shift);
      if ((entryMap & bit) != 0) {
        int i = entryIndex(bit);
        Object k = content[i];
        if (key.equals(k)) {
          if (content[i + 1] == value) return this;
          Object[] c = content.clone();
          c[i + 1] = value;
          return new BitmapNode(entryMap, nodeMap, c);
        }
        // Two keys in one slot: both go down into a new sub-node.
        change.added = true;
        Node sub = pair(k, content[i + 1], hash(k), key, value, hash, shift + BITS);
        return entryToNode(bit, i, sub);
      }
      if ((nodeMap & bit) != 0) {
        int i = nodeIndex(bit);
        Node sub = (Node) content[i];
        Node changed = sub.put(key, value, hash, shift + BITS, change);
        if (changed == sub) return this;
        Object[] c = content.clone();
        c[i] = changed;
        return new BitmapNode(entryMap, nodeMap, c);
      }
      change.added = true;
      int i = entryIndex(bit);
      Object[] c = new Object[content.length + 2];
      System.arraycopy(content, 0, c, 0, i);
      c[i] = key;
      c[i + 1] = value;
      System.arraycopy(content, i, c, i + 2, content.length - i);
      return new BitmapNode(entryMap | bit, nodeMap, c);
    }

    @Override
    Node remove(Object key, int hash, int shift) {
      int bit = 1 << mask(hash, shift);
      if ((entryMap & bit) != 0) {
        int i = entryIndex(bit);
        if (!key.equals(content[i])) return this;
        Object[] c = new Object[content.length - 2];
        System.arraycopy(content, 0, c, 0, i);
        System.arraycopy(content, i + 2, c, i, content.length - i - 2);
        return new BitmapNode(entryMap ^ bit, nodeMap, c);
      }
      if ((nodeMap & bit) != 0) {
        int i = nodeIndex(bit);
        Node sub = (Node) content[i];
        Node changed = sub.remove(key, hash, shift + BITS);
        if (changed == sub) return this;
        if (changed.isSingleEntry()) {
          // If nothing else is here, the parent takes that entry in; the root keeps it itself.
          if (shift > 0 && entryMap == 0 && Integer.bitCount(nodeMap) == 1) return changed;
          return nodeToEntry(bit, i, changed.content[0], changed.content[1]);
        }
        Object[] c = content.clone();
        c[i] = changed;
        return new BitmapNode(entryMap, nodeMap, c);
      }
      return this;
    }

    /** The entry at {@code bit} (at index {@code i}) replaced by sub-node {@code sub}. */
    private Node entryToNode(int bit, int i, Node sub) {
      int entries = 2 * Integer.bitCount(entryMap);
      int nodesBefore = Integer.bitCount(nodeMap & (bit - 1));
      Object[] c = new Object[content.length - 1];
      System.arraycopy(content, 0, c, 0, i);
      System.arraycopy(content, i + 2, c, i, entries - i - 2);
      System.arraycopy(content, entries, c, entries - 2, nodesBefore);
      c[entries - 2 + nodesBefore] = sub;
      System.arraycopy(content, entries + nodesBefore, c, entries - 1 + nodesBefore,
          content.length - entries - nodesBefore);
      return new BitmapNode(entryMap ^ bit, nodeMap | bit, c);
    }

    /** The sub-node at {@code bit} (at index {@code i}) replaced by its one entry. */
    private Node nodeToEntry(int bit, int i, Object key, Object value) {
      int entries = 2 * Integer.bitCount(entryMap);
      int at = entryIndex(bit);
      Object[] c = new Object[content.length + 1];
      System.arraycopy(content, 0, c, 0, at);
      c[at] = key;
      c[at + 1] = value;
      System.arraycopy(content, at, c, at + 2, entries - at);
      System.arraycopy(content, entries, c, entries + 2, i - entries);
      System.arraycopy(content, i + 1, c, i + 2, content.length - i - 1);
      return new BitmapNode(entryMap | bit, nodeMap ^ bit, c);
    }
  }

  /** Keys whose whole hashes are equal, at the bottom of the trie. */
  private static final class CollisionNode extends Node {
    final int hash;

    CollisionNode(int hash, Object[] content) {
      super(content);
      this.hash = hash;
    }

    @Override
    int entryCount() {
      return content.length / 2;
    }

    @Override
    int nodeCount() {
      return 0;
    }

    private int indexOf(Object key) {
      for (int i = 0; i < content.length; i += 2) {
        if (key.equals(content[i])) return i;
      }
      return -1;
    }

    @Override
    Object find(Object key, int hash, int shift) {
      int i = indexOf(key);
      return i < 0 ? null : content[i + 1];
    }

    @Override
    Node put(Object key, Object value, int hash, int shift, Change change) {
      int i = indexOf(key);
      if (i >= 0) {
        if (content[i + 1] == value) return this;
        Object[] c = content.clone();
        c[i + 1] = value;
        return new CollisionNode(this.hash, c);
      }
      change.added = true;
      Object[] c = java.util.Arrays.copyOf(content, content.length + 2);
      c[content.length] = key;
      c[content.length + 1] = value;
      return new CollisionNode(this.hash, c);
    }

    @Override
    Node remove(Object key, int hash, int shift) {
      int i = indexOf(key);
      if (i < 0) return this;
      Object[] c = new Object[content.length - 2];
      System.arraycopy(content, 0, c, 0, i);
      System.arraycopy(content, i + 2, c, i, content.length - i - 2);
      // One left: its parent takes the entry in (a single-entry node is never kept).
      return new CollisionNode(this.hash, c);
    }
  }

  /** A node holding two entries whose hashes agree below {@code shift}. */
  private static Node pair(Object k0, Object v0, int h0, Object k1, Object v1, int h1, int shift) {
    if (shift >= HASH_BITS) return new CollisionNode(h0, new Object[] {k0, v0, k1, v1});
    int m0 = mask(h0, shift);
    int m1 = mask(h1, shift);
    if (m0 == m1) {
      return new BitmapNode(0, 1 << m0, new Object[] {pair(k0, v0, h0, k1, v1, h1, shift + BITS)});
    }
    Object[] c = m0 < m1 ? new Object[] {k0, v0, k1, v1} : new Object[] {k1, v1, k0, v0};
    return new BitmapNode((1 << m0) | (1 << m1), 0, c);
  }

  private static final int ENTRIES = 0;
  private static final int KEYS = 1;
  private static final int VALUES = 2;

  /** Depth first: a node's own entries, then its sub-nodes'. Yields entries, keys or values. */
  private static final class TrieIterator<T> implements Iterator<T> {
    private final ArrayDeque<Node> pending = new ArrayDeque<>();
    private final int yields;
    private Object[] entries = new Object[0];
    private int next;
    private int end;

    TrieIterator(Node root, int yields) {
      this.yields = yields;
      pending.push(root);
      advance();
    }

    private void advance() {
      while (next >= end && !pending.isEmpty()) {
        Node n = pending.pop();
        entries = n.content;
        next = 0;
        end = 2 * n.entryCount();
        for (int i = n.content.length - 1; i >= end; i--) pending.push((Node) n.content[i]);
      }
    }

    @Override
    public boolean hasNext() {
      return next < end;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
      if (next >= end) throw new NoSuchElementException();
      Object k = entries[next];
      Object v = entries[next + 1];
      next += 2;
      advance();
      return (T) switch (yields) {
        case KEYS -> k;
        case VALUES -> v;
        default -> new SimpleImmutableEntry<>(k, v);
      };
    }
  }
}
