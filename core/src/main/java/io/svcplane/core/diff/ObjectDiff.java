package io.svcplane.core.diff;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.util.Timestamps;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A compact field-by-field diff of two versions of a protobuf object over Kubernetes field paths
 * (JSON names): {@code spec.ports[0].port: 80 -> 8080},
 * {@code status.conditions[type=Ready].status: True -> False}, {@code + metadata.labels.tier: web}.
 * Works by reflection, so it covers every kind and every field added later.
 *
 * <p>Lists of messages whose elements carry a unique {@code type} (conditions) or {@code name}
 * (containers, env, named ports) are matched by it, so a reordering or an insertion reports the
 * element that really changed; other lists are compared index by index. Maps and
 * {@code google.protobuf.Struct} (the service selector) are compared key by key; timestamps are
 * RFC 3339 text; a whole element that appears or goes is one line of compact JSON.
 */
public final class ObjectDiff {
  private static final Pattern SIMPLE_KEY = Pattern.compile("[A-Za-z0-9_-]+");
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  private final Predicate<String> ignored;

  private ObjectDiff(Predicate<String> ignored) {
    this.ignored = ignored;
  }

  /** Diffs every field except {@code apiVersion}, {@code kind} and {@code metadata.resourceVersion}. */
  public static List<FieldChange> between(Message before, Message after) {
    return ignoring(p -> false).diff(before, after);
  }

  /**
   * A diff that also skips the given paths (and everything below them), e.g. {@code subsets} when
   * the caller shows Endpoints addresses its own way.
   */
  public static ObjectDiff ignoring(Predicate<String> paths) {
    return new ObjectDiff(p -> p.equals("apiVersion") || p.equals("kind")
        || p.equals("metadata.resourceVersion") || paths.test(p));
  }

  public List<FieldChange> diff(Message before, Message after) {
    if (!before.getDescriptorForType().equals(after.getDescriptorForType())) {
      throw new IllegalArgumentException("cannot diff a " + before.getDescriptorForType().getFullName()
          + " with a " + after.getDescriptorForType().getFullName());
    }
    List<FieldChange> out = new ArrayList<>();
    message("", before, after, out);
    return out;
  }

  private void message(String prefix, Message a, Message b, List<FieldChange> out) {
    Descriptor type = a.getDescriptorForType();
    if (type.equals(Struct.getDescriptor())) {
      struct(prefix, (Struct) a, (Struct) b, out);
      return;
    }
    for (FieldDescriptor fd : type.getFields()) {
      String path = prefix.isEmpty() ? fd.getJsonName() : prefix + "." + fd.getJsonName();
      if (ignored.test(path)) continue;
      if (fd.isMapField()) {
        map(path, fd, a, b, out);
      } else if (fd.isRepeated()) {
        repeated(path, fd, a, b, out);
      } else if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        boolean inA = a.hasField(fd);
        boolean inB = b.hasField(fd);
        if (!inA && !inB) continue;
        Message ma = (Message) a.getField(fd);
        Message mb = (Message) b.getField(fd);
        if (isLeafMessage(fd.getMessageType())) {
          leaf(path, inA ? text(ma) : null, inB ? text(mb) : null, out);
          continue;
        }
        int size = out.size();
        message(path, ma, mb, out);
        // presence alone can matter: a selector {} selects everything, none selects nothing
        if (out.size() == size && inA != inB) leaf(path, inA ? text(ma) : null, inB ? text(mb) : null, out);
      } else {
        Object va = a.getField(fd);
        Object vb = b.getField(fd);
        if (va.equals(vb)) continue;
        boolean alwaysChanged = fd.getJavaType() == FieldDescriptor.JavaType.BOOLEAN
            || fd.getJavaType() == FieldDescriptor.JavaType.ENUM;
        String ta = alwaysChanged || a.hasField(fd) ? scalarText(va) : null;
        String tb = alwaysChanged || b.hasField(fd) ? scalarText(vb) : null;
        leaf(path, ta, tb, out);
      }
    }
  }

  private void map(String path, FieldDescriptor fd, Message a, Message b, List<FieldChange> out) {
    Map<String, Object> ma = mapEntries(fd, a);
    Map<String, Object> mb = mapEntries(fd, b);
    Set<String> keys = new java.util.TreeSet<>(ma.keySet());
    keys.addAll(mb.keySet());
    FieldDescriptor valueField = fd.getMessageType().findFieldByName("value");
    for (String k : keys) {
      String p = path + keyPath(k);
      if (ignored.test(p)) continue;
      Object va = ma.get(k);
      Object vb = mb.get(k);
      if (va != null && vb != null && valueField.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        message(p, (Message) va, (Message) vb, out);
      } else if (va == null || vb == null || !va.equals(vb)) {
        leaf(p, va == null ? null : valueText(va), vb == null ? null : valueText(vb), out);
      }
    }
  }

  private static Map<String, Object> mapEntries(FieldDescriptor fd, Message m) {
    Map<String, Object> out = new TreeMap<>();
    FieldDescriptor k = fd.getMessageType().findFieldByName("key");
    FieldDescriptor v = fd.getMessageType().findFieldByName("value");
    int n = m.getRepeatedFieldCount(fd);
    for (int i = 0; i < n; i++) {
      Message entry = (Message) m.getRepeatedField(fd, i);
      out.put(String.valueOf(entry.getField(k)), entry.getField(v));
    }
    return out;
  }

  private void struct(String path, Struct a, Struct b, List<FieldChange> out) {
    Set<String> keys = new java.util.TreeSet<>(a.getFieldsMap().keySet());
    keys.addAll(b.getFieldsMap().keySet());
    for (String k : keys) {
      var va = a.getFieldsMap().get(k);
      var vb = b.getFieldsMap().get(k);
      if (va != null && va.equals(vb)) continue;
      String p = path + keyPath(k);
      if (ignored.test(p)) continue;
      leaf(p, va == null ? null : valueText(va), vb == null ? null : valueText(vb), out);
    }
  }

  private void repeated(String path, FieldDescriptor fd, Message a, Message b, List<FieldChange> out) {
    List<Object> la = list(fd, a);
    List<Object> lb = list(fd, b);
    if (la.equals(lb)) return;
    if (fd.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
      leaf(path, la.isEmpty() ? null : listText(la), lb.isEmpty() ? null : listText(lb), out);
      return;
    }
    String key = mergeKey(fd.getMessageType(), la, lb);
    if (key == null) {
      for (int i = 0; i < Math.max(la.size(), lb.size()); i++) {
        String p = path + "[" + i + "]";
        if (i < la.size() && i < lb.size()) message(p, (Message) la.get(i), (Message) lb.get(i), out);
        else leaf(p, i < la.size() ? text((Message) la.get(i)) : null, i < lb.size() ? text((Message) lb.get(i)) : null, out);
      }
      return;
    }
    Map<String, Message> byKeyA = byKey(key, la);
    Map<String, Message> byKeyB = byKey(key, lb);
    for (var e : byKeyB.entrySet()) {
      String p = path + "[" + key + "=" + e.getKey() + "]";
      Message old = byKeyA.get(e.getKey());
      if (old == null) leaf(p, null, text(e.getValue()), out);
      else message(p, old, e.getValue(), out);
    }
    for (var e : byKeyA.entrySet()) {
      if (!byKeyB.containsKey(e.getKey())) {
        leaf(path + "[" + key + "=" + e.getKey() + "]", text(e.getValue()), null, out);
      }
    }
  }

  /** "type" or "name" if every element on both sides has a distinct non-empty one; else null. */
  private static String mergeKey(Descriptor element, List<Object> la, List<Object> lb) {
    for (String candidate : List.of("type", "name")) {
      FieldDescriptor f = element.findFieldByName(candidate);
      if (f == null || f.getJavaType() != FieldDescriptor.JavaType.STRING || f.isRepeated()) continue;
      if (uniqueNonEmpty(f, la) && uniqueNonEmpty(f, lb)) return candidate;
      return null;
    }
    return null;
  }

  private static boolean uniqueNonEmpty(FieldDescriptor f, List<Object> l) {
    Set<Object> seen = new HashSet<>();
    for (Object o : l) {
      Object v = ((Message) o).getField(f);
      if ("".equals(v) || !seen.add(v)) return false;
    }
    return true;
  }

  private static Map<String, Message> byKey(String key, List<Object> l) {
    Map<String, Message> out = new LinkedHashMap<>();
    for (Object o : l) {
      Message m = (Message) o;
      out.put(String.valueOf(m.getField(m.getDescriptorForType().findFieldByName(key))), m);
    }
    return out;
  }

  private static List<Object> list(FieldDescriptor fd, Message m) {
    int n = m.getRepeatedFieldCount(fd);
    List<Object> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(m.getRepeatedField(fd, i));
    return out;
  }

  private void leaf(String path, String before, String after, List<FieldChange> out) {
    if (before == null && after == null) return;
    if (before != null && before.equals(after)) return;
    out.add(new FieldChange(path, before, after));
  }

  private static boolean isLeafMessage(Descriptor d) {
    return d.equals(Timestamp.getDescriptor()) || d.getFile().getPackage().equals("google.protobuf")
        && !d.equals(Struct.getDescriptor());
  }

  private static String keyPath(String key) {
    return SIMPLE_KEY.matcher(key).matches() ? "." + key : "[" + quote(key) + "]";
  }

  private static String scalarText(Object v) {
    if (v instanceof EnumValueDescriptor e) return e.getName();
    if (v instanceof String s) return stringText(s);
    if (v instanceof com.google.protobuf.ByteString bs) return "<" + bs.size() + " bytes>";
    return String.valueOf(v);
  }

  /** Strings as they are, quoted only when the raw text would mislead (empty, spaces, quotes). */
  private static String stringText(String s) {
    if (s.isEmpty() || s.isBlank() || !s.strip().equals(s) || s.contains("\"") || s.contains("\n")
        || s.contains(" -> ")) {
      return quote(s);
    }
    return s;
  }

  private static String valueText(Object v) {
    if (v instanceof com.google.protobuf.Value value) {
      return value.getKindCase() == com.google.protobuf.Value.KindCase.STRING_VALUE
          ? stringText(value.getStringValue()) : text(value);
    }
    if (v instanceof Message m) return text(m);
    return scalarText(v);
  }

  private static String listText(List<Object> l) {
    List<String> parts = new ArrayList<>();
    for (Object o : l) parts.add(scalarText(o));
    return "[" + String.join(", ", parts) + "]";
  }

  /** A message as one line: RFC 3339 for timestamps, compact JSON otherwise. */
  static String text(MessageOrBuilder m) {
    if (m instanceof Timestamp t) return Timestamps.toString(t);
    try {
      return JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      return m.toString().replace('\n', ' ').strip();
    }
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
