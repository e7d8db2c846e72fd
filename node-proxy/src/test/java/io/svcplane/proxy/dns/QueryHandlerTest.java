package io.svcplane.proxy.dns;

import static io.svcplane.proxy.dns.DnsFixtures.answers;
import static io.svcplane.proxy.dns.DnsFixtures.backend;
import static io.svcplane.proxy.dns.DnsFixtures.clusterIp;
import static io.svcplane.proxy.dns.DnsFixtures.endpoints;
import static io.svcplane.proxy.dns.DnsFixtures.externalName;
import static io.svcplane.proxy.dns.DnsFixtures.headless;
import static io.svcplane.proxy.dns.DnsFixtures.port;
import static io.svcplane.proxy.dns.DnsFixtures.query;
import static io.svcplane.proxy.dns.DnsFixtures.section;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Service;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The answers of the DNS server's query path, from a proxy state fed as the ProxyFeed would. */
class QueryHandlerTest {
  static final Service WEB = clusterIp("shop", "web", "10.96.0.10", port("http", "TCP", 80), port("", "TCP", 8080));
  static final Service DB = headless("shop", "db", false, port("pg", "TCP", 5432));
  static final Service ALL = headless("shop", "all", true, port("pg", "TCP", 5432));
  static final Service NONE_READY = headless("shop", "none-ready", false);
  static final Service EXT = externalName("shop", "ext", "www.example.com", port("https", "TCP", 443));
  static final Service ALIAS = externalName("shop", "alias", "web.shop.svc.cluster.local");

  final DnsFixtures.Fed fed = new DnsFixtures.Fed().apply(ProxyUpdate.newBuilder().setVersion("v1").setSnapshot(true)
      .addServices(WEB).addServices(DB).addServices(ALL).addServices(NONE_READY).addServices(EXT).addServices(ALIAS)
      .addEndpoints(endpoints(DB,
          backend("10.244.0.11", true, "db-0", "pg", 15432),
          backend("10.244.0.12", true, "", "pg", 15432),
          backend("10.244.0.13", false, "db-2", "pg", 15432)))
      .addEndpoints(endpoints(ALL,
          backend("10.244.0.21", true, "", "pg", 5432),
          backend("10.244.0.22", false, "", "pg", 5432)))
      .addEndpoints(endpoints(NONE_READY, backend("10.244.0.31", false, "", "pg", 5432)))
      .build());
  final DnsMetrics metrics = new DnsMetrics();
  final QueryHandler handler = handler(null);

  QueryHandler handler(Upstream upstream) {
    return new QueryHandler(new DnsResponder(org.xbill.DNS.Name.fromConstantString("cluster.local."), 5,
        ServiceRecords.literal("127.0.1.1")), () -> fed.names, upstream, metrics);
  }

  Message ask(String name, int type) {
    return ask(query(name, type), false);
  }

  Message ask(Message q, boolean tcp) {
    QueryHandler.Reply r = handler.handle(q.toWire(), tcp);
    try {
      return new Message(r.now());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aClusterIpServiceAnswersItsClusterIpAuthoritatively() {
    Message m = ask("web.shop.svc.cluster.local.", Type.A);
    assertEquals(Rcode.NOERROR, m.getRcode());
    assertTrue(m.getHeader().getFlag(Flags.AA));
    assertTrue(m.getHeader().getFlag(Flags.QR));
    assertFalse(m.getHeader().getFlag(Flags.RA), "no upstream: no recursion offered");
    assertEquals(List.of("web.shop.svc.cluster.local. 5 IN A 10.96.0.10"), answers(m));
  }

  @Test
  void namesAreCaseInsensitiveAndAnsweredAsAsked() {
    Message m = ask("WEB.Shop.SVC.cluster.LOCAL.", Type.A);
    assertEquals(List.of("WEB.Shop.SVC.cluster.LOCAL. 5 IN A 10.96.0.10"), answers(m));
  }

  @Test
  void theSearchDomainFormsAreAnsweredWhenAskedAsGiven() {
    assertEquals(List.of("web.shop. 5 IN A 10.96.0.10"), answers(ask("web.shop.", Type.A)));
    assertEquals(List.of("web.shop.svc. 5 IN A 10.96.0.10"), answers(ask("web.shop.svc.", Type.A)));
    assertEquals(List.of("_http._tcp.web.shop. 5 IN SRV 0 100 80 web.shop.svc.cluster.local."),
        answers(ask("_http._tcp.web.shop.", Type.SRV)));
    // A short name of nothing in the cluster is not the cluster's: refused.
    assertEquals(Rcode.REFUSED, ask("nothing.shop.", Type.A).getRcode());
    assertEquals(Rcode.REFUSED, ask("web.elsewhere.", Type.A).getRcode());
  }

  @Test
  void aPodsResolverWalkingItsSearchListForNameDotNamespaceIsToldToGoOnUntilTheService() {
    // ndots:5, search NS.svc.cluster.local svc.cluster.local cluster.local: "web.shop" from namespace
    // "shop" and from "other" is first tried with the pod's own namespace appended. Anything but
    // NXDOMAIN or NODATA there (REFUSED, SERVFAIL) makes a C library stop searching.
    for (String ns : List.of("shop", "other")) {
      for (int type : List.of(Type.A, Type.AAAA)) {
        Message miss = ask("web.shop." + ns + ".svc.cluster.local.", type);
        assertEquals(Rcode.NXDOMAIN, miss.getRcode(), "web.shop." + ns + ".svc.cluster.local " + Type.string(type) + ": " + miss);
      }
    }
    assertEquals(List.of("web.shop.svc.cluster.local. 5 IN A 10.96.0.10"), answers(ask("web.shop.svc.cluster.local.", Type.A)));
    assertEquals(Rcode.NOERROR, ask("web.shop.svc.cluster.local.", Type.AAAA).getRcode());
  }

  @Test
  void aNameWithoutTheAskedTypeIsNoDataWithTheZonesSoa() {
    Message m = ask("web.shop.svc.cluster.local.", Type.AAAA);
    assertEquals(Rcode.NOERROR, m.getRcode());
    assertEquals(List.of(), answers(m));
    List<String> soa = section(m, Section.AUTHORITY);
    assertEquals(1, soa.size());
    assertTrue(soa.get(0).startsWith("cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. "), soa.toString());
    assertTrue(soa.get(0).endsWith(" 7200 1800 86400 5"), soa.toString());
  }

  @Test
  void namesInTheZoneThatDoNotExistAreNxdomainWithTheSoa() {
    for (String name : List.of("nothing.shop.svc.cluster.local.", "web.nons.svc.cluster.local.", "x.web.shop.svc.cluster.local.",
        "foo.cluster.local.", "a.b.c.d.web.shop.svc.cluster.local.", "_nope._tcp.web.shop.svc.cluster.local.")) {
      Message m = ask(name, Type.A);
      assertEquals(Rcode.NXDOMAIN, m.getRcode(), name);
      assertTrue(m.getHeader().getFlag(Flags.AA), name);
      assertEquals(1, m.getSection(Section.AUTHORITY).size(), name);
      assertEquals(Type.SOA, m.getSection(Section.AUTHORITY).get(0).getType(), name);
    }
  }

  @Test
  void emptyNonTerminalsExistWithoutData() {
    for (String name : List.of("svc.cluster.local.", "shop.svc.cluster.local.", "_tcp.web.shop.svc.cluster.local.", "pod.cluster.local.")) {
      Message m = ask(name, Type.A);
      assertEquals(Rcode.NOERROR, m.getRcode(), name);
      assertEquals(List.of(), answers(m), name);
    }
  }

  @Test
  void aHeadlessServiceAnswersItsReadyEndpoints() {
    assertEquals(List.of("db.shop.svc.cluster.local. 5 IN A 10.244.0.11", "db.shop.svc.cluster.local. 5 IN A 10.244.0.12"),
        answers(ask("db.shop.svc.cluster.local.", Type.A)));
  }

  @Test
  void publishNotReadyAddressesPublishesEveryEndpoint() {
    assertEquals(List.of("all.shop.svc.cluster.local. 5 IN A 10.244.0.21", "all.shop.svc.cluster.local. 5 IN A 10.244.0.22"),
        answers(ask("all.shop.svc.cluster.local.", Type.A)));
  }

  @Test
  void aHeadlessServiceWithoutReadyEndpointsIsNxdomain() {
    assertEquals(Rcode.NXDOMAIN, ask("none-ready.shop.svc.cluster.local.", Type.A).getRcode());
  }

  @Test
  void endpointsAreNamedByHostnameOrByTheirDashedAddress() {
    assertEquals(List.of("db-0.db.shop.svc.cluster.local. 5 IN A 10.244.0.11"), answers(ask("db-0.db.shop.svc.cluster.local.", Type.A)));
    assertEquals(List.of("10-244-0-12.db.shop.svc.cluster.local. 5 IN A 10.244.0.12"),
        answers(ask("10-244-0-12.db.shop.svc.cluster.local.", Type.A)));
    // db-2 is not ready: no name.
    assertEquals(Rcode.NXDOMAIN, ask("db-2.db.shop.svc.cluster.local.", Type.A).getRcode());
  }

  @Test
  void srvOfAClusterIpServiceTargetsTheServiceNameWithItsAddressAdditional() {
    Message m = ask("_http._tcp.web.shop.svc.cluster.local.", Type.SRV);
    assertEquals(List.of("_http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local."), answers(m));
    assertEquals(List.of("web.shop.svc.cluster.local. 5 IN A 10.96.0.10"), section(m, Section.ADDITIONAL));
    // Wrong protocol: no such name.
    assertEquals(Rcode.NXDOMAIN, ask("_http._udp.web.shop.svc.cluster.local.", Type.SRV).getRcode());
  }

  @Test
  void srvOfAHeadlessServiceTargetsEachEndpointAtItsPort() {
    Message m = ask("_pg._tcp.db.shop.svc.cluster.local.", Type.SRV);
    assertEquals(List.of("_pg._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 50 15432 db-0.db.shop.svc.cluster.local.",
        "_pg._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 50 15432 10-244-0-12.db.shop.svc.cluster.local."), answers(m));
    assertEquals(List.of("db-0.db.shop.svc.cluster.local. 5 IN A 10.244.0.11", "10-244-0-12.db.shop.svc.cluster.local. 5 IN A 10.244.0.12"),
        section(m, Section.ADDITIONAL));
  }

  @Test
  void anExternalNameServiceIsACnameNotFollowedOutsideTheCluster() {
    Message m = ask("ext.shop.svc.cluster.local.", Type.A);
    assertEquals(Rcode.NOERROR, m.getRcode());
    assertEquals(List.of("ext.shop.svc.cluster.local. 5 IN CNAME www.example.com."), answers(m));
    assertEquals(List.of("_https._tcp.ext.shop.svc.cluster.local. 5 IN SRV 0 100 443 www.example.com."),
        answers(ask("_https._tcp.ext.shop.svc.cluster.local.", Type.SRV)));
  }

  @Test
  void aCnameIntoTheClusterIsFollowed() {
    assertEquals(List.of("alias.shop.svc.cluster.local. 5 IN CNAME web.shop.svc.cluster.local.",
        "web.shop.svc.cluster.local. 5 IN A 10.96.0.10"), answers(ask("alias.shop.svc.cluster.local.", Type.A)));
  }

  @Test
  void ptrNamesClusterIpsAndHeadlessEndpoints() {
    assertEquals(List.of("10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local."), answers(ask("10.0.96.10.in-addr.arpa.", Type.PTR)));
    assertEquals(List.of("11.0.244.10.in-addr.arpa. 5 IN PTR db-0.db.shop.svc.cluster.local."),
        answers(ask("11.0.244.10.in-addr.arpa.", Type.PTR)));
    // Not an address of the cluster: not ours.
    assertEquals(Rcode.REFUSED, ask("1.1.1.10.in-addr.arpa.", Type.PTR).getRcode());
  }

  @Test
  void theZoneHasItsSoaNsVersionAndPodRecords() {
    assertEquals(Type.SOA, ask("cluster.local.", Type.SOA).getSection(Section.ANSWER).get(0).getType());
    Message ns = ask("cluster.local.", Type.NS);
    assertEquals(List.of("cluster.local. 5 IN NS ns.dns.cluster.local."), answers(ns));
    assertEquals(List.of("ns.dns.cluster.local. 5 IN A 127.0.1.1"), section(ns, Section.ADDITIONAL));
    assertEquals(List.of("dns-version.cluster.local. 5 IN TXT \"1.0.1\""), answers(ask("dns-version.cluster.local.", Type.TXT)));
    assertEquals(List.of("10-244-3-4.shop.pod.cluster.local. 5 IN A 10.244.3.4"), answers(ask("10-244-3-4.shop.pod.cluster.local.", Type.A)));
    assertEquals(Rcode.NXDOMAIN, ask("10-244-3-400.shop.pod.cluster.local.", Type.A).getRcode());
  }

  @Test
  void namesOutsideTheClusterAreRefusedWithoutAnUpstream() {
    Message m = ask("www.example.com.", Type.A);
    assertEquals(Rcode.REFUSED, m.getRcode());
    assertEquals("www.example.com.", m.getQuestion().getName().toString());
    assertEquals(Rcode.REFUSED, ask("localhost.", Type.A).getRcode());
  }

  @Test
  void beforeTheFirstVersionClusterNamesAreServfailNotNxdomain() {
    fed.names = ClusterNames.NONE;
    assertEquals(Rcode.SERVFAIL, ask("web.shop.svc.cluster.local.", Type.A).getRcode());
  }

  @Test
  void aChangeFoldsIntoNewNamesAndAnUnchangedUpdateKeepsTheSerial() {
    long serial = fed.names.serial();
    fed.apply(ProxyUpdate.newBuilder().setVersion("v2").build());
    assertEquals(serial, fed.names.serial(), "nothing changed");
    assertEquals("v2", fed.names.version());
    fed.apply(ProxyUpdate.newBuilder().setVersion("v3").addRemovedServices("shop/web")
        .addEndpoints(endpoints(DB, backend("10.244.0.14", true, "db-4", "pg", 15432))).build());
    assertTrue(fed.names.serial() > serial);
    assertEquals(Rcode.NXDOMAIN, ask("web.shop.svc.cluster.local.", Type.A).getRcode());
    assertEquals(List.of("db.shop.svc.cluster.local. 5 IN A 10.244.0.14"), answers(ask("db.shop.svc.cluster.local.", Type.A)));
    // A snapshot without a namespace's services removes the namespace.
    fed.apply(ProxyUpdate.newBuilder().setVersion("v4").setSnapshot(true).build());
    assertEquals(Rcode.NXDOMAIN, ask("db.shop.svc.cluster.local.", Type.A).getRcode());
    assertEquals(Rcode.NXDOMAIN, ask("shop.svc.cluster.local.", Type.A).getRcode());
    assertEquals(0, fed.names.serviceCount());
  }

  @Test
  void aLargeAnswerIsTruncatedOverUdpAndWholeOverTcp() {
    Service big = headless("shop", "big", false);
    List<Backend> many = new ArrayList<>();
    for (int i = 1; i <= 100; i++) many.add(backend("10.244.1." + i, true, "", "pg", 1));
    fed.apply(ProxyUpdate.newBuilder().setVersion("v2").addServices(big)
        .addEndpoints(endpoints(big, many.toArray(Backend[]::new))).build());
    Message udp = ask(query("big.shop.svc.cluster.local.", Type.A), false);
    assertTrue(udp.getHeader().getFlag(Flags.TC));
    Message tcp = ask(query("big.shop.svc.cluster.local.", Type.A), true);
    assertFalse(tcp.getHeader().getFlag(Flags.TC));
    assertEquals(100, tcp.getSection(Section.ANSWER).size());
    // With EDNS the client's size (up to 1232) applies: 1232 bytes hold about 70 records.
    Message q = query("big.shop.svc.cluster.local.", Type.A);
    q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
    Message edns = ask(q, false);
    assertTrue(edns.getHeader().getFlag(Flags.TC));
    assertTrue(edns.toWire().length <= QueryHandler.EDNS_PAYLOAD, edns.toWire().length + " bytes");
    assertEquals(QueryHandler.EDNS_PAYLOAD, edns.getOPT().getPayloadSize());
  }

  @Test
  void malformedPacketsGetFormerrOrNothing() throws Exception {
    // Shorter than a header: dropped.
    assertNull(handler.handle(new byte[] {1, 2, 3}, false).now());
    // A response: dropped.
    Message response = query("web.shop.svc.cluster.local.", Type.A);
    response.getHeader().setFlag(Flags.QR);
    assertNull(handler.handle(response.toWire(), false).now());
    // No question.
    byte[] header = new byte[12];
    header[0] = 0x12;
    header[1] = 0x34;
    Message noQuestion = new Message(handler.handle(header, false).now());
    assertEquals(Rcode.FORMERR, noQuestion.getRcode());
    assertEquals(0x1234, noQuestion.getHeader().getID());
    // A question count that promises more than the packet has.
    byte[] q = query("web.shop.svc.cluster.local.", Type.A).toWire();
    q[5] = 2;
    assertEquals(Rcode.FORMERR, new Message(handler.handle(q, false).now()).getRcode());
    // A compression pointer to itself.
    byte[] loop = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1};
    assertEquals(Rcode.FORMERR, new Message(handler.handle(loop, false).now()).getRcode());
    // Another opcode.
    Message notify = query("web.shop.svc.cluster.local.", Type.A);
    notify.getHeader().setOpcode(Opcode.NOTIFY);
    assertEquals(Rcode.NOTIMP, new Message(handler.handle(notify.toWire(), false).now()).getRcode());
    // EDNS version 1.
    Message v1 = query("web.shop.svc.cluster.local.", Type.A);
    v1.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);
    assertEquals(Rcode.BADVERS, new Message(handler.handle(v1.toWire(), false).now()).getRcode());
    // Random bytes of every length: an answer or nothing, never an exception.
    Random random = new Random(11);
    for (int i = 0; i < 5000; i++) {
      byte[] junk = new byte[random.nextInt(600)];
      random.nextBytes(junk);
      byte[] reply = handler.handle(junk, i % 2 == 0).now();
      if (reply != null) assertTrue(reply.length >= 12);
    }
    // And the server still answers.
    assertEquals(List.of("web.shop.svc.cluster.local. 5 IN A 10.96.0.10"), answers(ask("web.shop.svc.cluster.local.", Type.A)));
  }

  @Test
  void unchangedNamesAreTheSameObject() {
    assertSame(fed.names, fed.catalog.snapshot("v1"));
  }

  @Test
  void serviceRecordsIgnoreWhatDnsDoesNotShow() throws Exception {
    assertEquals(InetAddress.getByName("10.96.0.10"), fed.names.service("shop", "web").clusterIps().get(0));
    assertEquals(1, fed.names.service("shop", "web").ports().size(), "the unnamed port has no SRV name");
    assertEquals(Name.fromString("www.example.com."), fed.names.service("shop", "ext").externalName());
  }
}
