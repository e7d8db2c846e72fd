package io.svcplane.proxy.nftables;

import static io.svcplane.proxy.nftables.Rules.clusterIp;
import static io.svcplane.proxy.nftables.Rules.notReady;
import static io.svcplane.proxy.nftables.Rules.ready;
import static io.svcplane.proxy.nftables.Rules.terminating;
import static io.svcplane.proxy.nftables.Rules.withAffinity;
import static io.svcplane.proxy.nftables.Rules.withEndpoints;
import static io.svcplane.proxy.nftables.Rules.withNodePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NftablesBackendTest {
  static final NodeNetwork NODE_1 = new NodeNetwork("node-1", List.of("10.0.0.1"), "10.244.0.0/16");

  final RecordingNft nft = new RecordingNft();
  final NftablesBackend backend = new NftablesBackend(NODE_1, nft);

  static ForwardingTable table(ServicePortRule... rules) {
    return ForwardingTable.of(List.of(rules));
  }

  static final ServicePortRule WEB = clusterIp("web", "10.96.0.10", 80,
      ready("10.244.1.2", 8080, "node-1"), ready("10.244.2.2", 8080, "node-2"), ready("10.244.2.3", 8080, "node-2"));
  static final ServicePortRule API = clusterIp("api", "10.96.0.11", 443, ready("10.244.2.4", 6443, "node-2"));

  @Test
  void theFirstSyncIsFullAndLaterOnesTouchOnlyTheServicePortsThatChanged() throws Exception {
    backend.apply(table(WEB, API));
    assertTrue(backend.lastSync().full());

    backend.apply(table(withEndpoints(WEB, ready("10.244.1.2", 8080, "node-1"), ready("10.244.2.3", 8080, "node-2")), API));

    assertFalse(backend.lastSync().full());
    assertEquals(1, backend.lastSync().servicePorts());
    // 10.244.2.2 left slot 1; 10.244.2.3 moves from slot 2 into it; the service now takes the
    // two-endpoint chain, which exists already for nobody and is created; the three-endpoint
    // chain has no user left and goes.
    assertEquals("""
        add chain ip svcplane cluster-tcp-2-to-8080
        add rule ip svcplane cluster-tcp-2-to-8080 ip saddr != 10.244.0.0/16 meta mark set meta mark or 0x4000
        add rule ip svcplane cluster-tcp-2-to-8080 meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 2 map @tcp-endpoints : 8080
        delete element ip svcplane service-ips { 10.96.0.10 . tcp . 80 }
        delete element ip svcplane tcp-endpoints { 10.96.0.10 . 80 . 1, 10.96.0.10 . 80 . 2 }
        add element ip svcplane service-ips { 10.96.0.10 . tcp . 80 : goto cluster-tcp-2-to-8080 }
        add element ip svcplane tcp-endpoints { 10.96.0.10 . 80 . 1 : 10.244.2.3 }
        flush chain ip svcplane cluster-tcp-3-to-8080
        delete chain ip svcplane cluster-tcp-3-to-8080
        """, nft.last());
  }

  @Test
  void anUnchangedTableRunsNoTransaction() throws Exception {
    backend.apply(table(WEB, API));
    backend.apply(table(WEB, API));
    assertEquals(1, nft.applied.size());
  }

  @Test
  void aChangeThatLeavesTheUsableEndpointsAloneRunsNoTransaction() throws Exception {
    backend.apply(table(WEB));
    List<Endpoint> more = new ArrayList<>(WEB.endpoints());
    more.add(notReady("10.244.1.9", 8080, "node-1"));
    backend.apply(table(withEndpoints(WEB, more.toArray(Endpoint[]::new))));
    assertEquals(1, nft.applied.size());
  }

  @Test
  void portsSharingAClusterIpKeepItUntilTheLastOneGoes() throws Exception {
    ServicePortRule http = new ServicePortRule(new ServicePortName("default", "web", "http"), Protocol.TCP, "10.96.0.10", 80, 0,
        false, false, 0, List.of(ready("10.244.1.2", 8080, "node-1")));
    ServicePortRule https = new ServicePortRule(new ServicePortName("default", "web", "https"), Protocol.TCP, "10.96.0.10", 443, 0,
        false, false, 0, List.of(ready("10.244.1.2", 8443, "node-1")));
    backend.apply(table(http, https));

    backend.apply(table(http));
    assertEquals("""
        delete element ip svcplane service-ips { 10.96.0.10 . tcp . 443 }
        delete element ip svcplane tcp-endpoints { 10.96.0.10 . 443 . 0 }
        flush chain ip svcplane cluster-tcp-1-to-8443
        delete chain ip svcplane cluster-tcp-1-to-8443
        """, nft.last());

    backend.apply(table());
    assertEquals("""
        delete element ip svcplane cluster-ips { 10.96.0.10 }
        delete element ip svcplane hairpin { 10.244.1.2 . 10.244.1.2 }
        delete element ip svcplane service-ips { 10.96.0.10 . tcp . 80 }
        delete element ip svcplane tcp-endpoints { 10.96.0.10 . 80 . 0 }
        flush chain ip svcplane cluster-tcp-1-to-8080
        delete chain ip svcplane cluster-tcp-1-to-8080
        """, nft.last());
  }

  @Test
  void aServiceLosingItsLastEndpointIsRejectedInsteadOfForwarded() throws Exception {
    ServicePortRule np = withNodePort(API, 30443, false);
    backend.apply(table(np));
    backend.apply(table(withEndpoints(np, notReady("10.244.2.4", 6443, "node-2"))));
    assertEquals("""
        delete element ip svcplane service-ips { 10.96.0.11 . tcp . 443 }
        delete element ip svcplane service-nodeports { tcp . 30443 }
        delete element ip svcplane tcp-endpoints { 10.96.0.11 . 443 . 0 }
        delete element ip svcplane tcp-nodeport-endpoints { 30443 . 0 }
        add element ip svcplane no-endpoint-nodeports { tcp . 30443 }
        flush chain ip svcplane cluster-tcp-1-to-6443
        delete chain ip svcplane cluster-tcp-1-to-6443
        flush chain ip svcplane external-tcp-1-to-6443
        delete chain ip svcplane external-tcp-1-to-6443
        """, nft.last());
  }

  @Test
  void affinityKeepsTheSlotsOfEndpointsThatStay() throws Exception {
    ServicePortRule sticky = withAffinity(WEB, 600);
    backend.apply(table(sticky));

    backend.apply(table(withEndpoints(sticky, ready("10.244.1.2", 8080, "node-1"), ready("10.244.2.3", 8080, "node-2"),
        ready("10.244.2.2", 8080, "node-2"), ready("10.244.2.9", 8080, "node-2"))));

    // Slots 0-2 keep their endpoints (a client pinned to one stays there); the new one takes slot 3.
    assertTrue(nft.last().contains("add element ip svcplane tcp-endpoints { 10.96.0.10 . 80 . 3 : 10.244.2.9 }"), nft.last());
    assertFalse(nft.last().contains("delete element ip svcplane tcp-endpoints"), nft.last());
  }

  @Test
  void aFailedSyncMakesTheNextOneFull() throws Exception {
    backend.apply(table(WEB));
    nft.refuseNext("Error: Could not process rule: No such file or directory");
    NftException e = assertThrows(NftException.class, () -> backend.apply(table(WEB, API)));
    assertTrue(e.getMessage().contains("No such file"));

    backend.apply(table(WEB, API));

    assertTrue(backend.lastSync().full());
    assertTrue(nft.last().startsWith("table ip svcplane {}\ndelete table ip svcplane\ntable ip svcplane {\n"), nft.last());
  }

  @Test
  void outgrowingTheSizeASetWasDeclaredWithFallsBackToAFullSync() throws Exception {
    List<ServicePortRule> rules = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      rules.add(clusterIp("s" + i, "10.96." + (i / 250) + "." + (i % 250 + 1), 80, ready("10.244.3.1", 80, "node-2")));
    }
    backend.apply(ForwardingTable.of(rules));
    assertTrue(nft.last().contains("set cluster-ips {\n\t\ttype ipv4_addr\n\t\tsize 2048\n"));
    for (int i = 600; i < 2100; i++) {
      rules.add(clusterIp("s" + i, "10.96." + (i / 250) + "." + (i % 250 + 1), 80, ready("10.244.3.1", 80, "node-2")));
    }

    backend.apply(ForwardingTable.of(rules));

    assertTrue(backend.lastSync().full());
    assertTrue(nft.last().contains("set cluster-ips {\n\t\ttype ipv4_addr\n\t\tsize 8192\n"));
  }

  @Test
  void udpFlowsToARemovedEndpointAreForgottenAndTcpOnesAreLeftAlone() throws Exception {
    List<String> forgotten = new ArrayList<>();
    NftablesBackend b = new NftablesBackend(NODE_1, nft, (dst, port, ip) -> forgotten.add(dst + ":" + port + " -> " + ip));
    ServicePortRule dns = withNodePort(Rules.withProtocol(clusterIp("dns", "10.96.0.53", 53,
        ready("10.244.1.2", 5353, "node-1"), ready("10.244.2.2", 5353, "node-2")), Protocol.UDP), 30053, false);
    b.apply(table(dns, WEB));

    b.apply(table(withEndpoints(dns, ready("10.244.1.2", 5353, "node-1"), notReady("10.244.2.2", 5353, "node-2")),
        withEndpoints(WEB, ready("10.244.1.2", 8080, "node-1"))));
    assertEquals(List.of("10.96.0.53:53 -> 10.244.2.2", ":30053 -> 10.244.2.2"), forgotten);

    forgotten.clear();
    b.apply(table(WEB));
    assertEquals(List.of("10.96.0.53:53 -> 10.244.1.2", ":30053 -> 10.244.1.2"), forgotten);
  }

  @Test
  void closeDeletesTheTable() throws Exception {
    backend.apply(table(WEB));
    backend.close();
    assertEquals("table ip svcplane {}\ndelete table ip svcplane\n", nft.last());
    assertThrows(IllegalStateException.class, () -> backend.apply(table(WEB)));
  }

  @Test
  void partialSyncsAddUpToWhatAFullSyncWouldWrite() throws Exception {
    Random random = new Random(42);
    NftModel kernel = new NftModel();
    String[] ips = {"10.244.1.2", "10.244.1.3", "10.244.2.2", "10.244.2.3", "10.244.2.4", "10.244.3.2"};
    for (int round = 0; round < 300; round++) {
      List<ServicePortRule> rules = new ArrayList<>();
      for (int s = 0; s < 8; s++) {
        if (random.nextInt(5) == 0) continue;
        List<Endpoint> eps = new ArrayList<>();
        for (String ip : ips) {
          // Some services' endpoints listen on different ports (a named targetPort), now and then.
          int port = s % 4 == 1 && random.nextInt(3) == 0 ? 9090 : 8080;
          switch (random.nextInt(5)) {
            case 0 -> eps.add(notReady(ip, port, ip.startsWith("10.244.1.") ? "node-1" : "node-2"));
            case 1 -> eps.add(terminating(ip, port, ip.startsWith("10.244.1.") ? "node-1" : "node-2"));
            case 2, 3 -> eps.add(ready(ip, port, ip.startsWith("10.244.1.") ? "node-1" : "node-2"));
            default -> { }
          }
        }
        // Some services share a ClusterIP (ports of one service); some have NodePorts.
        String clusterIp = "10.96.0." + (s % 5 + 1);
        ServicePortRule r = new ServicePortRule(new ServicePortName("ns", "svc" + (s % 5), "p" + s),
            s % 3 == 0 ? Protocol.UDP : Protocol.TCP, clusterIp, 80 + s, s % 2 == 0 ? 30000 + s : 0,
            random.nextBoolean(), random.nextInt(4) == 0, random.nextInt(3) == 0 ? 60 : 0, eps);
        rules.add(r);
      }
      backend.apply(ForwardingTable.of(rules));
      for (int i = kernelApplied; i < nft.applied.size(); i++) kernel.apply(nft.applied.get(i));
      kernelApplied = nft.applied.size();

      assertEquals(NftModel.of(backend.renderApplied()), kernel, "round " + round);
    }
    assertTrue(nft.applied.size() > 100, "mostly partial syncs: " + nft.applied.size());
    assertTrue(nft.applied.stream().anyMatch(t -> t.contains("add element ip svcplane tcp-endpoints-mixed-ports")),
        "some service ports moved to the mixed-ports map");
  }

  private int kernelApplied;
}
