package io.svcplane.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * NameRules matches Kubernetes' formats by hand (no regex Matcher per check on the write path):
 * here each hand-written check gives the same answer as the format's regex, on every short string
 * over the characters that matter and on random longer ones.
 */
class NameRulesTest {
  private static final String IPV4_FMT =
      "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}";

  /** Every string up to {@code maxLen} over {@code alphabet}, then random ones up to 12 characters. */
  private static List<String> strings(String alphabet, int maxLen, long seed) {
    List<String> out = new ArrayList<>();
    out.add("");
    List<String> level = List.of("");
    for (int len = 1; len <= maxLen; len++) {
      List<String> next = new ArrayList<>();
      for (String s : level) for (char c : alphabet.toCharArray()) next.add(s + c);
      out.addAll(next);
      level = next;
    }
    Random r = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int len = r.nextInt(13);
      for (int k = 0; k < len; k++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
      out.add(b.toString());
    }
    return out;
  }

  private static void sameAnswers(String fmt, Predicate<String> byHand, List<String> inputs) {
    Pattern p = Pattern.compile(fmt);
    for (String s : inputs) assertEquals(p.matcher(s).matches(), byHand.test(s), "'" + s + "' against " + fmt);
  }

  @Test
  void dnsLabelsAndSubdomainsMatchTheirFormats() {
    List<String> in = strings("az09-.A_", 4, 1);
    sameAnswers(NameRules.DNS1123_LABEL_FMT, NameRules::isDns1123Label, in);
    sameAnswers(NameRules.DNS1123_SUBDOMAIN_FMT, NameRules::isDns1123Subdomain, in);
    sameAnswers(NameRules.DNS1035_LABEL_FMT, NameRules::isDns1035Label, in);
  }

  @Test
  void qualifiedNamesAndLabelValuesMatchTheirFormats() {
    List<String> in = strings("aZ09-_./ ", 4, 2);
    sameAnswers(NameRules.QUALIFIED_NAME_FMT, NameRules::isQualifiedNamePart, in);
    sameAnswers(NameRules.LABEL_VALUE_FMT, NameRules::isLabelValue, in);
  }

  @Test
  void ipv4AddressesMatchTheFormat() {
    List<String> in = new ArrayList<>(strings("0129.5", 5, 3));
    in.addAll(List.of("10.96.0.1", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "0.0.0.0",
        "1.2.3.4 ", "1..3.4", "199.250.249.200", "1.2.3.04", "1000.1.1.1"));
    sameAnswers(IPV4_FMT, NameRules::isIpv4, in);
  }

  @Test
  void messagesAreKubernetesOnes() {
    assertEquals(List.of("must not contain dots"), NameRules.dns1123Label("a.b"));
    assertEquals(List.of(), NameRules.qualifiedName("example.com/my-name"));
    assertEquals(List.of("prefix part must be non-empty"), NameRules.qualifiedName("/name"));
    assertEquals(1, NameRules.qualifiedName("a/b/c").size());
    assertEquals(List.of("must contain at least one letter (a-z)"), NameRules.portName("123"));
    assertEquals(List.of("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
        NameRules.portName("Http"));
  }
}
