package io.svcplane.proxy.nftables;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake kernel for the scripts this package writes: holds the {@code ip svcplane} table's set
 * elements and chains, applies full and partial transactions, and refuses what nft refuses
 * (deleting a missing element or chain, adding a key again with another value, a chain twice, or
 * deleting a chain a map still jumps to). Applying is all or nothing, like a transaction.
 */
final class NftModel {
  private static final Pattern ELEMENTS = Pattern.compile("^(add|delete) element ip svcplane (\\S+) \\{ (.*) \\}$");

  Map<String, Map<String, String>> sets = new TreeMap<>();
  Map<String, List<String>> chains = new TreeMap<>();

  void apply(String script) {
    NftModel next = copy();
    String[] lines = script.split("\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.equals("table ip svcplane {}")) {
        continue;
      } else if (line.equals("delete table ip svcplane")) {
        next.sets.clear();
        next.chains.clear();
      } else if (line.equals("table ip svcplane {")) {
        i = next.readTable(lines, i + 1);
      } else if (line.startsWith("add chain ip svcplane ")) {
        String name = line.substring("add chain ip svcplane ".length());
        if (next.chains.putIfAbsent(name, new ArrayList<>()) != null) throw new IllegalStateException("chain exists: " + line);
      } else if (line.startsWith("add rule ip svcplane ")) {
        String[] f = line.substring("add rule ip svcplane ".length()).split(" ", 2);
        List<String> rules = next.chains.get(f[0]);
        if (rules == null) throw new IllegalStateException("no such chain: " + line);
        rules.add(f[1]);
      } else if (line.startsWith("flush chain ip svcplane ")) {
        List<String> rules = next.chains.get(line.substring("flush chain ip svcplane ".length()));
        if (rules == null) throw new IllegalStateException("no such chain: " + line);
        rules.clear();
      } else if (line.startsWith("delete chain ip svcplane ")) {
        String name = line.substring("delete chain ip svcplane ".length());
        if (next.chains.remove(name) == null) throw new IllegalStateException("no such chain: " + line);
        next.sets.values().forEach(m -> m.values().forEach(v -> {
          if (v.equals("goto " + name)) throw new IllegalStateException("chain in use: " + line);
        }));
      } else {
        Matcher m = ELEMENTS.matcher(line);
        if (!m.matches()) throw new IllegalArgumentException("cannot model: " + line);
        Map<String, String> set = next.sets.get(m.group(2));
        if (set == null) throw new IllegalStateException("no such set: " + line);
        for (String element : m.group(3).split(", ")) {
          String[] kv = element.split(" : ", 2);
          String value = kv.length > 1 ? kv[1] : "";
          if (m.group(1).equals("add")) {
            if (value.startsWith("goto ") && !next.chains.containsKey(value.substring(5))) {
              throw new IllegalStateException("no such chain: " + element);
            }
            String was = set.putIfAbsent(kv[0], value);
            if (was != null && !was.equals(value)) throw new IllegalStateException("File exists: " + element);
          } else if (set.remove(kv[0]) == null) {
            throw new IllegalStateException("No such file or directory: " + element);
          }
        }
      }
    }
    sets = next.sets;
    chains = next.chains;
  }

  private int readTable(String[] lines, int i) {
    for (; !lines[i].equals("}"); i++) {
      String l = lines[i].strip();
      if (l.startsWith("set ") || l.startsWith("map ")) {
        Map<String, String> set = new TreeMap<>();
        sets.put(l.split(" ")[1], set);
        for (i++; !lines[i].strip().equals("}"); i++) {
          if (!lines[i].strip().equals("elements = {")) continue;
          for (i++; !lines[i].strip().equals("}"); i++) {
            String e = lines[i].strip();
            String[] kv = e.substring(0, e.length() - 1).split(" : ", 2);
            set.put(kv[0], kv.length > 1 ? kv[1] : "");
          }
        }
      } else if (l.startsWith("chain ")) {
        List<String> rules = new ArrayList<>();
        chains.put(l.split(" ")[1], rules);
        for (i++; !lines[i].strip().equals("}"); i++) {
          String r = lines[i].strip();
          if (!r.startsWith("type ")) rules.add(r);
        }
      }
    }
    return i;
  }

  private NftModel copy() {
    NftModel m = new NftModel();
    sets.forEach((k, v) -> m.sets.put(k, new TreeMap<>(v)));
    chains.forEach((k, v) -> m.chains.put(k, new ArrayList<>(v)));
    return m;
  }

  static NftModel of(String fullScript) {
    NftModel m = new NftModel();
    m.apply(fullScript);
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NftModel m && sets.equals(m.sets) && chains.equals(m.chains);
  }

  @Override
  public int hashCode() {
    return sets.hashCode();
  }

  @Override
  public String toString() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sets", sets);
    m.put("chains", chains);
    return m.toString();
  }
}
