package io.svcplane.proxy.nftables;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link Conntrack} with the conntrack tool: {@code conntrack -D}, or inside a network namespace. */
public final class ConntrackCommand implements Conntrack {
  private final List<String> prefix;

  private ConntrackCommand(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  public static ConntrackCommand local() {
    return new ConntrackCommand(List.of("conntrack"));
  }

  public static ConntrackCommand inNetns(String netns) {
    return new ConntrackCommand(List.of("ip", "netns", "exec", netns, "conntrack"));
  }

  @Override
  public void forgetUdp(String destination, int port, String endpointIp) throws NftException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of("-D", "-p", "udp"));
    if (!destination.isEmpty()) cmd.addAll(List.of("--orig-dst", destination));
    cmd.addAll(List.of("--dport", Integer.toString(port), "--dst-nat", endpointIp));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new NftException(String.join(" ", cmd) + " did not finish within 30 s");
      }
      // Exit 1 with "0 flow entries have been deleted" only means there was nothing to forget.
      if (p.exitValue() != 0 && !out.contains("0 flow entries")) {
        throw new NftException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out);
      }
    } catch (IOException e) {
      throw new NftException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NftException("interrupted while running conntrack", e);
    }
  }
}
