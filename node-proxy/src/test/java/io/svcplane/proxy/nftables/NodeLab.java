package io.svcplane.proxy.nftables;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One node in network namespaces, created here and deleted by {@link #close} (also when building
 * it fails half way):
 *
 * <pre>
 *  out: client 10.0.0.100, "node-2" 10.0.0.2 with its pods 10.244.2.2, 10.244.2.3
 *   | veth 10.0.0.0/24
 *  node (node-1, 10.0.0.1; holds the table; forwards)
 *   | veth 10.244.1.1/24
 *  pods: node-1's pods 10.244.1.2, 10.244.1.3
 * </pre>
 *
 * The client reaches ClusterIPs through node-1 (route 10.96.0.0/16 via 10.0.0.1), as traffic from
 * outside the cluster would. Every pod serves TCP and UDP on port 8080 (10.244.1.3 on 9090 too) and
 * answers with its own address and the client address it saw.
 */
final class NodeLab implements AutoCloseable {
  static final String LOCAL_A = "10.244.1.2";
  static final String LOCAL_B = "10.244.1.3";
  static final String REMOTE_A = "10.244.2.2";
  static final String REMOTE_B = "10.244.2.3";
  static final String CLIENT = "10.0.0.100";
  static final String NODE_IP = "10.0.0.1";
  static final String CLUSTER_CIDR = "10.244.0.0/16";

  final Netns node;
  final Netns pods;
  final Netns out;
  private final List<Netns> all;

  private NodeLab(Netns node, Netns pods, Netns out) {
    this.node = node;
    this.pods = pods;
    this.out = out;
    this.all = List.of(node, pods, out);
  }

  static NodeLab create() throws IOException {
    if (!"0".equals(Netns.sh("id", "-u").strip())) {
      throw new IllegalStateException("the nftables kernel tests need root (network namespaces, nft)");
    }
    List<Netns> made = new ArrayList<>();
    try {
      made.add(Netns.create("node"));
      made.add(Netns.create("pods"));
      made.add(Netns.create("out"));
      NodeLab lab = new NodeLab(made.get(0), made.get(1), made.get(2));
      lab.wire();
      return lab;
    } catch (IOException | RuntimeException e) {
      made.forEach(Netns::close);
      throw e;
    }
  }

  private void wire() throws IOException {
    Netns.sh("ip", "-n", node.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", out.name);
    Netns.sh("ip", "-n", node.name, "link", "add", "pods0", "type", "veth", "peer", "name", "eth0", "netns", pods.name);
    node.run("ip", "addr", "add", NODE_IP + "/24", "dev", "eth0");
    node.run("ip", "addr", "add", "10.244.1.1/24", "dev", "pods0");
    node.run("ip", "link", "set", "eth0", "up");
    node.run("ip", "link", "set", "pods0", "up");
    node.run("ip", "route", "add", "10.244.2.0/24", "via", "10.0.0.2");
    node.run("sysctl", "-qw", "net.ipv4.ip_forward=1");
    out.run("ip", "addr", "add", CLIENT + "/24", "dev", "eth0");
    out.run("ip", "addr", "add", "10.0.0.2/24", "dev", "eth0");
    out.run("ip", "addr", "add", REMOTE_A + "/32", "dev", "eth0");
    out.run("ip", "addr", "add", REMOTE_B + "/32", "dev", "eth0");
    out.run("ip", "link", "set", "eth0", "up");
    out.run("ip", "route", "add", "10.96.0.0/16", "via", NODE_IP);
    out.run("ip", "route", "add", "10.244.1.0/24", "via", NODE_IP);
    pods.run("ip", "addr", "add", LOCAL_A + "/24", "dev", "eth0");
    pods.run("ip", "addr", "add", LOCAL_B + "/24", "dev", "eth0");
    pods.run("ip", "link", "set", "eth0", "up");
    pods.run("ip", "route", "add", "default", "via", "10.244.1.1");
    for (Netns ns : all) ns.run("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0");
    pods.serve(LOCAL_A + ":8080", LOCAL_B + ":8080", LOCAL_B + ":9090");
    out.serve(REMOTE_A + ":8080", REMOTE_B + ":8080");
  }

  /** {@code count} new connections from the client (10.0.0.100) to {@code target}. */
  Tally fromClient(String target, int count) throws IOException {
    return out.probe("tcp", target, count, CLIENT);
  }

  /** The tables in the node's namespace, as {@code nft list tables} prints them. */
  List<String> tables() throws IOException {
    List<String> t = new ArrayList<>();
    for (String line : node.run("nft", "list", "tables").split("\n")) {
      if (!line.isBlank()) t.add(line.strip());
    }
    return t;
  }

  @Override
  public void close() {
    all.forEach(Netns::close);
  }
}
