package io.svcplane.core.allocation;

import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.NamespaceImage;
import java.util.BitSet;
import java.util.OptionalInt;

/**
 * Which NodePorts of the range are taken, derived like {@link ClusterIpAllocator} from a
 * {@link ClusterImage} alone: the nodePorts of the image's Services. A port number is taken for
 * every protocol (Kubernetes' allocator is per number; one service may use the same number for
 * TCP and UDP). Next-fit from a moving cursor. Not thread-safe.
 */
public final class NodePortAllocator {
  public enum Claim { CLAIMED, TAKEN, OUTSIDE_RANGE }

  private final NodePortRange range;
  private final BitSet used;
  private int cursor;
  private int usedCount;

  public NodePortAllocator(NodePortRange range) {
    this.range = range;
    this.used = new BitSet(range.size());
  }

  public static NodePortAllocator fromImage(NodePortRange range, ClusterImage image) {
    NodePortAllocator a = new NodePortAllocator(range);
    for (NamespaceImage ns : image.namespaces().values()) {
      for (Service svc : ns.services().values()) {
        for (ServicePort p : svc.getSpec().getPortsList()) {
          if (p.getNodePort() != 0) a.claim(p.getNodePort());
        }
      }
    }
    return a;
  }

  public NodePortRange range() {
    return range;
  }

  public Claim claim(int port) {
    if (!range.contains(port)) return Claim.OUTSIDE_RANGE;
    int off = port - range.first();
    if (used.get(off)) return Claim.TAKEN;
    used.set(off);
    usedCount++;
    return Claim.CLAIMED;
  }

  public OptionalInt allocateNext() {
    int size = range.size();
    if (usedCount >= size) return OptionalInt.empty();
    for (int i = 0; i < size; i++) {
      int off = cursor;
      cursor = (cursor + 1) % size;
      if (!used.get(off)) {
        used.set(off);
        usedCount++;
        return OptionalInt.of(range.first() + off);
      }
    }
    return OptionalInt.empty();
  }

  public void release(int port) {
    if (!range.contains(port)) return;
    int off = port - range.first();
    if (used.get(off)) {
      used.clear(off);
      usedCount--;
    }
  }

  public boolean isTaken(int port) {
    return range.contains(port) && used.get(port - range.first());
  }

  public int free() {
    return range.size() - usedCount;
  }
}
