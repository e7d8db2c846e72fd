package io.svcplane.proxy.nftables;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace a test creates (unique name) and deletes again in {@link #close}, with the
 * processes it started inside. Needs root and iproute2.
 */
final class Netns implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  final String name;
  private final List<Process> processes = new ArrayList<>();

  private Netns(String name) {
    this.name = name;
  }

  static Netns create(String role) throws IOException {
    byte[] b = new byte[3];
    RANDOM.nextBytes(b);
    Netns ns = new Netns("svp-" + role + "-" + HexFormat.of().formatHex(b));
    sh("ip", "netns", "add", ns.name);
    ns.run("ip", "link", "set", "lo", "up");
    return ns;
  }

  /** Runs a command inside the namespace; returns its stdout, throws with its stderr on failure. */
  String run(String... cmd) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(List.of(cmd));
    return sh(full.toArray(String[]::new));
  }

  /** Starts a long-running process inside the namespace; it is killed by {@link #close}. */
  Process start(String... cmd) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(List.of(cmd));
    Process p = new ProcessBuilder(full).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    processes.add(p);
    return p;
  }

  /** Starts a {@link NetnsPeer} server on these addresses and waits until it listens. */
  void serve(String... addresses) throws IOException {
    List<String> cmd = new ArrayList<>(peerCommand());
    cmd.add("serve");
    cmd.addAll(List.of(addresses));
    Process p = start(cmd.toArray(String[]::new));
    String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    if (!"ready".equals(line)) throw new IOException("server on " + String.join(" ", addresses) + " did not start");
  }

  /** Runs a {@link NetnsPeer} probe inside the namespace and returns its tally. */
  Tally probe(String protocol, String target, int count, String bindIp) throws IOException {
    return probe(protocol, target, count, bindIp, 0);
  }

  /** With a source port, all datagrams of a UDP probe are one flow. */
  Tally probe(String protocol, String target, int count, String bindIp, int sourcePort) throws IOException {
    List<String> cmd = new ArrayList<>(peerCommand());
    cmd.addAll(List.of("probe", protocol, target, Integer.toString(count)));
    if (bindIp != null) cmd.add(bindIp);
    if (sourcePort > 0) cmd.add(Integer.toString(sourcePort));
    return Tally.parse(run(cmd.toArray(String[]::new)));
  }

  private static List<String> peerCommand() {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classes = NetnsPeer.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    return List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m", "-cp", classes,
        NetnsPeer.class.getName());
  }

  @Override
  public void close() {
    for (Process p : processes) p.descendants().forEach(ProcessHandle::destroyForcibly);
    for (Process p : processes) p.destroyForcibly();
    for (Process p : processes) {
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      sh("ip", "netns", "del", name);
    } catch (IOException e) {
      System.err.println("could not delete network namespace " + name + ": " + e.getMessage());
    }
  }

  static String sh(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).start();
    byte[] err;
    byte[] out;
    try {
      p.getOutputStream().close();
      // Outputs are small: read stderr fully first would risk a stdout stall only above 64 KiB.
      out = p.getInputStream().readAllBytes();
      err = p.getErrorStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": "
          + new String(err, StandardCharsets.UTF_8).strip());
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
