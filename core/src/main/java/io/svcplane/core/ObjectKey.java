package io.svcplane.core;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;

/**
 * Identity of one object: kind, namespace (empty for cluster-scoped kinds) and name. Its string
 * form {@code Kind/namespace/name} is the Kafka record key of every event of the object.
 */
public record ObjectKey(Kind kind, String namespace, String name) implements Comparable<ObjectKey> {

  public ObjectKey {
    if (kind == null || kind == Kind.KIND_UNSPECIFIED || kind == Kind.UNRECOGNIZED) {
      throw new IllegalArgumentException("object key needs a kind");
    }
    namespace = Kinds.isNamespaced(kind) ? (namespace == null ? "" : namespace) : "";
    name = name == null ? "" : name;
  }

  public static ObjectKey of(Resource resource) {
    var meta = Kinds.metadata(resource);
    return new ObjectKey(Kinds.kindOf(resource), meta.getNamespace(), meta.getName());
  }

  /** Parses the record-key form {@code Kind/namespace/name}, e.g. {@code Service/default/web}. */
  public static ObjectKey parse(String key) {
    String[] parts = key.split("/", 3);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not an object key (Kind/namespace/name): " + key);
    }
    return new ObjectKey(Kinds.byName(parts[0]), parts[1], parts[2]);
  }

  /** The namespace part of a record key, without parsing the rest: the partitioning input. */
  public static String namespaceOfKey(String key) {
    int first = key.indexOf('/');
    int second = first < 0 ? -1 : key.indexOf('/', first + 1);
    if (second < 0) {
      throw new IllegalArgumentException("not an object key (Kind/namespace/name): " + key);
    }
    return key.substring(first + 1, second);
  }

  /** kubectl's short form, e.g. {@code service/web}. */
  public String kindSlashName() {
    return Kinds.singular(kind) + "/" + name;
  }

  @Override
  public String toString() {
    return Kinds.kindName(kind) + "/" + namespace + "/" + name;
  }

  @Override
  public int compareTo(ObjectKey o) {
    int c = kind.compareTo(o.kind);
    if (c != 0) return c;
    c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }
}
