package io.svcplane.proxy.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.core.Kinds;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.core.image.LogPositions;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.proxy.NodeProxy;
import io.svcplane.testkit.FreePorts;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Cluster DNS end to end: an apiserver on the test broker feeds a node proxy whose DNS server
 * listens on a free loopback port; Debian's {@code dig} asks it, as a pod's resolver would.
 *
 * <p>The proxy forwards in dry-run mode: the broker is shared by every test class of this JVM, and
 * other classes leave services whose ClusterIPs a userspace proxy cannot bind here (it would NACK
 * every version, and the test waits for ACKs). Reaching a service by name through the userspace
 * proxy is checked in the local cluster (deploy's LocalClusterIT, the README walk-through).
 */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServiceDnsEndToEndTest {
  static final String NODE = "node-93";
  static final String NS = "dns-" + Long.toString(System.nanoTime() % 1_000_000, 36);
  static final String POD = "127.244.93.1";
  static final String WEB_IP = "127.96.93.1";
  static final String ZONE = ".svc.cluster.local.";

  private final TestKafka kafka;
  private ApiServer apiserver;
  private ManagedChannel channel;
  private ResourcesGrpc.ResourcesBlockingStub api;
  private volatile NodeProxy proxy;
  private Path dryRun;
  private Dig dig;
  private int dnsPort;
  private final AtomicReference<String> acked = new AtomicReference<>();
  private final List<String> namesBehindAck = new java.util.concurrent.CopyOnWriteArrayList<>();

  ServiceDnsEndToEndTest(TestKafka kafka) {
    this.kafka = kafka;
  }

  @BeforeAll
  void startCluster() throws Exception {
    int apiPort = FreePorts.loopback();
    apiserver = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(apiPort)
        .serviceCidr(ServiceCidr.parse("127.96.0.0/16")).build().start();
    apiserver.proxyFeed().addObserver(new ProxyFeedHub.Observer() {
      @Override
      public void sent(String node, ProxyUpdate update) {}

      @Override
      public void acked(String node, String version) {
        if (!NODE.equals(node)) return;
        // When the apiserver gets an ACK, the proxy's DNS already serves that version (or a later one).
        NodeProxy p = proxy;
        String served = p == null ? "?" : p.dns().names().version();
        if (p != null && (served == null || !LogPositions.decode(served).covers(LogPositions.decode(version)))) {
          namesBehindAck.add(version + " acked while DNS served " + served);
        }
        acked.set(version);
      }
    });
    channel = NettyChannelBuilder.forAddress("127.0.0.1", apiPort).usePlaintext().build();
    api = ResourcesGrpc.newBlockingStub(channel);

    dnsPort = freeUdpAndTcpPort();
    DnsSettings dns = DnsSettings.parse("127.0.0.1", dnsPort, "cluster.local", 5, null, 1);
    dryRun = Files.createTempFile("dns-e2e", ".json");
    proxy = NodeProxy.start(new NodeProxy.Config(NODE, "127.0.1.93", "127.0.0.1:" + apiPort, "dry-run", dryRun, 1, dns));
    dig = new Dig(dnsPort);

    create(Kinds.wrap(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(NS)).build()));
    create(service("web", ServiceSpec.newBuilder().setClusterIp(WEB_IP)
        .addPorts(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort(Integer.toString(8080)))));
    create(endpoints("web", "http", 8080, List.of(address(POD, "")), List.of()));
    create(service("db", ServiceSpec.newBuilder().setClusterIp("None")
        .addPorts(ServicePort.newBuilder().setName("pg").setPort(5432))));
    create(endpoints("db", "pg", 5432, List.of(address("127.244.93.11", "db-0"), address("127.244.93.12", "")),
        List.of(address("127.244.93.13", "db-2"))));
    create(service("all", ServiceSpec.newBuilder().setClusterIp("None").setPublishNotReadyAddresses(true)
        .addPorts(ServicePort.newBuilder().setName("pg").setPort(5432))));
    create(endpoints("all", "pg", 5432, List.of(address("127.244.93.21", "")), List.of(address("127.244.93.22", ""))));
    create(service("ext", ServiceSpec.newBuilder().setType("ExternalName").setExternalName("www.example.com")));
    awaitProgrammed();
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (proxy != null) proxy.close();
    if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (apiserver != null) apiserver.stop();
    if (dryRun != null) Files.deleteIfExists(dryRun);
  }

  @Test
  void aClusterIpServiceResolvesToItsClusterIpOverUdpAndTcp() throws Exception {
    Dig.Answer udp = dig.ask("web." + NS + ZONE, "A");
    assertEquals("NOERROR", udp.status(), udp.toString());
    assertTrue(udp.flags().contains("aa"), udp.toString());
    assertEquals(List.of("web." + NS + ZONE + " 5 IN A " + WEB_IP), udp.answer(), udp.toString());
    Dig.Answer tcp = dig.ask("+tcp", "web." + NS + ZONE, "A");
    assertEquals(udp.answer(), tcp.answer(), tcp.toString());

    // The search-domain forms, asked as given.
    assertEquals(Set.of(WEB_IP), dig.ask("web." + NS, "A").data());
    assertEquals(Set.of(WEB_IP), dig.ask("web." + NS + ".svc", "A").data());

    // The proxy's forwarding table, written when it programmed the version, has that ClusterIP.
    assertTrue(Files.readString(dryRun).contains(WEB_IP), "dry-run table names " + WEB_IP);
  }

  @Test
  void aHeadlessServiceAnswersItsReadyEndpointsAndTheirHostnames() {
    assertEquals(Set.of("127.244.93.11", "127.244.93.12"), dig.ask("db." + NS + ZONE, "A").data());
    assertEquals(Set.of("127.244.93.11"), dig.ask("db-0.db." + NS + ZONE, "A").data());
    assertEquals(Set.of("127.244.93.12"), dig.ask("127-244-93-12.db." + NS + ZONE, "A").data());
    Dig.Answer notReady = dig.ask("db-2.db." + NS + ZONE, "A");
    assertEquals("NXDOMAIN", notReady.status(), notReady.toString());
    // publishNotReadyAddresses: every endpoint.
    assertEquals(Set.of("127.244.93.21", "127.244.93.22"), dig.ask("all." + NS + ZONE, "A").data());
  }

  @Test
  void anExternalNameServiceIsACname() {
    Dig.Answer a = dig.ask("ext." + NS + ZONE, "A");
    assertEquals("NOERROR", a.status(), a.toString());
    assertEquals(List.of("ext." + NS + ZONE + " 5 IN CNAME www.example.com."), a.answer(), a.toString());
  }

  @Test
  void namedPortsHaveSrvRecords() {
    Dig.Answer web = dig.ask("_http._tcp.web." + NS + ZONE, "SRV");
    assertEquals(List.of("_http._tcp.web." + NS + ZONE + " 5 IN SRV 0 100 80 web." + NS + ZONE), web.answer(), web.toString());
    assertEquals(List.of("web." + NS + ZONE + " 5 IN A " + WEB_IP), web.additional(), web.toString());
    Dig.Answer db = dig.ask("_pg._tcp.db." + NS + ZONE, "SRV");
    assertEquals(Set.of("_pg._tcp.db." + NS + ZONE + " 5 IN SRV 0 50 5432 db-0.db." + NS + ZONE,
        "_pg._tcp.db." + NS + ZONE + " 5 IN SRV 0 50 5432 127-244-93-12.db." + NS + ZONE), Set.copyOf(db.answer()), db.toString());
  }

  @Test
  void aMissingNameIsNxdomainWithTheSoaAndAnOutsideNameIsRefused() {
    Dig.Answer missing = dig.ask("nothing." + NS + ZONE, "A");
    assertEquals("NXDOMAIN", missing.status(), missing.toString());
    assertEquals(1, missing.authority().size(), missing.toString());
    assertTrue(missing.authority().get(0).startsWith("cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local."),
        missing.toString());
    Dig.Answer outside = dig.ask("www.example.com", "A");
    assertEquals("REFUSED", outside.status(), outside.toString());
  }

  @Test
  void aClusterIpHasAPtrName() {
    Dig.Answer ptr = dig.ask("-x", WEB_IP);
    assertEquals(List.of("1.93.96.127.in-addr.arpa. 5 IN PTR web." + NS + ZONE), ptr.answer(), ptr.toString());
  }

  @Test
  void aChangeIsInDnsOnceTheProxyAcksIt() {
    // Asked once right after the ACK, never polled: the names were published before the ACK.
    create(service("late", ServiceSpec.newBuilder().setClusterIp("127.96.93.2")
        .addPorts(ServicePort.newBuilder().setName("http").setPort(80))));
    awaitProgrammed();
    assertEquals(Set.of("127.96.93.2"), dig.ask("late." + NS + ZONE, "A").data());

    update(endpoints("db", "pg", 5432, List.of(address("127.244.93.11", "db-0"), address("127.244.93.14", "db-4")), List.of()));
    awaitProgrammed();
    assertEquals(Set.of("127.244.93.11", "127.244.93.14"), dig.ask("db." + NS + ZONE, "A").data());
    assertEquals(Set.of("127.244.93.14"), dig.ask("db-4.db." + NS + ZONE, "A").data());

    api.delete(DeleteRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(NS).setName("late").build());
    awaitProgrammed();
    assertEquals("NXDOMAIN", dig.ask("late." + NS + ZONE, "A").status());

    update(endpoints("db", "pg", 5432, List.of(address("127.244.93.11", "db-0"), address("127.244.93.12", "")),
        List.of(address("127.244.93.13", "db-2"))));
    awaitProgrammed();
    assertEquals(List.of(), namesBehindAck, "every ACK came after its names were served");
  }

  @Test
  void aBurstOfMalformedPacketsIsFollowedByCorrectAnswers() throws Exception {
    long formErrors = proxy.dns().metrics().formErrors();
    Random random = new Random(93);
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", dnsPort);
      for (int i = 0; i < 300; i++) {
        byte[] junk = new byte[random.nextInt(700)];
        random.nextBytes(junk);
        s.send(new DatagramPacket(junk, junk.length, server));
      }
      s.send(new DatagramPacket(new byte[] {0x12, 0x34, 0x01}, 3, server)); // a truncated header
      byte[] oversized = new byte[65_000];
      random.nextBytes(oversized);
      s.send(new DatagramPacket(oversized, oversized.length, server));
      // After the burst (which may overflow the socket's buffer: UDP drops, the kernel decides),
      // packets that parse far enough to carry an ID get FORMERR.
      byte[] loop = {0x55, 0x66, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1}; // a name pointing at itself
      assertEquals(Rcode.FORMERR, udpReply(s, server, loop).getRcode());
      byte[] noQuestion = {0x77, 0x01, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}; // QDCOUNT 0
      assertEquals(Rcode.FORMERR, udpReply(s, server, noQuestion).getRcode());
    }
    // Over TCP: garbage in a frame, then a frame cut short by the client.
    try (Socket t = new Socket("127.0.0.1", dnsPort)) {
      t.setSoTimeout(3000);
      DataOutputStream out = new DataOutputStream(t.getOutputStream());
      byte[] junk = new byte[40];
      random.nextBytes(junk);
      junk[2] &= 0x7f; // a query, not a response
      out.writeShort(junk.length);
      out.write(junk);
      out.flush();
      DataInputStream in = new DataInputStream(t.getInputStream());
      byte[] reply = new byte[in.readUnsignedShort()];
      in.readFully(reply);
      assertEquals(Rcode.FORMERR, new Message(reply).getRcode());
    }
    try (Socket t = new Socket("127.0.0.1", dnsPort)) {
      t.getOutputStream().write(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3});
    }
    assertTrue(proxy.dns().metrics().formErrors() >= formErrors + 3);

    Dig.Answer udp = dig.ask("web." + NS + ZONE, "A");
    assertEquals(List.of("web." + NS + ZONE + " 5 IN A " + WEB_IP), udp.answer(), udp.toString());
    Dig.Answer tcp = dig.ask("+tcp", "db." + NS + ZONE, "A");
    assertEquals(Set.of("127.244.93.11", "127.244.93.12"), tcp.data(), tcp.toString());
  }

  // ---- Fixtures -----------------------------------------------------------------------------

  /** Sends {@code packet} until the reply with its ID comes back (other replies are skipped). */
  static Message udpReply(DatagramSocket s, InetSocketAddress server, byte[] packet) throws IOException {
    int id = ((packet[0] & 0xff) << 8) | (packet[1] & 0xff);
    s.setSoTimeout(300);
    for (int attempt = 0; attempt < 20; attempt++) {
      s.send(new DatagramPacket(packet, packet.length, server));
      try {
        while (true) {
          DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
          s.receive(p);
          if (p.getLength() < 12) continue;
          int got = ((p.getData()[0] & 0xff) << 8) | (p.getData()[1] & 0xff);
          if (got == id) return new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        }
      } catch (SocketTimeoutException e) {
        // Lost (UDP): send again.
      }
    }
    throw new AssertionError("no reply with ID " + id);
  }

  private void create(Resource r) {
    api.create(CreateRequest.newBuilder().setObject(r).build());
  }

  private void update(Resource r) {
    api.update(UpdateRequest.newBuilder().setObject(r).build());
  }

  /** Waits until the node's ACKed version covers everything written so far. */
  private void awaitProgrammed() {
    LogPositions written = LogPositions.decode(api.list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(NS).build()).getVersion());
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      String v = acked.get();
      if (v != null && LogPositions.decode(v).covers(written)) return;
      if (System.nanoTime() > deadline) throw new AssertionError("the proxy did not ACK " + written + " (last ACK " + v + ")");
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static Resource service(String name, ServiceSpec.Builder spec) {
    return Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name)).setSpec(spec).build());
  }

  static EndpointAddress address(String ip, String hostname) {
    return EndpointAddress.newBuilder().setIp(ip).setHostname(hostname).setNodeName(NODE).build();
  }

  static Resource endpoints(String name, String portName, int port, List<EndpointAddress> ready, List<EndpointAddress> notReady) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setName(portName).setPort(port).setProtocol("TCP"))
        .addAllAddresses(ready).addAllNotReadyAddresses(notReady);
    return Kinds.wrap(Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(NS).setName(name)).addSubsets(subset).build());
  }

  /** A port free for both UDP and TCP on 127.0.0.1 a moment ago. */
  static int freeUdpAndTcpPort() throws IOException {
    for (int i = 0; i < 50; i++) {
      int port = FreePorts.loopback();
      try (DatagramSocket u = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
        return port;
      } catch (IOException e) {
        // Taken for UDP: try another.
      }
    }
    throw new IOException("no port free for both UDP and TCP on 127.0.0.1");
  }
}
