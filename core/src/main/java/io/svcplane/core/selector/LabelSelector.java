package io.svcplane.core.selector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A Kubernetes label selector: a conjunction of requirements, equality-based ({@code app=nginx},
 * {@code app==nginx}, {@code tier!=db}) and set-based ({@code env in (a,b)},
 * {@code env notin (c)}, {@code canary}, {@code !canary}). Immutable.
 */
public final class LabelSelector {
  /** Selects everything (the empty selector string). */
  public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

  public enum Operator { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST }

  /** One requirement of the conjunction. */
  public record Requirement(String key, Operator operator, SortedSet<String> values) {
    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (operator) {
        case EQUALS, IN -> v != null && values.contains(v);
        case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
        case EXISTS -> v != null;
        case DOES_NOT_EXIST -> v == null;
      };
    }

    @Override
    public String toString() {
      return switch (operator) {
        case EQUALS -> key + "=" + values.first();
        case NOT_EQUALS -> key + "!=" + values.first();
        case IN -> key + " in (" + String.join(",", values) + ")";
        case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
        case EXISTS -> key;
        case DOES_NOT_EXIST -> "!" + key;
      };
    }
  }

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    this.requirements = List.copyOf(requirements);
  }

  /** A selector matching labels that contain every key=value of the map (a Service selector). */
  public static LabelSelector ofMap(Map<String, String> labels) {
    List<Requirement> rs = new ArrayList<>();
    new java.util.TreeMap<>(labels).forEach(
        (k, v) -> rs.add(new Requirement(k, Operator.EQUALS, new TreeSet<>(List.of(v)))));
    return new LabelSelector(rs);
  }

  /**
   * The selector of a Service, or empty when the service has none (its Endpoints are written by
   * users). A present but empty selector ({@code {}}) selects every pod of the namespace.
   */
  public static java.util.Optional<LabelSelector> ofService(io.svcplane.api.v1.Service service) {
    var spec = service.getSpec();
    if (!spec.hasSelector()) return java.util.Optional.empty();
    return java.util.Optional.of(ofMap(selectorMap(service)));
  }

  /** A Service's selector as a map (values that are not strings are taken as their text). */
  public static Map<String, String> selectorMap(io.svcplane.api.v1.Service service) {
    Map<String, String> m = new java.util.TreeMap<>();
    service.getSpec().getSelector().getFieldsMap().forEach((k, v) -> m.put(k, valueText(v)));
    return m;
  }

  private static String valueText(com.google.protobuf.Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        yield d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
      }
      default -> "";
    };
  }

  public List<Requirement> requirements() {
    return requirements;
  }

  public boolean isEverything() {
    return requirements.isEmpty();
  }

  public boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) return false;
    }
    return true;
  }

  /**
   * Parses kubectl's {@code -l} syntax.
   *
   * @throws IllegalArgumentException with a message that names the offending part
   */
  public static LabelSelector parse(String text) {
    if (text == null || text.isBlank()) return EVERYTHING;
    return new Parser(text).parse();
  }

  @Override
  public String toString() {
    return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelSelector s && requirements.equals(s.requirements);
  }

  @Override
  public int hashCode() {
    return requirements.hashCode();
  }

  // Label key: optional DNS-1123 subdomain prefix and '/', then a name of 1-63 characters.
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
  private static final Pattern PREFIX =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern VALUE = Pattern.compile("(" + NAME.pattern() + ")?");

  /** The error for an invalid label key, or null when the key is valid. */
  public static String checkKey(String key) {
    int slash = key.indexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      if (prefix.isEmpty() || prefix.length() > 253 || !PREFIX.matcher(prefix).matches()) {
        return "prefix part must be a lowercase RFC 1123 subdomain of at most 253 characters";
      }
    }
    if (!NAME.matcher(name).matches()) {
      return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start"
          + " and end with an alphanumeric character, at most 63 characters";
    }
    return null;
  }

  /** The error for an invalid label value, or null when the value is valid. */
  public static String checkValue(String value) {
    if (!VALUE.matcher(value).matches()) {
      return "a valid label must be an empty string or consist of alphanumeric characters, '-',"
          + " '_' or '.', and must start and end with an alphanumeric character, at most 63"
          + " characters";
    }
    return null;
  }

  private static final class Parser {
    private final String s;
    private int i;

    Parser(String s) {
      this.s = s;
    }

    LabelSelector parse() {
      List<Requirement> rs = new ArrayList<>();
      while (true) {
        skipSpace();
        rs.add(requirement());
        skipSpace();
        if (i == s.length()) break;
        expect(',');
      }
      return new LabelSelector(rs);
    }

    private Requirement requirement() {
      if (peek() == '!') {
        i++;
        skipSpace();
        String key = key();
        return new Requirement(key, Operator.DOES_NOT_EXIST, new TreeSet<>());
      }
      String key = key();
      skipSpace();
      if (i == s.length() || peek() == ',') {
        return new Requirement(key, Operator.EXISTS, new TreeSet<>());
      }
      if (s.startsWith("==", i)) {
        i += 2;
        return single(key, Operator.EQUALS);
      }
      if (s.startsWith("!=", i)) {
        i += 2;
        return single(key, Operator.NOT_EQUALS);
      }
      if (peek() == '=') {
        i++;
        return single(key, Operator.EQUALS);
      }
      if (word("notin")) return set(key, Operator.NOT_IN);
      if (word("in")) return set(key, Operator.IN);
      throw error("expected one of =, ==, !=, in, notin after key \"" + key + "\"");
    }

    private Requirement single(String key, Operator op) {
      skipSpace();
      String v = value();
      return new Requirement(key, op, new TreeSet<>(List.of(v)));
    }

    private Requirement set(String key, Operator op) {
      skipSpace();
      expect('(');
      TreeSet<String> values = new TreeSet<>();
      while (true) {
        skipSpace();
        values.add(value());
        skipSpace();
        if (peek() == ')') {
          i++;
          break;
        }
        expect(',');
      }
      return new Requirement(key, op, values);
    }

    private boolean word(String w) {
      if (s.startsWith(w, i) && (i + w.length() == s.length() || !isTokenChar(s.charAt(i + w.length())))) {
        i += w.length();
        return true;
      }
      return false;
    }

    private String key() {
      String k = token();
      if (k.isEmpty()) throw error("expected a label key");
      String err = checkKey(k);
      if (err != null) throw new IllegalArgumentException("invalid label key \"" + k + "\": " + err);
      return k;
    }

    private String value() {
      String v = token();
      String err = checkValue(v);
      if (err != null) throw new IllegalArgumentException("invalid label value: \"" + v + "\": " + err);
      return v;
    }

    private String token() {
      int start = i;
      while (i < s.length() && isTokenChar(s.charAt(i))) i++;
      return s.substring(start, i);
    }

    private static boolean isTokenChar(char c) {
      return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '/';
    }

    private void expect(char c) {
      if (peek() != c) throw error("expected '" + c + "'");
      i++;
    }

    private char peek() {
      return i < s.length() ? s.charAt(i) : '\0';
    }

    private void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(
          "unable to parse label selector \"" + s + "\" at position " + i + ": " + what);
    }
  }
}
