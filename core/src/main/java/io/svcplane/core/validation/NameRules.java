package io.svcplane.core.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

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

  private static final Pattern DNS1123_LABEL = Pattern.compile(DNS1123_LABEL_FMT);
  private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(DNS1123_SUBDOMAIN_FMT);
  private static final Pattern DNS1035_LABEL = Pattern.compile(DNS1035_LABEL_FMT);
  private static final Pattern QUALIFIED_NAME = Pattern.compile(QUALIFIED_NAME_FMT);
  private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_FMT);
  private static final Pattern PORT_NAME_CHARSET = Pattern.compile("[-a-z0-9]+");
  private static final Pattern PORT_NAME_ONE_LETTER = Pattern.compile(".*[a-z].*");
  private static final Pattern IPV4 = Pattern.compile(
      "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

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
    if (!DNS1123_LABEL.matcher(v).matches()) {
      if (DNS1123_SUBDOMAIN.matcher(v).matches()) errs.add("must not contain dots");
      else errs.add(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"));
    }
    return errs;
  }

  public static List<String> dns1123Subdomain(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 253) errs.add(maxLenError(253));
    if (!DNS1123_SUBDOMAIN.matcher(v).matches()) {
      errs.add(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
    }
    return errs;
  }

  public static List<String> dns1035Label(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLenError(63));
    if (!DNS1035_LABEL.matcher(v).matches()) {
      errs.add(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, "my-name", "abc-123"));
    }
    return errs;
  }

  /** A label or annotation key: an optional DNS subdomain prefix and '/', then a name. */
  public static List<String> qualifiedName(String v) {
    List<String> errs = new ArrayList<>();
    String[] parts = v.split("/", -1);
    String name;
    switch (parts.length) {
      case 1 -> name = parts[0];
      case 2 -> {
        String prefix = parts[0];
        name = parts[1];
        if (prefix.isEmpty()) errs.add("prefix part must be non-empty");
        else dns1123Subdomain(prefix).forEach(m -> errs.add("prefix part " + m));
      }
      default -> {
        errs.add("a qualified name " + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
        return errs;
      }
    }
    if (name.isEmpty()) errs.add("name part must be non-empty");
    else if (name.length() > 63) errs.add("name part " + maxLenError(63));
    if (!QUALIFIED_NAME.matcher(name).matches()) {
      errs.add("name part " + regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"));
    }
    return errs;
  }

  public static List<String> labelValue(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 63) errs.add(maxLenError(63));
    if (!LABEL_VALUE.matcher(v).matches()) {
      errs.add(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
    }
    return errs;
  }

  /** IANA_SVC_NAME: a container port name, which a named targetPort refers to. */
  public static List<String> portName(String v) {
    List<String> errs = new ArrayList<>();
    if (v.length() > 15) errs.add(maxLenError(15));
    if (!PORT_NAME_CHARSET.matcher(v).matches()) {
      errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if (!PORT_NAME_ONE_LETTER.matcher(v).matches()) errs.add("must contain at least one letter (a-z)");
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

  public static boolean isIpv4(String v) {
    return v != null && IPV4.matcher(v).matches();
  }
}
