package io.svcplane.proxy.nftables;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** What a probe saw: answers ("ENDPOINT CLIENT-IP") and errors, with their counts. */
record Tally(Map<String, Integer> counts) {
  static Tally parse(String output) {
    Map<String, Integer> m = new TreeMap<>();
    for (String line : output.strip().split("\n")) {
      if (line.isBlank()) continue;
      String[] f = line.split("\t", 2);
      m.merge(f[1], Integer.parseInt(f[0]), Integer::sum);
    }
    return new Tally(m);
  }

  /** Endpoints ("ip:port") that answered, with how many times. */
  Map<String, Integer> byEndpoint() {
    Map<String, Integer> m = new TreeMap<>();
    counts.forEach((answer, n) -> {
      if (!answer.startsWith("error:")) m.merge(answer.split(" ")[0], n, Integer::sum);
    });
    return m;
  }

  /** Client addresses the endpoints saw. */
  Set<String> clientsSeen() {
    Set<String> s = new TreeSet<>();
    counts.keySet().forEach(answer -> {
      if (!answer.startsWith("error:")) s.add(answer.split(" ")[1]);
    });
    return s;
  }

  /** How many connections failed with this exception class. */
  int errors(String type) {
    return counts.entrySet().stream()
        .filter(e -> e.getKey().equals("error:" + type) || e.getKey().startsWith("error:" + type + " ("))
        .mapToInt(Map.Entry::getValue).sum();
  }

  int total() {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }
}
