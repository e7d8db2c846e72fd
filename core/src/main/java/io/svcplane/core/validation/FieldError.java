package io.svcplane.core.validation;

import java.util.List;

/**
 * One invalid field, after Kubernetes' {@code field.Error}: the field path, the kind of problem,
 * the offending value and a detail, printed exactly as Kubernetes prints it, e.g.
 * {@code spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive}.
 *
 * @param value the bad value (String, Number, Boolean or List of String), or {@link #OMIT}
 */
public record FieldError(String field, Type type, Object value, String detail) {

  /** Marker for "no value to print" (Kubernetes' omitValue). */
  public static final Object OMIT = new Object() {
    @Override
    public String toString() {
      return "<omitted>";
    }
  };

  /** Kubernetes' field.ErrorType, with the words it prints. */
  public enum Type {
    NOT_FOUND("Not found"),
    REQUIRED("Required value"),
    DUPLICATE("Duplicate value"),
    INVALID("Invalid value"),
    NOT_SUPPORTED("Unsupported value"),
    FORBIDDEN("Forbidden"),
    TOO_LONG("Too long"),
    TOO_MANY("Too many"),
    INTERNAL("Internal error");

    private final String words;

    Type(String words) {
      this.words = words;
    }

    public String words() {
      return words;
    }
  }

  public static FieldError invalid(String field, Object value, String detail) {
    return new FieldError(field, Type.INVALID, value, detail);
  }

  public static FieldError required(String field, String detail) {
    return new FieldError(field, Type.REQUIRED, OMIT, detail);
  }

  public static FieldError duplicate(String field, Object value) {
    return new FieldError(field, Type.DUPLICATE, value, "");
  }

  public static FieldError forbidden(String field, String detail) {
    return new FieldError(field, Type.FORBIDDEN, OMIT, detail);
  }

  public static FieldError tooLong(String field, String detail) {
    return new FieldError(field, Type.TOO_LONG, OMIT, detail);
  }

  /** Kubernetes' NotSupported: {@code supported values: "A", "B"} (sorted as given). */
  public static FieldError notSupported(String field, String value, List<String> supported) {
    StringBuilder d = new StringBuilder("supported values: ");
    for (int i = 0; i < supported.size(); i++) {
      if (i > 0) d.append(", ");
      d.append(quote(supported.get(i)));
    }
    return new FieldError(field, Type.NOT_SUPPORTED, value, d.toString());
  }

  /** Kubernetes' ErrorBody: the type, the value unless omitted, and the detail. */
  public String body() {
    String s;
    switch (type) {
      case REQUIRED, FORBIDDEN, TOO_LONG, INTERNAL -> s = type.words();
      default -> s = value == OMIT ? type.words() : type.words() + ": " + render(value);
    }
    if (detail != null && !detail.isEmpty()) s += ": " + detail;
    return s;
  }

  /** The message users see: {@code field: body}. */
  @Override
  public String toString() {
    return field + ": " + body();
  }

  static String render(Object value) {
    if (value == null) return "null";
    if (value instanceof String s) return quote(s);
    if (value instanceof List<?> list) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) b.append(",");
        Object o = list.get(i);
        b.append(o instanceof String s ? quote(s) : String.valueOf(o));
      }
      return b.append("]").toString();
    }
    return String.valueOf(value);
  }

  /** Go's %q for the strings met here: double quotes, backslash escapes. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20) b.append(String.format("\\x%02x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }
}
