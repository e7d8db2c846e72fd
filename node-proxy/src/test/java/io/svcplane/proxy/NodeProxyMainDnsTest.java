package io.svcplane.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.proxy.dns.DnsSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The DNS port of the node proxy's flags: 53 by default where the process may listen there, no
 * DNS (with a warning naming the flag) where it may not, an explicit port as given.
 */
class NodeProxyMainDnsTest {
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
  private final List<String> probed = new ArrayList<>();

  private static NodeProxyMain flags(String... dnsFlags) {
    NodeProxyMain main = new NodeProxyMain();
    List<String> args = new ArrayList<>(List.of("--node", "node-1", "--address", "127.0.93.1"));
    args.addAll(List.of(dnsFlags));
    new CommandLine(main).parseArgs(args.toArray(String[]::new));
    return main;
  }

  private BiPredicate<InetAddress, Integer> probe(boolean allowed) {
    return (address, port) -> {
      probed.add(address.getHostAddress() + ":" + port);
      return allowed;
    };
  }

  @Test
  void withoutTheFlagDnsIsOnPort53OfTheNodeAddressWhenTheProcessMayListenThere() {
    DnsSettings dns = flags().dnsSettings(probe(true), err);
    assertEquals(53, dns.port());
    assertEquals("127.0.93.1", dns.address().getHostAddress());
    assertEquals(List.of("127.0.93.1:53"), probed);
    assertEquals("", errBytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void withoutTheFlagAProcessThatMayNotListenOn53RunsWithoutDnsAndSaysWhichFlagToGive() {
    assertNull(flags("--dns-address", "127.0.93.2").dnsSettings(probe(false), err));
    assertEquals(List.of("127.0.93.2:53"), probed);
    String warning = errBytes.toString(StandardCharsets.UTF_8);
    assertTrue(warning.startsWith("node-proxy: DNS off: this process may not listen on 127.0.93.2:53"), warning);
    assertTrue(warning.contains("give another with --dns-port"), warning);
  }

  @Test
  void aPortGivenIsUsedAsGivenWithoutAskingAndZeroTurnsDnsOff() {
    assertEquals(1053, flags("--dns-port", "1053").dnsSettings(probe(false), err).port());
    assertEquals(53, flags("--dns-port", "53").dnsSettings(probe(false), err).port());
    assertNull(flags("--dns-port", "0").dnsSettings(probe(true), err));
    assertEquals(List.of(), probed);
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> flags("--dns-port", "70000").dnsSettings(probe(true), err));
    assertEquals("--dns-port: Invalid value: 70000: must be between 0 and 65535, inclusive (0 turns DNS off)", bad.getMessage());
  }

  @Test
  void theProbeRefusesAPrivilegedPortExactlyWhenTheKernelWould() throws IOException {
    // The kernel's rule: CAP_NET_BIND_SERVICE (root has it), or the port at or above ip_unprivileged_port_start.
    boolean expected = hasNetBindService() || unprivilegedPortStart() <= 53;
    assertEquals(expected, DnsSettings.mayListen(InetAddress.getByName("127.0.93.3"), 53));
    // A port in use is not a refusal: the real bind fails later with a message naming the flag.
    try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      assertTrue(DnsSettings.mayListen(InetAddress.getByName("127.0.0.1"), taken.getLocalPort()));
    }
  }

  private static boolean hasNetBindService() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapEff:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 10)) != 0;
    }
    return false;
  }

  private static int unprivilegedPortStart() throws IOException {
    Path p = Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    return Files.exists(p) ? Integer.parseInt(Files.readString(p).trim()) : 1024;
  }
}
