package io.svcplane.bench;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import io.svcplane.proxy.nftables.NftCommand;
import io.svcplane.proxy.nftables.NftablesBackend;
import io.svcplane.proxy.nftables.NodeNetwork;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Rule programming cost of the nftables backend: full sync and one-service partial syncs (plan +
 * render + {@code nft -f}, as {@link NftablesBackend} does them), each repetition in a fresh
 * network namespace created and deleted here. Then, in the same session, the peers' {@code
 * rules_programming.sh} (kube-proxy's iptables and nftables shapes) for the side-by-side figures.
 *
 * <p>Scenarios: N services x 10 endpoints for N in SIZES (default "1000 10000"), and "mixed":
 * 10,000 services with 1 to 19 endpoints (10 on average) plus one with 1,000, to show the load
 * does not depend on the endpoint count per service. One-service changes, each timed on its own:
 * "replace": a service's 10 endpoints all replaced (the peers' change); "not-ready": one endpoint
 * of a service turns not-ready; "add": a new service with 10 endpoints.
 *
 * <p>On a busy machine wall time is mostly waiting for a core, so every operation also reports
 * the CPU it used ({@link Cpu}); and the peers' two nft shapes (kube-proxy's, and their flat-map
 * probe) are generated here and loaded the same way at PEER_SHAPES services, for CPU figures
 * side by side.
 *
 * <p>Env: SIZES, EPS (10), REPS (3), CHANGES (changes of each kind per repetition, 5),
 * PEER_SHAPES (10000; "skip"), PEERS (path to rules_programming.sh; "skip" to skip it). Run as root from the repository root. Output:
 * stdout and {@code bench/results/nftables_sync-TIMESTAMP.txt}.
 */
public final class NftablesSyncBench {
  private static final NodeNetwork NODE = new NodeNetwork("node-0", List.of("10.0.0.1"), "10.128.0.0/9");

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    for (String s : env("SIZES", "1000 10000").trim().split("\\s+")) sizes.add(Integer.parseInt(s));
    int eps = Integer.parseInt(env("EPS", "10"));
    int reps = Integer.parseInt(env("REPS", "3"));
    int changes = Integer.parseInt(env("CHANGES", "5"));
    String peers = env("PEERS", "/work/shared/peers/rules_programming.sh");

    Path results = Path.of("bench/results");
    Files.createDirectories(results);
    Path out = results.resolve("nftables_sync-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".txt");
    try (PrintWriter file = new PrintWriter(Files.newBufferedWriter(out))) {
      Log log = new Log(file);
      log.line("# nftables backend sync cost; " + Runtime.getRuntime().availableProcessors() + " cores; kernel "
          + sh("uname", "-r").strip() + "; " + sh("nft", "--version").strip() + "; java " + System.getProperty("java.version"));
      Map<String, List<Double>> samples = new LinkedHashMap<>();
      List<String> scenarios = new ArrayList<>();
      for (int n : sizes) scenarios.add(n + "x" + eps);
      scenarios.add("mixed");
      // A warm-up round so the JIT has compiled the planner before anything is timed.
      runScenario(log, new LinkedHashMap<>(), "warmup", uniform(2000, eps), eps, 1, 0);
      for (int rep = 1; rep <= reps; rep++) {
        for (String sc : scenarios) {
          ForwardingTable t = sc.equals("mixed") ? mixed(10_000) : uniform(Integer.parseInt(sc.split("x")[0]), eps);
          runScenario(log, samples, sc, t, eps, rep, changes);
        }
      }
      log.line("");
      log.line("SUMMARY svcplane nftables backend: wall seconds (median [min-max] over runs), and mean CPU seconds");
      log.line("per operation (java: plan+render+diff on the applying thread; nft: nft process user+sys, which includes the kernel's work)");
      log.line(String.format("%-30s %9s %20s %4s %9s %9s", "operation", "wall", "[min-max]", "n", "java cpu", "nft cpu"));
      samples.forEach((k, v) -> {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        double[] c = cpuTotals.get(k);
        log.line(String.format("%-30s %9.4f %20s %4d %9.4f %9.4f", k, s.get(s.size() / 2),
            String.format("[%.4f-%.4f]", s.get(0), s.get(s.size() - 1)), s.size(), c[0] / c[2], c[1] / c[2]));
      });
      if (!env("PEER_SHAPES", "10000").equals("skip")) {
        int n = Integer.parseInt(env("PEER_SHAPES", "10000"));
        log.line("");
        log.line("# the peers' nft shapes at " + n + " x " + eps + ", generated here as rules_programming.sh writes them,"
            + " loaded with nft -f in fresh namespaces: wall and nft CPU (user+sys)");
        Path dir = Files.createTempDirectory("svcplane-peer-shapes");
        Path kube = dir.resolve("kube.nft");
        Path flat = dir.resolve("flat.nft");
        Files.writeString(kube, kubeShape(n, eps));
        Files.writeString(flat, flatShape(n, eps));
        for (int rep = 1; rep <= reps; rep++) {
          for (Path f : List.of(kube, flat)) {
            String ns = "svp-bench-peer-" + ProcessHandle.current().pid();
            sh("ip", "netns", "add", ns);
            try {
              Cpu before = Cpu.now();
              long t0 = System.nanoTime();
              sh("ip", "netns", "exec", ns, "nft", "-f", f.toString());
              double wall = (System.nanoTime() - t0) / 1e9;
              Cpu used = Cpu.now().minus(before);
              String op = f == kube ? "peer kube-nft full" : "peer flat-map full";
              log.line(String.format("RUN scenario=%dx%d op=%s rep=%d seconds=%.4f nft_cpu=%.2f", n, eps, op, rep, wall,
                  used.childTicks() / 100.0));
              samples.computeIfAbsent(n + "x" + eps + " " + op, k -> new ArrayList<>()).add(wall);
              double[] t = cpuTotals.computeIfAbsent(n + "x" + eps + " " + op, k -> new double[3]);
              t[1] += used.childTicks() / 100.0;
              t[2]++;
              sh("ip", "netns", "exec", ns, "nft", "flush", "ruleset");
            } finally {
              sh("ip", "netns", "del", ns);
              Thread.sleep(500);
            }
          }
        }
        Files.delete(kube);
        Files.delete(flat);
        Files.delete(dir);
        log.line("");
        log.line("peer shapes: wall seconds (median [min-max]) and mean nft CPU seconds");
        samples.forEach((k, v) -> {
          if (!k.contains("peer ")) return;
          List<Double> s2 = new ArrayList<>(v);
          Collections.sort(s2);
          double[] c = cpuTotals.get(k);
          log.line(String.format("%-30s %9.4f %20s %4d %9s %9.4f", k, s2.get(s2.size() / 2),
              String.format("[%.4f-%.4f]", s2.get(0), s2.get(s2.size() - 1)), s2.size(), "-", c[1] / c[2]));
        });
      }
      if (!peers.equals("skip") && Files.exists(Path.of(peers))) {
        log.line("");
        log.line("# peers: " + peers + " (same session)");
        Process p = new ProcessBuilder("bash", peers).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) log.line("peers| " + line);
        }
        log.line("# peers exit " + p.waitFor());
      }
    }
    System.out.println("raw data: " + out);
  }

  private static void runScenario(Log log, Map<String, List<Double>> samples, String scenario, ForwardingTable table,
      int eps, int rep, int changes) throws Exception {
    String ns = "svp-bench-" + ProcessHandle.current().pid() + "-" + rep;
    sh("ip", "netns", "add", ns);
    try {
      NftablesBackend backend = new NftablesBackend(NODE, NftCommand.inNetns(ns));
      Cpu cpu = Cpu.now();
      long t0 = System.nanoTime();
      backend.apply(table);
      double full = (System.nanoTime() - t0) / 1e9;
      Cpu used = Cpu.now().minus(cpu);
      NftablesBackend.Sync s = backend.lastSync();
      record(log, samples, scenario, "full", rep, full, used,
          String.format("render=%.4f nft=%.4f chars=%d", s.renderNanos() / 1e9, s.applyNanos() / 1e9, s.scriptChars()));
      if (rep == 1 && !scenario.equals("warmup")) {
        String listed = sh("ip", "netns", "exec", ns, "nft", "list", "map", "ip", "svcplane", "tcp-endpoints");
        long elements = listed.lines().filter(l -> l.contains(" : ") && !l.strip().startsWith("typeof")).count();
        String chains = sh("ip", "netns", "exec", ns, "nft", "list", "chains", "ip");
        log.line("#   check " + scenario + ": " + elements + " tcp-endpoints elements, "
            + chains.lines().filter(l -> l.strip().startsWith("chain ")).count() + " chains in ip svcplane");
      }
      Random random = new Random(rep);
      ForwardingTable current = table;
      List<ServicePortRule> rules = new ArrayList<>(current.rules().values());
      for (int c = 0; c < changes; c++) {
        for (String kind : List.of("replace", "not-ready", "add")) {
          Map<ServicePortName, ServicePortRule> next = new TreeMap<>(current.rules());
          ServicePortRule r = rules.get(random.nextInt(rules.size()));
          switch (kind) {
            case "replace" -> {
              List<Endpoint> fresh = new ArrayList<>();
              for (int k = 0; k < r.endpoints().size(); k++) {
                fresh.add(new Endpoint("10.250." + (c * 3 + rep % 3) + "." + (k + 1), 8080, "node-" + (k % 10), true, true, false));
              }
              next.put(r.name(), withEndpoints(r, fresh));
            }
            case "not-ready" -> {
              List<Endpoint> e = new ArrayList<>(r.endpoints());
              Endpoint x = e.get(0);
              e.set(0, new Endpoint(x.ip(), x.port(), x.nodeName(), false, false, false));
              next.put(r.name(), withEndpoints(r, e));
            }
            default -> {
              int i = 60_000 + c;
              ServicePortRule added = rule(i, eps, 0);
              next.put(added.name(), added);
            }
          }
          ForwardingTable changed = ForwardingTable.of(next.values());
          Cpu before = Cpu.now();
          long c0 = System.nanoTime();
          backend.apply(changed);
          double took = (System.nanoTime() - c0) / 1e9;
          Cpu spent = Cpu.now().minus(before);
          s = backend.lastSync();
          if (s.full()) throw new IllegalStateException("expected a partial sync for " + kind);
          record(log, samples, scenario, "change-" + kind, rep, took, spent,
              String.format("render=%.4f nft=%.4f chars=%d", s.renderNanos() / 1e9, s.applyNanos() / 1e9, s.scriptChars()));
          current = changed;
        }
      }
      Cpu before = Cpu.now();
      long d0 = System.nanoTime();
      backend.close();
      record(log, samples, scenario, "teardown", rep, (System.nanoTime() - d0) / 1e9, Cpu.now().minus(before), "");
    } finally {
      sh("ip", "netns", "del", ns);
      Thread.sleep(500);
    }
  }

  private static void record(Log log, Map<String, List<Double>> samples, String scenario, String op, int rep, double seconds,
      Cpu cpu, String detail) {
    log.line(String.format("RUN scenario=%s op=%s rep=%d seconds=%.4f java_cpu=%.4f nft_cpu=%.2f %s", scenario, op, rep,
        seconds, cpu.javaNanos() / 1e9, cpu.childTicks() / 100.0, detail));
    if (scenario.equals("warmup")) return;
    samples.computeIfAbsent(scenario + " " + op, k -> new ArrayList<>()).add(seconds);
    cpuTotals.computeIfAbsent(scenario + " " + op, k -> new double[3]);
    double[] t = cpuTotals.get(scenario + " " + op);
    t[0] += cpu.javaNanos() / 1e9;
    t[1] += cpu.childTicks() / 100.0;
    t[2]++;
  }

  /** Per operation: summed Java CPU seconds, summed nft CPU seconds, count. */
  private static final Map<String, double[]> cpuTotals = new LinkedHashMap<>();

  /**
   * CPU spent, robust to a busy machine where wall time is mostly waiting for a core: this
   * thread's CPU (plan, render, diff) and the CPU of waited-for child processes (nft, user and
   * system: the kernel loads the table in nft's context), from /proc/self/stat in 10 ms ticks.
   */
  record Cpu(long javaNanos, long childTicks) {
    static Cpu now() throws IOException {
      String[] f = Files.readString(Path.of("/proc/self/stat")).replaceAll("^.*\\) ", "").split(" ");
      return new Cpu(java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime(),
          Long.parseLong(f[13]) + Long.parseLong(f[14]));
    }

    Cpu minus(Cpu o) {
      return new Cpu(javaNanos - o.javaNanos, childTicks - o.childTicks);
    }
  }

  private static String vip(int i) {
    return String.format("10.%d.%d.%d", 96 + i / 62500, (i / 250) % 250, i % 250 + 1);
  }

  private static String ep(int e) {
    return String.format("10.%d.%d.%d", 128 + e / 62500, (e / 250) % 250, e % 250 + 1);
  }

  /** kube-proxy's nftables shape as rules_programming.sh writes it: a verdict map to a chain per service, each with its own numgen map. */
  static String kubeShape(int n, int eps) {
    StringBuilder w = new StringBuilder("table ip kp {\n");
    for (int i = 0; i < n; i++) {
      w.append(String.format("  chain svc-%05d {\n    meta l4proto tcp dnat ip to numgen random mod %d map { ", i, eps));
      for (int k = 0; k < eps; k++) w.append(k > 0 ? ", " : "").append(k).append(" : ").append(ep(i * eps + k)).append(" . 8080");
      w.append(" }\n  }\n");
    }
    w.append("  map services {\n    type ipv4_addr . inet_service : verdict\n    elements = {\n");
    for (int i = 0; i < n; i++) w.append(String.format("      %s . 80 : goto svc-%05d", vip(i), i)).append(i < n - 1 ? ",\n" : "\n");
    w.append("    }\n  }\n");
    w.append("  chain pre {\n    type nat hook prerouting priority -100; policy accept;\n    ip daddr . tcp dport vmap @services\n  }\n");
    w.append("  chain out {\n    type nat hook output priority -100; policy accept;\n    ip daddr . tcp dport vmap @services\n  }\n}\n");
    return w.toString();
  }

  /** The peers' design probe: one flat map keyed by address, port and numgen slot (fixed endpoint count). */
  static String flatShape(int n, int eps) {
    StringBuilder w = new StringBuilder("table ip kp {\n  map eps {\n    typeof ip daddr . tcp dport . numgen random mod "
        + eps + " : ip daddr . tcp dport\n    elements = {\n");
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < eps; k++) {
        w.append(String.format("      %s . 80 . %d : %s . 8080", vip(i), k, ep(i * eps + k)))
            .append(i == n - 1 && k == eps - 1 ? "\n" : ",\n");
      }
    }
    w.append("    }\n  }\n");
    for (String[] hook : new String[][] {{"prerouting", "pre"}, {"output", "out"}}) {
      w.append("  chain ").append(hook[1]).append(" {\n    type nat hook ").append(hook[0])
          .append(" priority -100; policy accept;\n    meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod ")
          .append(eps).append(" map @eps\n  }\n");
    }
    return w.append("}\n").toString();
  }

  /** n services, {@code eps} endpoints each, addressed as in the peers' script. */
  static ForwardingTable uniform(int n, int eps) {
    List<ServicePortRule> rules = new ArrayList<>();
    for (int i = 0; i < n; i++) rules.add(rule(i, eps, i * eps));
    return ForwardingTable.of(rules);
  }

  /** n services with 1..19 endpoints (10 on average), plus one with 1,000. */
  static ForwardingTable mixed(int n) {
    Random random = new Random(7);
    List<ServicePortRule> rules = new ArrayList<>();
    int next = 0;
    for (int i = 0; i < n; i++) {
      int eps = 1 + random.nextInt(19);
      rules.add(rule(i, eps, next));
      next += eps;
    }
    rules.add(rule(n, 1000, next));
    return ForwardingTable.of(rules);
  }

  static ServicePortRule rule(int i, int eps, int firstEndpoint) {
    List<Endpoint> e = new ArrayList<>();
    for (int k = 0; k < eps; k++) {
      int x = firstEndpoint + k;
      e.add(new Endpoint(String.format("10.%d.%d.%d", 128 + x / 62500, (x / 250) % 250, x % 250 + 1), 8080,
          "node-" + (k % 10), true, true, false));
    }
    return new ServicePortRule(new ServicePortName("ns" + (i % 100), "svc-" + i, "http"), Protocol.TCP,
        String.format("10.%d.%d.%d", 96 + i / 62500, (i / 250) % 250, i % 250 + 1), 80, 0, false, false, 0, e);
  }

  static ServicePortRule withEndpoints(ServicePortRule r, List<Endpoint> e) {
    return new ServicePortRule(r.name(), r.protocol(), r.clusterIp(), r.port(), r.nodePort(), r.externalLocal(),
        r.internalLocal(), r.affinitySeconds(), e);
  }

  private static String env(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? dflt : v;
  }

  static String sh(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + ": " + s);
    return s;
  }

  private record Log(PrintWriter file) {
    void line(String s) {
      System.out.println(s);
      file.println(s);
      file.flush();
    }
  }
}
