package io.svcplane.proxy.nftables;

import static io.svcplane.proxy.nftables.Rules.clusterIp;
import static io.svcplane.proxy.nftables.Rules.notReady;
import static io.svcplane.proxy.nftables.Rules.ready;
import static io.svcplane.proxy.nftables.Rules.terminating;
import static io.svcplane.proxy.nftables.Rules.withAffinity;
import static io.svcplane.proxy.nftables.Rules.withEndpoints;
import static io.svcplane.proxy.nftables.Rules.withNodePort;
import static io.svcplane.proxy.nftables.Rules.withProtocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortRule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rendered ruleset in a real kernel, with real connections through the {@link NodeLab}
 * namespaces: each pod answers with its own address and the client address it saw, so a test sees
 * where each connection went and whether it was masqueraded.
 */
class NftablesKernelTest {
  static final String LOCAL_A = NodeLab.LOCAL_A;
  static final String LOCAL_B = NodeLab.LOCAL_B;
  static final String REMOTE_A = NodeLab.REMOTE_A;
  static final String REMOTE_B = NodeLab.REMOTE_B;
  static final String CLIENT = NodeLab.CLIENT;
  static final String NODE_IP = NodeLab.NODE_IP;

  static NodeLab lab;
  static Netns node;
  static Netns pods;
  static Netns out;

  @BeforeAll
  static void buildNetwork() throws IOException {
    lab = NodeLab.create();
    node = lab.node;
    pods = lab.pods;
    out = lab.out;
  }

  @AfterAll
  static void deleteNetwork() {
    if (lab != null) lab.close();
  }

  NftablesBackend backend;

  @AfterEach
  void deleteTable() {
    if (backend != null) backend.close();
  }

  private NftablesBackend backend() {
    backend = new NftablesBackend(new NodeNetwork("node-1", List.of(NODE_IP), "10.244.0.0/16"), NftCommand.inNetns(node.name),
        ConntrackCommand.inNetns(node.name));
    return backend;
  }

  private static ForwardingTable table(ServicePortRule... rules) {
    return ForwardingTable.of(List.of(rules));
  }

  private static Endpoint local(String ip) {
    return ready(ip, 8080, "node-1");
  }

  private static Endpoint remote(String ip) {
    return ready(ip, 8080, "node-2");
  }

  private static Tally fromClient(String target, int n) throws IOException {
    return lab.fromClient(target, n);
  }

  @Test
  void clusterIpSpreadsConnectionsOverLocalAndRemoteEndpointsAndMasqueradesOutsideClients() throws Exception {
    backend().apply(table(clusterIp("web", "10.96.0.10", 80, local(LOCAL_A), local(LOCAL_B), remote(REMOTE_A))));

    Tally t = fromClient("10.96.0.10:80", 60);

    assertEquals(Set.of(LOCAL_A + ":8080", LOCAL_B + ":8080", REMOTE_A + ":8080"), t.byEndpoint().keySet(), t.toString());
    assertEquals(60, t.byEndpoint().values().stream().mapToInt(Integer::intValue).sum(), t.toString());
    // The client is outside the cluster CIDR: masqueraded to the node's address on each path.
    assertEquals(Set.of(NODE_IP, "10.244.1.1"), t.clientsSeen(), t.toString());
  }

  @Test
  void clusterIpTrafficFromAPodKeepsThePodAddress() throws Exception {
    backend().apply(table(clusterIp("web", "10.96.0.10", 80, remote(REMOTE_A))));

    Tally t = pods.probe("tcp", "10.96.0.10:80", 3, LOCAL_B);

    assertEquals(Map.of(REMOTE_A + ":8080 " + LOCAL_B, 3), t.counts());
  }

  @Test
  void aPodReachingItselfThroughItsServiceIsMasqueradedSoTheReplyComesBack() throws Exception {
    backend().apply(table(clusterIp("self", "10.96.0.10", 80, local(LOCAL_A))));

    Tally t = pods.probe("tcp", "10.96.0.10:80", 3, LOCAL_A);

    assertEquals(Map.of(LOCAL_A + ":8080 10.244.1.1", 3), t.counts());
  }

  @Test
  void nodePortWithClusterPolicyReachesEveryEndpoint() throws Exception {
    backend().apply(table(withNodePort(clusterIp("web", "10.96.0.10", 80, local(LOCAL_A), remote(REMOTE_A)), 30080, false)));

    Tally t = fromClient(NODE_IP + ":30080", 40);

    assertEquals(Set.of(LOCAL_A + ":8080", REMOTE_A + ":8080"), t.byEndpoint().keySet(), t.toString());
    assertFalse(t.clientsSeen().contains(CLIENT), "masqueraded: " + t);
  }

  @Test
  void nodePortWithLocalPolicyUsesOnlyThisNodesEndpointsAndKeepsTheClientAddress() throws Exception {
    backend().apply(table(withNodePort(clusterIp("web", "10.96.0.10", 80, local(LOCAL_A), local(LOCAL_B), remote(REMOTE_A)),
        30080, true)));

    Tally t = fromClient(NODE_IP + ":30080", 40);

    assertEquals(Set.of(LOCAL_A + ":8080", LOCAL_B + ":8080"), t.byEndpoint().keySet(), t.toString());
    assertEquals(Set.of(CLIENT), t.clientsSeen(), t.toString());
  }

  @Test
  void servicesWithoutEndpointsAndUnknownPortsAreRejectedAtOnce() throws Exception {
    backend().apply(table(
        withNodePort(clusterIp("empty", "10.96.0.11", 80, notReady(LOCAL_A, 8080, "node-1")), 30081, false),
        withNodePort(clusterIp("remote-only", "10.96.0.12", 80, remote(REMOTE_A)), 30082, true),
        clusterIp("web", "10.96.0.10", 80, local(LOCAL_A))));

    // "Connection refused": rejected, not dropped (a drop would time out).
    assertEquals(2, fromClient("10.96.0.11:80", 2).errors("ConnectException"));
    assertEquals(2, fromClient(NODE_IP + ":30081", 2).errors("ConnectException"));
    // externalTrafficPolicy Local and no endpoint on this node.
    assertEquals(2, fromClient(NODE_IP + ":30082", 2).errors("ConnectException"));
    // A ClusterIP port that no service has.
    assertEquals(2, fromClient("10.96.0.10:81", 2).errors("ConnectException"));
  }

  @Test
  void udpServicesForwardDatagrams() throws Exception {
    backend().apply(table(withProtocol(clusterIp("dns", "10.96.0.10", 53, local(LOCAL_A), remote(REMOTE_B)), Protocol.UDP)));

    Tally t = out.probe("udp", "10.96.0.10:53", 30, CLIENT);

    assertEquals(Set.of(LOCAL_A + ":8080", REMOTE_B + ":8080"), t.byEndpoint().keySet(), t.toString());
  }

  @Test
  void aUdpFlowMovesOffAnEndpointThatWasRemoved() throws Exception {
    ServicePortRule dns = withProtocol(clusterIp("dns", "10.96.0.10", 53, local(LOCAL_A), remote(REMOTE_B)), Protocol.UDP);
    NftablesBackend b = backend();
    b.apply(table(dns));
    // One flow (fixed source port): conntrack keeps it on the endpoint it was translated to.
    Map<String, Integer> first = out.probe("udp", "10.96.0.10:53", 3, CLIENT, 40053).byEndpoint();
    assertEquals(1, first.size(), first.toString());
    String pinned = first.keySet().iterator().next();

    List<Endpoint> rest = new ArrayList<>();
    for (Endpoint e : dns.endpoints()) rest.add(e.address().equals(pinned) ? notReady(e.ip(), e.port(), e.nodeName()) : e);
    b.apply(table(withEndpoints(dns, rest.toArray(Endpoint[]::new))));

    // The same flow keeps sending: its conntrack entry was deleted, so it is translated anew.
    Map<String, Integer> after = out.probe("udp", "10.96.0.10:53", 3, CLIENT, 40053).byEndpoint();
    assertEquals(1, after.size(), after.toString());
    assertFalse(after.containsKey(pinned), "still on the removed endpoint: " + after);
  }

  @Test
  void aNotReadyEndpointGetsNoNewConnectionsAfterAPartialSync() throws Exception {
    ServicePortRule web = clusterIp("web", "10.96.0.10", 80, local(LOCAL_A), local(LOCAL_B), remote(REMOTE_A));
    NftablesBackend b = backend();
    b.apply(table(web, clusterIp("other", "10.96.0.20", 80, remote(REMOTE_B))));
    assertTrue(fromClient("10.96.0.10:80", 40).byEndpoint().containsKey(LOCAL_B + ":8080"));

    b.apply(table(withEndpoints(web, local(LOCAL_A), notReady(LOCAL_B, 8080, "node-1"), remote(REMOTE_A)),
        clusterIp("other", "10.96.0.20", 80, remote(REMOTE_B))));

    assertFalse(b.lastSync().full());
    assertEquals(1, b.lastSync().servicePorts());
    Tally t = fromClient("10.96.0.10:80", 40);
    assertEquals(Set.of(LOCAL_A + ":8080", REMOTE_A + ":8080"), t.byEndpoint().keySet(), t.toString());
    assertEquals(Set.of(REMOTE_B + ":8080"), fromClient("10.96.0.20:80", 3).byEndpoint().keySet());
  }

  @Test
  void terminatingEndpointsServeOnlyWhenNoneIsReady() throws Exception {
    ServicePortRule web = clusterIp("web", "10.96.0.10", 80, terminating(LOCAL_A, 8080, "node-1"), remote(REMOTE_A));
    NftablesBackend b = backend();
    b.apply(table(web));
    assertEquals(Set.of(REMOTE_A + ":8080"), fromClient("10.96.0.10:80", 10).byEndpoint().keySet());

    b.apply(table(withEndpoints(web, terminating(LOCAL_A, 8080, "node-1"), notReady(REMOTE_A, 8080, "node-2"))));

    assertEquals(Set.of(LOCAL_A + ":8080"), fromClient("10.96.0.10:80", 10).byEndpoint().keySet());
  }

  @Test
  void clientIpAffinityKeepsAClientOnOneEndpointUntilThatEndpointGoesAway() throws Exception {
    ServicePortRule sticky = withAffinity(clusterIp("sticky", "10.96.0.10", 80, local(LOCAL_A), local(LOCAL_B), remote(REMOTE_A)), 600);
    NftablesBackend b = backend();
    b.apply(table(sticky));

    Map<String, Integer> first = fromClient("10.96.0.10:80", 20).byEndpoint();
    assertEquals(1, first.size(), first.toString());
    String pinned = first.keySet().iterator().next();
    // Another client gets its own choice, and keeps it too.
    assertEquals(1, out.probe("tcp", "10.96.0.10:80", 10, "10.0.0.2").byEndpoint().size());

    List<Endpoint> rest = new ArrayList<>();
    for (Endpoint e : sticky.endpoints()) {
      rest.add(e.address().equals(pinned) ? notReady(e.ip(), e.port(), e.nodeName()) : e);
    }
    b.apply(table(withEndpoints(sticky, rest.toArray(Endpoint[]::new))));

    Map<String, Integer> after = fromClient("10.96.0.10:80", 20).byEndpoint();
    assertEquals(1, after.size(), after.toString());
    assertFalse(after.containsKey(pinned), after.toString());
  }

  @Test
  void endpointsListeningOnDifferentPortsAreEachReachedOnTheirOwnPort() throws Exception {
    // A named targetPort that resolves to 8080 on one pod and 9090 on another.
    ServicePortRule named = withNodePort(clusterIp("named", "10.96.0.10", 80, local(LOCAL_A), ready(LOCAL_B, 9090, "node-1")),
        30080, false);
    NftablesBackend b = backend();
    b.apply(table(named, clusterIp("web", "10.96.0.20", 80, local(LOCAL_A))));

    Set<String> both = Set.of(LOCAL_A + ":8080", LOCAL_B + ":9090");
    assertEquals(both, fromClient("10.96.0.10:80", 40).byEndpoint().keySet());
    assertEquals(both, fromClient(NODE_IP + ":30080", 40).byEndpoint().keySet());

    // Back to one port: a partial sync moves the service into the address-only map.
    b.apply(table(withEndpoints(named, local(LOCAL_A), ready(LOCAL_B, 8080, "node-1")), clusterIp("web", "10.96.0.20", 80, local(LOCAL_A))));
    assertFalse(b.lastSync().full());
    assertEquals(Set.of(LOCAL_A + ":8080", LOCAL_B + ":8080"), fromClient("10.96.0.10:80", 40).byEndpoint().keySet());
    assertEquals(Set.of(LOCAL_A + ":8080"), fromClient("10.96.0.20:80", 3).byEndpoint().keySet());
  }

  @Test
  void theListedTableHoldsTheRenderedElements() throws Exception {
    backend().apply(table(
        withNodePort(clusterIp("web", "10.96.0.10", 80, local(LOCAL_A), remote(REMOTE_A)), 30080, false),
        clusterIp("api", "10.96.0.11", 443, remote(REMOTE_B))));

    String listed = node.run("nft", "list", "table", "ip", "svcplane");

    assertTrue(listed.contains("10.96.0.10 . 80 . 0 : 10.244.1.2"), listed);
    assertTrue(listed.contains("10.96.0.10 . 80 . 1 : 10.244.2.2"), listed);
    assertTrue(listed.contains("10.96.0.11 . 443 . 0 : 10.244.2.3"), listed);
    assertTrue(listed.contains("30080 . 1 : 10.244.2.2"), listed);
    assertTrue(listed.contains("chain cluster-tcp-2-to-8080 {"), listed);
    assertTrue(listed.contains("chain cluster-tcp-1-to-8080 {"), listed);
    assertTrue(listed.contains("chain external-tcp-2-to-8080 {"), listed);
  }

  @Test
  void aRestartedProxyReplacesTheTableACrashedOneLeftAndCloseDeletesIt() throws Exception {
    NftablesBackend crashed = new NftablesBackend(new NodeNetwork("node-1", List.of(NODE_IP), "10.244.0.0/16"),
        NftCommand.inNetns(node.name));
    crashed.apply(table(clusterIp("old", "10.96.0.30", 80, remote(REMOTE_A)), clusterIp("web", "10.96.0.10", 80, remote(REMOTE_A))));
    // No close(): the process died.

    NftablesBackend restarted = backend();
    restarted.apply(table(clusterIp("web", "10.96.0.10", 80, local(LOCAL_A))));

    assertEquals(1, tables().size(), tables().toString());
    assertEquals(Set.of(LOCAL_A + ":8080"), fromClient("10.96.0.10:80", 5).byEndpoint().keySet());
    Tally old = fromClient("10.96.0.30:80", 2);
    assertEquals(Map.of(), old.byEndpoint(), "the old service is gone: " + old);

    restarted.close();
    assertEquals(List.of(), tables());
  }

  @Test
  void aFailedTransactionMakesTheNextSyncFull() throws Exception {
    ServicePortRule web = clusterIp("web", "10.96.0.10", 80, local(LOCAL_A), remote(REMOTE_A));
    NftablesBackend b = backend();
    b.apply(table(web));
    // Someone removes an element behind the proxy's back: the next partial delete of it fails.
    node.run("nft", "delete", "element", "ip", "svcplane", "tcp-endpoints", "{ 10.96.0.10 . 80 . 1 }");

    NftException e = assertThrows(NftException.class, () -> b.apply(table(withEndpoints(web, local(LOCAL_A)))));
    assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());

    b.apply(table(withEndpoints(web, local(LOCAL_A))));
    assertTrue(b.lastSync().full());
    assertEquals(Set.of(LOCAL_A + ":8080"), fromClient("10.96.0.10:80", 5).byEndpoint().keySet());
  }

  @Test
  void tablesOfOthersOnTheNodeAreLeftExactlyAsTheyWere() throws Exception {
    // What a host typically has besides the proxy: a firewall and an iptables-nft nat table.
    node.run("nft", "add", "table", "inet", "host-filter");
    node.run("nft", "add", "chain", "inet", "host-filter", "input", "{ type filter hook input priority 0; policy accept; }");
    node.run("nft", "add", "rule", "inet", "host-filter", "input", "tcp", "dport", "22", "accept");
    node.run("nft", "add", "table", "ip", "nat");
    node.run("nft", "add", "chain", "ip", "nat", "POSTROUTING", "{ type nat hook postrouting priority srcnat; policy accept; }");
    node.run("nft", "add", "rule", "ip", "nat", "POSTROUTING", "oifname", "\"no-such0\"", "masquerade");
    try {
      String filterBefore = node.run("nft", "list", "table", "inet", "host-filter");
      String natBefore = node.run("nft", "list", "table", "ip", "nat");
      ServicePortRule web = clusterIp("web", "10.96.0.10", 80, local(LOCAL_A), remote(REMOTE_A));
      // A crashed proxy's table, a restart's full sync, a partial sync, then a clean stop.
      new NftablesBackend(new NodeNetwork("node-1", List.of(NODE_IP), "10.244.0.0/16"), NftCommand.inNetns(node.name))
          .apply(table(web));
      NftablesBackend b = backend();
      b.apply(table(web));
      assertTrue(b.lastSync().full());
      b.apply(table(withEndpoints(web, local(LOCAL_A))));
      assertFalse(b.lastSync().full());
      assertEquals(Set.of(LOCAL_A + ":8080"), fromClient("10.96.0.10:80", 5).byEndpoint().keySet());
      b.close();

      assertEquals(List.of("table inet host-filter", "table ip nat"), tables());
      assertEquals(filterBefore, node.run("nft", "list", "table", "inet", "host-filter"));
      assertEquals(natBefore, node.run("nft", "list", "table", "ip", "nat"));
    } finally {
      node.run("nft", "delete", "table", "inet", "host-filter");
      node.run("nft", "delete", "table", "ip", "nat");
    }
  }

  private static List<String> tables() throws IOException {
    return lab.tables();
  }
}
