package io.svcplane.proxy.dns;

import static io.svcplane.proxy.dns.DnsFixtures.backend;
import static io.svcplane.proxy.dns.DnsFixtures.clusterIp;
import static io.svcplane.proxy.dns.DnsFixtures.endpoints;
import static io.svcplane.proxy.dns.DnsFixtures.headless;
import static io.svcplane.proxy.dns.DnsFixtures.port;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Service;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The DNS server's transport on its own (no feed): forwarding to an upstream, truncation and
 * dig's retry over TCP, a port that cannot be had.
 */
class DnsServerTest {

  static DnsServer server(String zone, String upstream, DnsFixtures.Fed fed) throws IOException {
    int port = ServiceDnsEndToEndTest.freeUdpAndTcpPort();
    DnsServer s = DnsServer.start(DnsSettings.parse("127.0.0.1", port, zone, 5, upstream, 1), new DnsMetrics());
    s.publish(fed.names);
    return s;
  }

  static DnsFixtures.Fed fed(Service... services) {
    var u = ProxyUpdate.newBuilder().setVersion("v1").setSnapshot(true);
    for (Service s : services) u.addServices(s);
    return new DnsFixtures.Fed().apply(u.build());
  }

  @Test
  void namesOutsideTheClusterGoToTheUpstreamWhenOneIsConfigured() throws Exception {
    try (DnsServer upstream = server("upstream.test", null, fed(clusterIp("corp", "api", "10.1.2.3")));
        DnsServer node = server("cluster.local", "127.0.0.1:" + upstream.settings().port(),
            fed(clusterIp("shop", "web", "10.96.0.10")))) {
      Dig dig = new Dig(node.settings().port());
      Dig.Answer forwarded = dig.ask("api.corp.svc.upstream.test", "A");
      assertEquals("NOERROR", forwarded.status(), forwarded.toString());
      assertEquals(Set.of("10.1.2.3"), forwarded.data(), forwarded.toString());
      assertTrue(forwarded.flags().contains("ra"), forwarded.toString());
      Dig.Answer tcp = dig.ask("+tcp", "api.corp.svc.upstream.test", "A");
      assertEquals(Set.of("10.1.2.3"), tcp.data(), tcp.toString());
      Dig.Answer missing = dig.ask("nothing.corp.svc.upstream.test", "A");
      assertEquals("NXDOMAIN", missing.status(), missing.toString());
      // Cluster names are still answered here.
      assertEquals(Set.of("10.96.0.10"), dig.ask("web.shop.svc.cluster.local", "A").data());
      assertTrue(node.metrics().prometheusText().contains("svcplane_proxy_dns_forwarded_total 3"), node.metrics().prometheusText());
    }
  }

  @Test
  void anUpstreamThatDoesNotAnswerGivesServfail() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        DnsServer node = server("cluster.local", "127.0.0.1:" + silent.getLocalPort(), fed())) {
      // The upstream times out after 2 s (plus dnsjava's timer tick): within dig's 6.
      Dig.Answer a = new Dig(node.settings().port()).ask("+time=6", "www.example.com", "A");
      assertEquals("SERVFAIL", a.status(), a.toString());
    }
  }

  @Test
  void aLargeAnswerIsTruncatedOverUdpAndDigGetsItWholeOverTcp() throws Exception {
    Service big = headless("shop", "big", false, port("pg", "TCP", 5432));
    List<Backend> many = new ArrayList<>();
    for (int i = 1; i <= 100; i++) many.add(backend("10.244.1." + i, true, "", "pg", 5432));
    DnsFixtures.Fed fed = new DnsFixtures.Fed().apply(ProxyUpdate.newBuilder().setVersion("v1").setSnapshot(true)
        .addServices(big).addEndpoints(endpoints(big, many.toArray(Backend[]::new))).build());
    try (DnsServer node = server("cluster.local", null, fed)) {
      Dig dig = new Dig(node.settings().port());
      Dig.Answer truncated = dig.ask("+ignore", "big.shop.svc.cluster.local", "A");
      assertTrue(truncated.flags().contains("tc"), truncated.toString());
      Dig.Answer whole = dig.ask("big.shop.svc.cluster.local", "A");
      assertFalse(whole.flags().contains("tc"), whole.toString());
      assertEquals(100, whole.answer().size(), whole.toString());
      assertEquals(100, dig.ask("_pg._tcp.big.shop.svc.cluster.local", "SRV").answer().size());
    }
  }

  @Test
  void aPortThatCannotBeHadFailsTheStartNamingTheFlag() throws Exception {
    try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> DnsServer.start(
          DnsSettings.parse("127.0.0.1", taken.getLocalPort(), "cluster.local", 5, null, 1), new DnsMetrics()));
      assertTrue(e.getMessage().startsWith("--dns-port: cannot listen on 127.0.0.1:" + taken.getLocalPort() + "/udp"), e.getMessage());
    }
  }

  @Test
  void aSecondServerOnTheSameAddressAndPortFailsItsStartInsteadOfSharingThePort() throws Exception {
    // Both would bind with SO_REUSEPORT as the same user, which the kernel allows: the second must not.
    try (DnsServer first = server("cluster.local", null, fed(clusterIp("shop", "web", "10.96.0.10")))) {
      int port = first.settings().port();
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> DnsServer.start(DnsSettings.parse("127.0.0.1", port, "cluster.local", 5, null, 2), new DnsMetrics()));
      assertTrue(e.getMessage().startsWith("--dns-port: cannot listen on 127.0.0.1:" + port + "/udp"), e.getMessage());
      // The first still answers every query.
      Dig dig = new Dig(port);
      for (int i = 0; i < 5; i++) assertEquals(Set.of("10.96.0.10"), dig.ask("web.shop.svc.cluster.local", "A").data());
    }
  }

  @Test
  void badFlagsAreRejectedNamingTheFlagTheValueAndTheRule() {
    assertEquals("--dns-address: Invalid value: \"node-1\": must be an IP address",
        assertThrows(IllegalArgumentException.class, () -> DnsSettings.parse("node-1", 53, "cluster.local", 5, null, 1)).getMessage());
    assertEquals("--cluster-domain: Invalid value: \"Cluster_Local\": must be lower case DNS labels separated by dots"
        + " (a lowercase RFC 1123 subdomain, e.g. cluster.local)",
        assertThrows(IllegalArgumentException.class, () -> DnsSettings.parse("127.0.0.1", 53, "Cluster_Local", 5, null, 1)).getMessage());
    assertEquals("--dns-upstream: Invalid value: \"dns.google:53\": must be HOST:PORT with HOST an IP address",
        assertThrows(IllegalArgumentException.class, () -> DnsSettings.parse("127.0.0.1", 53, "cluster.local", 5, "dns.google:53", 1)).getMessage());
    assertEquals("--dns-upstream: Invalid value: \"127.0.0.1:0\": port must be between 1 and 65535, inclusive",
        assertThrows(IllegalArgumentException.class, () -> DnsSettings.parse("127.0.0.1", 53, "cluster.local", 5, "127.0.0.1:0", 1)).getMessage());
    assertEquals("--dns-ttl: Invalid value: -1: must be between 0 and 3600 seconds, inclusive",
        assertThrows(IllegalArgumentException.class, () -> DnsSettings.parse("127.0.0.1", 53, "cluster.local", -1, null, 1)).getMessage());
    assertEquals(new InetSocketAddress("127.0.0.53", 53), DnsSettings.parse("127.0.0.1", 53, "cluster.local", 5, "127.0.0.53", 1).upstream());
    assertEquals(new InetSocketAddress("::1", 5353), DnsSettings.parse("127.0.0.1", 53, "cluster.local", 5, "[::1]:5353", 1).upstream());
  }
}
