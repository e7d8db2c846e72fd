package io.svcplane.core.validation;

import java.util.ArrayList;
import java.util.List;

/**
 * Kubernetes' string rules ({@code k8s.io/apimachinery/pkg/util/validation}) with its exact
 * messages. Each check returns the list of problems, empty when the value is valid.
 */
public final class NameRules {
  private NameRules() {}

  static final String DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  static final String DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric"
      + " characters or '-', and must start and end with an alphanumeric character";
  static final String DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*";
  static final String DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case"
      + " alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  static final String DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
  static final String DNS1035_LABEL_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters"
      + " or '-', start with an alphabetic character, and end with an alphanumeric character";
  static final String QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  static final String QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must"
      + " start and end with an alphanumeric character";
  static final String LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?";
  static final String LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric"
      + " characters, '-', '_' or '.', and must start and end with an alphanumeric character";

  // The formats above are matched by hand below: every write checks several names and labels,
  // and a regex Matcher allocates on each match. NameRulesTest holds both to the same answers.

  private static boolean isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  private static boolean isAlnum(char c) {
    return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
  }

  /** DNS1123_LABEL_FMT over v[from, to). */
  private static boolean isDns1123Label(String v, int from, int to) {
    if (from >= to || !isLowerAlnum(v.charAt(from)) || !isLowerAlnum(v.charAt(to - 1))) return false;
    for (int i = from + 1; i < to - 1; i++) {
      char c = v.charAt(i);
      if (!isLowerAlnum(c) && c != '-') return false;
    }
    return true;
  }

  static boolean isDns1123Label(String v) {
    return isDns1123Label(v, 0, v.length());
  }

  /** DNS1123_SUBDOMAIN_FMT: labels joined by dots. */
  static boolean isDns1123Subdomain(String v) {
    int from = 0;
    while (true) {
      int dot = v.indexOf('.', from);
      int to = dot < 0 ? v.length() : dot;
      if (!isDns1123Label(v, from, to)) return false;
      if (dot < 0) return true;
      from = dot + 1;
    }
  }

  /** DNS1035_LABEL_FMT: a DNS-1123 label that starts with a letter. */
  static boolean isDns1035Label(String v) {
    return isDns1123Label(v) && v.charAt(0) >= 'a' && v.charAt(0) <= 'z';
  }

  /** QUALIFIED_NAME_FMT. */
  static boolean isQualifiedNamePart(String v) {
    int n = v.length();
    if (n == 0 || !isAlnum(v.charAt(0)) || !isAlnum(v.charAt(n - 1))) return false;
    for (int i = 1; i < n - 1; i++) {
      char c = v.charAt(i);
      if (!isAlnum(c) && c != '-' && c != '_' && c != '.') return false;
    }
    return true;
  }

  /** LABEL_VALUE_FMT: empty or a qualified name part. */
  static boolean isLabelValue(String v) {
    return v.isEmpty() || isQualifiedNamePart(v);
  }

  /** Kubernetes' RegexError: the message, examples, and the regex used. */
  static String regexError(String msg, String fmt, String... examples) {
    if (examples.length == 0) return msg + " (regex used for validation is '" + fmt + "')";
    StringBuilder b = new StringBuilder(msg).append(" (e.g. ");
    for (int i = 0; i < examples.length; i++) {
      if (i > 0) b.append(" or ");
      b.append('\'').append(examples[i]).append("', ");
    }
    return b.append("regex used for validation is '").append(fmt).append("')").toString();
  }

  static String maxLenError(int n) {
    return "must be no more than " + n + " characters";
  }

  public static String inclusiveRangeError(int lo, int hi) {
    return "must be between " + lo + " and " + hi + ", inclusive";
  }

  public static List<String> dns1123Label(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLenError(63));
    if (!isDns1123Label(v)) {
      if (isDns1123Subdomain(v)) errs.add("must not contain dots");
      else errs.add(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"));
    }
    return errs;
  }

  public static List<String> dns1123Subdomain(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 253) errs.add(maxLenError(253));
    if (!isDns1123Subdomain(v)) {
      errs.add(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
    }
    return errs;
  }

  public static List<String> dns1035Label(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLenError(63));
    if (!isDns1035Label(v)) {
      errs.add(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, "my-name", "abc-123"));
    }
    return errs;
  }

  /** A label or annotation key: an optional DNS subdomain prefix and '/', then a name. */
  public static List<String> qualifiedName(String v) {
    List<String> errs = new ArrayList<>();
    int slash = v.indexOf('/');
    String name;
    if (slash < 0) {
      name = v;
    } else if (v.indexOf('/', slash + 1) < 0) {
      String prefix = v.substring(0, slash);
      name = v.substring(slash + 1);
      if (prefix.isEmpty()) errs.add("prefix part must be non-empty");
      else dns1123Subdomain(prefix).forEach(m -> errs.add("prefix part " + m));
    } else {
      errs.add("a qualified name " + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
          + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    if (name.isEmpty()) errs.add("name part must be non-empty");
    else if (name.length() > 63) errs.add("name part " + maxLenError(63));
    if (!isQualifiedNamePart(name)) {
      errs.add("name part " + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"));
    }
    return errs;
  }

  public static List<String> labelValue(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLenError(63));
    if (!isLabelValue(v)) {
      errs.add(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
    }
    return errs;
  }

  /** IANA_SVC_NAME: a container port name, which a named targetPort refers to. */
  public static List<String> portName(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 15) errs.add(maxLenError(15));
    boolean charset = !v.isEmpty();
    boolean letter = false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c >= 'a' && c <= 'z') letter = true;
      else if (!(c >= '0' && c <= '9') && c != '-') charset = false;
    }
    if (!charset) errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!letter) errs.add("must contain at least one letter (a-z)");
    if (v.contains("--")) errs.add("must not contain consecutive hyphens (-)");
    if (!v.isEmpty() && (v.charAt(0) == '-' || v.charAt(v.length() - 1) == '-')) {
      errs.add("must not begin or end with a hyphen (-)");
    }
    return errs;
  }

  public static List<String> portNumber(long port) {
    return port >= 1 && port <= 65535 ? List.of() : List.of(inclusiveRangeError(1, 65535));
  }

  /** svcplane is IPv4 only; the message is Kubernetes'. */
  public static List<String> ip(String v) {
    return isIpv4(v) ? List.of() : List.of("must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
  }

  /** Dotted-quad IPv4, each part 0-255 without leading zeros. */
  public static boolean isIpv4(String v) {
    if (v == null) return false;
    int parts = 0;
    int i = 0;
    int n = v.length();
    while (true) {
      int start = i;
      int value = 0;
      while (i < n && v.charAt(i) >= '0' && v.charAt(i) <= '9' && i - start < 3) value = value * 10 + (v.charAt(i++) - '0');
      int digits = i - start;
      if (digits == 0 || value > 255 || (digits > 1 && v.charAt(start) == '0')) return false;
      parts++;
      if (parts == 4) return i == n;
      if (i >= n || v.charAt(i) != '.') return false;
      i++;
    }
  }
}
