package io.svcplane.proxy.nftables;

import static io.svcplane.proxy.nftables.Rules.clusterIp;
import static io.svcplane.proxy.nftables.Rules.notReady;
import static io.svcplane.proxy.nftables.Rules.ready;
import static io.svcplane.proxy.nftables.Rules.terminating;
import static io.svcplane.proxy.nftables.Rules.withAffinity;
import static io.svcplane.proxy.nftables.Rules.withNodePort;
import static io.svcplane.proxy.nftables.Rules.withProtocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RulesetPlannerTest {
  static final NodeNetwork NODE_1 = new NodeNetwork("node-1", List.of("10.0.0.1"), "10.244.0.0/16");

  static final ServicePortRule WEB = withNodePort(clusterIp("web", "10.96.0.10", 80,
      ready("10.244.1.2", 8080, "node-1"), ready("10.244.2.2", 8080, "node-2")), 30080, false);
  static final ServicePortRule DNS = withProtocol(clusterIp("dns", "10.96.0.53", 53,
      ready("10.244.2.3", 5353, "node-2"), notReady("10.244.1.3", 5353, "node-1")), Protocol.UDP);
  static final ServicePortRule LOCAL = withNodePort(clusterIp("local", "10.96.0.20", 80,
      ready("10.244.1.2", 9090, "node-1"), ready("10.244.2.2", 9090, "node-2")), 30090, true);
  static final ServicePortRule STICKY = withAffinity(clusterIp("sticky", "10.96.0.30", 443,
      ready("10.244.1.3", 8443, "node-1"), ready("10.244.2.3", 8443, "node-2")), 600);
  static final ServicePortRule EMPTY = withNodePort(clusterIp("empty", "10.96.0.40", 80), 30100, false);

  static String render(NodeNetwork node, ServicePortRule... rules) throws Exception {
    RecordingNft nft = new RecordingNft();
    new NftablesBackend(node, nft).apply(ForwardingTable.of(List.of(rules)));
    return nft.last();
  }

  static List<String> lines(String s) {
    return new ArrayList<>(Arrays.asList(s.split("\n")));
  }

  @Test
  void rendersTheWholeTableAsOneTransactionThatReplacesAnyOldOne() throws Exception {
    String expected = """
        table ip svcplane {}
        delete table ip svcplane
        table ip svcplane {
        	comment "svcplane node proxy, node node-1: rewritten by every full sync"
        	set cluster-ips {
        		type ipv4_addr
        		size 1024
        		elements = {
        			10.96.0.53,
        			10.96.0.40,
        			10.96.0.20,
        			10.96.0.30,
        			10.96.0.10,
        		}
        	}
        	set nodeport-ips {
        		type ipv4_addr
        		size 1024
        		elements = {
        			10.0.0.1,
        		}
        	}
        	set no-endpoint-nodeports {
        		type inet_proto . inet_service
        		size 1024
        		elements = {
        			tcp . 30100,
        		}
        	}
        	set hairpin {
        		type ipv4_addr . ipv4_addr
        		size 1024
        		elements = {
        			10.244.1.2 . 10.244.1.2,
        			10.244.1.3 . 10.244.1.3,
        		}
        	}
        	map service-ips {
        		type ipv4_addr . inet_proto . inet_service : verdict
        		size 1024
        		elements = {
        			10.96.0.53 . udp . 53 : goto cluster-udp-1-to-5353,
        			10.96.0.20 . tcp . 80 : goto cluster-tcp-2-to-9090,
        			10.96.0.30 . tcp . 443 : goto cluster-tcp-2-to-8443-affinity-600,
        			10.96.0.10 . tcp . 80 : goto cluster-tcp-2-to-8080,
        		}
        	}
        	map service-nodeports {
        		type inet_proto . inet_service : verdict
        		size 1024
        		elements = {
        			tcp . 30090 : goto external-local-tcp-1-to-9090,
        			tcp . 30080 : goto external-tcp-2-to-8080,
        		}
        	}
        	map tcp-endpoints {
        		typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr
        		size 1024
        		elements = {
        			10.96.0.20 . 80 . 0 : 10.244.1.2,
        			10.96.0.20 . 80 . 1 : 10.244.2.2,
        			10.96.0.30 . 443 . 0 : 10.244.1.3,
        			10.96.0.30 . 443 . 1 : 10.244.2.3,
        			10.96.0.10 . 80 . 0 : 10.244.1.2,
        			10.96.0.10 . 80 . 1 : 10.244.2.2,
        		}
        	}
        	map udp-endpoints {
        		typeof ip daddr . udp dport . numgen random mod 1 : ip daddr
        		size 1024
        		elements = {
        			10.96.0.53 . 53 . 0 : 10.244.2.3,
        		}
        	}
        	map sctp-endpoints {
        		typeof ip daddr . sctp dport . numgen random mod 1 : ip daddr
        		size 1024
        	}
        	map tcp-nodeport-endpoints {
        		typeof tcp dport . numgen random mod 1 : ip daddr
        		size 1024
        		elements = {
        			30090 . 0 : 10.244.1.2,
        			30080 . 0 : 10.244.1.2,
        			30080 . 1 : 10.244.2.2,
        		}
        	}
        	map udp-nodeport-endpoints {
        		typeof udp dport . numgen random mod 1 : ip daddr
        		size 1024
        	}
        	map sctp-nodeport-endpoints {
        		typeof sctp dport . numgen random mod 1 : ip daddr
        		size 1024
        	}
        	map tcp-endpoints-mixed-ports {
        		typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport
        		size 1024
        	}
        	map udp-endpoints-mixed-ports {
        		typeof ip daddr . udp dport . numgen random mod 1 : ip daddr . udp dport
        		size 1024
        	}
        	map sctp-endpoints-mixed-ports {
        		typeof ip daddr . sctp dport . numgen random mod 1 : ip daddr . sctp dport
        		size 1024
        	}
        	map tcp-nodeport-endpoints-mixed-ports {
        		typeof tcp dport . numgen random mod 1 : ip daddr . tcp dport
        		size 1024
        	}
        	map udp-nodeport-endpoints-mixed-ports {
        		typeof udp dport . numgen random mod 1 : ip daddr . udp dport
        		size 1024
        	}
        	map sctp-nodeport-endpoints-mixed-ports {
        		typeof sctp dport . numgen random mod 1 : ip daddr . sctp dport
        		size 1024
        	}
        	set tcp-affinity {
        		typeof ip saddr . ip daddr . tcp dport . numgen random mod 1
        		size 1048576
        		flags dynamic,timeout
        		timeout 3h
        	}
        	set udp-affinity {
        		typeof ip saddr . ip daddr . udp dport . numgen random mod 1
        		size 1048576
        		flags dynamic,timeout
        		timeout 3h
        	}
        	set sctp-affinity {
        		typeof ip saddr . ip daddr . sctp dport . numgen random mod 1
        		size 1048576
        		flags dynamic,timeout
        		timeout 3h
        	}
        	chain cluster-tcp-affinity-600-slot-0-to-8443 {
        		update @tcp-affinity { ip saddr . ip daddr . tcp dport . numgen random mod 1 offset 0 timeout 600s }
        		meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 1 offset 0 map @tcp-endpoints : 8443
        	}
        	chain cluster-tcp-affinity-600-slot-1-to-8443 {
        		update @tcp-affinity { ip saddr . ip daddr . tcp dport . numgen random mod 1 offset 1 timeout 600s }
        		meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 1 offset 1 map @tcp-endpoints : 8443
        	}
        	chain cluster-tcp-2-to-8080 {
        		ip saddr != 10.244.0.0/16 meta mark set meta mark or 0x4000
        		meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 2 map @tcp-endpoints : 8080
        	}
        	chain cluster-tcp-2-to-8443-affinity-600 {
        		ip saddr != 10.244.0.0/16 meta mark set meta mark or 0x4000
        		ip saddr . ip daddr . tcp dport . numgen random mod 1 offset 0 @tcp-affinity goto cluster-tcp-affinity-600-slot-0-to-8443
        		ip saddr . ip daddr . tcp dport . numgen random mod 1 offset 1 @tcp-affinity goto cluster-tcp-affinity-600-slot-1-to-8443
        		numgen random mod 2 vmap { 0 : goto cluster-tcp-affinity-600-slot-0-to-8443, 1 : goto cluster-tcp-affinity-600-slot-1-to-8443 }
        	}
        	chain cluster-tcp-2-to-9090 {
        		ip saddr != 10.244.0.0/16 meta mark set meta mark or 0x4000
        		meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 2 map @tcp-endpoints : 9090
        	}
        	chain cluster-udp-1-to-5353 {
        		ip saddr != 10.244.0.0/16 meta mark set meta mark or 0x4000
        		meta l4proto udp dnat ip to ip daddr . udp dport . numgen random mod 1 map @udp-endpoints : 5353
        	}
        	chain external-local-tcp-1-to-9090 {
        		meta l4proto tcp dnat ip to tcp dport . numgen random mod 1 map @tcp-nodeport-endpoints : 9090
        	}
        	chain external-tcp-2-to-8080 {
        		meta mark set meta mark or 0x4000
        		meta l4proto tcp dnat ip to tcp dport . numgen random mod 2 map @tcp-nodeport-endpoints : 8080
        	}
        	chain nat-prerouting {
        		type nat hook prerouting priority dstnat; policy accept;
        		jump services
        	}
        	chain nat-output {
        		type nat hook output priority -100; policy accept;
        		jump services
        	}
        	chain nat-postrouting {
        		type nat hook postrouting priority srcnat; policy accept;
        		meta mark & 0x4000 == 0x4000 meta mark set meta mark & 0xffffbfff masquerade fully-random
        		ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random
        	}
        	chain filter-prerouting {
        		type filter hook prerouting priority -90; policy accept;
        		ct state new jump endpoint-check
        	}
        	chain filter-output {
        		type filter hook output priority -90; policy accept;
        		ct state new jump endpoint-check
        	}
        	chain services {
        		ip daddr . meta l4proto . th dport vmap @service-ips
        		ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
        	}
        	chain endpoint-check {
        		ip daddr @cluster-ips reject
        		ip daddr @nodeport-ips meta l4proto . th dport @no-endpoint-nodeports reject
        	}
        }
        """;
    assertEquals(expected, render(NODE_1, WEB, DNS, LOCAL, STICKY, EMPTY));
  }

  @Test
  void withoutAClusterCidrAllClusterIpTrafficIsMasqueraded() throws Exception {
    String s = render(new NodeNetwork("node-1", List.of("10.0.0.1"), ""), WEB);
    List<String> l = lines(s);
    int chain = l.indexOf("\tchain cluster-tcp-2-to-8080 {");
    assertEquals("\t\tmeta mark set meta mark or 0x4000", l.get(chain + 1));
  }

  @Test
  void terminatingEndpointsAreUsedOnlyWhenNoneIsReady() throws Exception {
    ServicePortRule mixed = clusterIp("web", "10.96.0.10", 80, terminating("10.244.1.2", 80, "node-1"), ready("10.244.2.2", 80, "node-2"));
    assertTrue(render(NODE_1, mixed).contains("\t\t\t10.96.0.10 . 80 . 0 : 10.244.2.2,\n\t\t}"));

    ServicePortRule allTerminating = clusterIp("web", "10.96.0.10", 80, terminating("10.244.1.2", 80, "node-1"),
        notReady("10.244.2.2", 80, "node-2"));
    assertTrue(render(NODE_1, allTerminating).contains("\t\t\t10.96.0.10 . 80 . 0 : 10.244.1.2,\n\t\t}"));
  }

  @Test
  void internalTrafficPolicyLocalSendsClusterIpTrafficOnlyToThisNodesEndpoints() throws Exception {
    ServicePortRule r = new ServicePortRule(WEB.name(), WEB.protocol(), WEB.clusterIp(), WEB.port(), 0, false, true, 0, WEB.endpoints());
    String s = render(NODE_1, r);
    assertTrue(s.contains("10.96.0.10 . 80 . 0 : 10.244.1.2,"), s);
    assertFalse(s.contains("10.96.0.10 . 80 . 1 :"), s);
    assertTrue(s.contains("goto cluster-tcp-1-to-8080,"), s);
  }

  @Test
  void serviceChainsAreSharedSoTheirNumberDependsOnEndpointCountsNotOnServices() throws Exception {
    List<ServicePortRule> rules = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      rules.add(clusterIp("s" + i, "10.96." + (i / 250) + "." + (i % 250 + 1), 80,
          ready("10.244.2." + (i % 200), 80, "node-2"), ready("10.244.3." + (i % 200), 80, "node-2")));
    }
    String s = render(NODE_1, rules.toArray(ServicePortRule[]::new));
    long chains = lines(s).stream().filter(l -> l.startsWith("\tchain ")).count();
    assertEquals(1 + RulesetPlanner.baseChains().size(), chains);
    assertEquals(1000, lines(s).stream().filter(l -> l.matches("\t\t\t10\\.96\\..* : 10\\.244\\..*")).count());
  }

  @Test
  void endpointsListeningOnDifferentPortsGetTheirPortFromTheMapInsteadOfTheChain() throws Exception {
    ServicePortRule named = withNodePort(clusterIp("named", "10.96.0.10", 80,
        ready("10.244.1.2", 8080, "node-1"), ready("10.244.2.2", 9090, "node-2")), 30080, false);
    String s = render(NODE_1, named, DNS);
    List<String> l = lines(s);

    assertTrue(s.contains("\t\t\t10.96.0.10 . tcp . 80 : goto cluster-tcp-2-to-mixed,\n"), s);
    assertTrue(s.contains("\t\t\ttcp . 30080 : goto external-tcp-2-to-mixed,\n"), s);
    int map = l.indexOf("\tmap tcp-endpoints-mixed-ports {");
    assertEquals(List.of(
        "\t\ttypeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport",
        "\t\tsize 1024",
        "\t\telements = {",
        "\t\t\t10.96.0.10 . 80 . 0 : 10.244.1.2 . 8080,",
        "\t\t\t10.96.0.10 . 80 . 1 : 10.244.2.2 . 9090,"), l.subList(map + 1, map + 6));
    assertTrue(s.contains("\t\t\t30080 . 1 : 10.244.2.2 . 9090,\n"), s);
    int chain = l.indexOf("\tchain cluster-tcp-2-to-mixed {");
    assertEquals("\t\tmeta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 2 map @tcp-endpoints-mixed-ports",
        l.get(chain + 2));
    // The other service, on one port, still uses the address-only map.
    assertTrue(s.contains("\t\t\t10.96.0.53 . 53 . 0 : 10.244.2.3,\n"), s);
    assertFalse(s.contains("\tmap tcp-endpoints {\n\t\ttypeof ip daddr . tcp dport . numgen random mod 1 : ip daddr\n\t\tsize 1024\n\t\telements"), s);
  }

  @Test
  void hairpinMasqueradeCoversOnlyEndpointsOnThisNode() throws Exception {
    String s = render(NODE_1, WEB);
    assertTrue(s.contains("\t\t\t10.244.1.2 . 10.244.1.2,\n"), s);
    assertFalse(s.contains("10.244.2.2 . 10.244.2.2"), s);
  }

  @Test
  void aNodeAddressOrClusterCidrNftCannotTakeIsRefusedUpFront() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new NodeNetwork("node-1", List.of("fd00::1"), ""));
    assertEquals("node address: Invalid value: \"fd00::1\": the nftables backend needs an IPv4 address such as 10.0.0.1",
        e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new NodeNetwork("node-1", List.of("10.0.0.1"), "10.244.0.0"));
    assertEquals("cluster CIDR: Invalid value: \"10.244.0.0\": must be an IPv4 CIDR such as 10.244.0.0/16", e.getMessage());
  }
}
