package io.svcplane.apiserver.write;

import io.svcplane.core.allocation.ClusterIpAllocator;
import io.svcplane.core.allocation.NodePortAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * The writer's ClusterIP and NodePort allocators with an undo log for the write being decided:
 * a write that fails halfway, or a dry run, gives back exactly what it took.
 */
final class Allocations {
  final ClusterIpAllocator ips;
  final NodePortAllocator ports;
  private final List<Runnable> undo = new ArrayList<>();

  Allocations(ClusterIpAllocator ips, NodePortAllocator ports) {
    this.ips = ips;
    this.ports = ports;
  }

  ClusterIpAllocator.Claim claimIp(String ip) {
    ClusterIpAllocator.Claim c = ips.claim(ip);
    if (c == ClusterIpAllocator.Claim.CLAIMED) undo.add(() -> ips.release(ip));
    return c;
  }

  String allocateIp() {
    String ip = ips.allocateNext().orElse(null);
    if (ip != null) undo.add(() -> ips.release(ip));
    return ip;
  }

  void releaseIp(String ip) {
    if (ips.isTaken(ip)) {
      ips.release(ip);
      undo.add(() -> ips.claim(ip));
    }
  }

  NodePortAllocator.Claim claimPort(int port) {
    NodePortAllocator.Claim c = ports.claim(port);
    if (c == NodePortAllocator.Claim.CLAIMED) undo.add(() -> ports.release(port));
    return c;
  }

  int allocatePort() {
    var p = ports.allocateNext();
    if (p.isEmpty()) return 0;
    int port = p.getAsInt();
    undo.add(() -> ports.release(port));
    return port;
  }

  void releasePort(int port) {
    if (ports.isTaken(port)) {
      ports.release(port);
      undo.add(() -> ports.claim(port));
    }
  }

  /** Keeps what the current write took and gave back. */
  void commit() {
    undo.clear();
  }

  /** Gives back what the current write took and takes back what it gave. */
  void rollback() {
    for (int i = undo.size() - 1; i >= 0; i--) undo.get(i).run();
    undo.clear();
  }
}
