package io.svcplane.core.allocation;

import io.svcplane.api.v1.Service;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.core.validation.NameRules;
import java.util.BitSet;
import java.util.Optional;

/**
 * Which ClusterIPs of the service CIDR are taken. Its state is derived from a {@link ClusterImage}
 * alone ({@link #fromImage}): the ClusterIPs of the image's Services are the taken ones; there is
 * no second store. The apiserver's single writer then claims and releases addresses as it writes
 * the events that carry them, so the allocator always equals the fold of the log plus the writes
 * not yet folded. Allocation is next-fit from a moving cursor, so a just-released address is not
 * the next one handed out. Not thread-safe.
 */
public final class ClusterIpAllocator {
  /** Outcome of asking for a specific address. */
  public enum Claim { CLAIMED, TAKEN, OUTSIDE_RANGE }

  private final ServiceCidr cidr;
  private final BitSet used;
  private int cursor = 1;
  private int usedCount;

  public ClusterIpAllocator(ServiceCidr cidr) {
    this.cidr = cidr;
    this.used = new BitSet(cidr.size());
  }

  /** The allocator whose taken addresses are the ClusterIPs of every Service in the image. */
  public static ClusterIpAllocator fromImage(ServiceCidr cidr, ClusterImage image) {
    ClusterIpAllocator a = new ClusterIpAllocator(cidr);
    for (NamespaceImage ns : image.namespaces().values()) {
      for (Service svc : ns.services().values()) a.claim(svc.getSpec().getClusterIp());
    }
    return a;
  }

  public ServiceCidr cidr() {
    return cidr;
  }

  /** Takes a specific address; "" and "None" are no address and yield OUTSIDE_RANGE. */
  public Claim claim(String ip) {
    int off = offset(ip);
    if (off < 0 || cidr.isReserved(off)) return Claim.OUTSIDE_RANGE;
    if (used.get(off)) return Claim.TAKEN;
    used.set(off);
    usedCount++;
    return Claim.CLAIMED;
  }

  /** The next free address, taken; empty when the range is full. */
  public Optional<String> allocateNext() {
    int size = cidr.size();
    int usable = size - 2;
    if (usedCount >= usable) return Optional.empty();
    for (int i = 0; i < usable; i++) {
      int off = cursor;
      cursor = cursor + 1 >= size - 1 ? 1 : cursor + 1;
      if (!used.get(off)) {
        used.set(off);
        usedCount++;
        return Optional.of(cidr.address(off));
      }
    }
    return Optional.empty();
  }

  /** Gives an address back; addresses outside the range or free already are ignored. */
  public void release(String ip) {
    int off = offset(ip);
    if (off >= 0 && used.get(off)) {
      used.clear(off);
      usedCount--;
    }
  }

  public boolean isTaken(String ip) {
    int off = offset(ip);
    return off >= 0 && used.get(off);
  }

  public boolean inRange(String ip) {
    int off = offset(ip);
    return off >= 0 && !cidr.isReserved(off);
  }

  public int free() {
    return cidr.size() - 2 - usedCount;
  }

  private int offset(String ip) {
    if (!NameRules.isIpv4(ip)) return -1;
    return cidr.offsetOf(ServiceCidr.ipInt(ip));
  }
}
