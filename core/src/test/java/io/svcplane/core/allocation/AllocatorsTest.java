package io.svcplane.core.allocation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AllocatorsTest {

  @Test
  void slash29HandsOutSixAddressesSkippingNetworkAndBroadcast() {
    ClusterIpAllocator a = new ClusterIpAllocator(ServiceCidr.parse("10.0.0.0/29"));
    Set<String> got = new HashSet<>();
    for (int i = 0; i < 6; i++) got.add(a.allocateNext().orElseThrow());
    assertEquals(Set.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"), got);
    assertTrue(a.allocateNext().isEmpty());
    assertEquals(ClusterIpAllocator.Claim.OUTSIDE_RANGE, a.claim("10.0.0.0"));
    assertEquals(ClusterIpAllocator.Claim.OUTSIDE_RANGE, a.claim("10.0.0.7"));
    assertEquals(ClusterIpAllocator.Claim.OUTSIDE_RANGE, a.claim("10.0.1.1"));
  }

  @Test
  void releasedAddressCanBeClaimedAgainButIsNotTheNextOneHandedOut() {
    ClusterIpAllocator a = new ClusterIpAllocator(ServiceCidr.parse("10.96.0.0/16"));
    String first = a.allocateNext().orElseThrow();
    assertEquals(ClusterIpAllocator.Claim.TAKEN, a.claim(first));
    a.release(first);
    assertFalse(first.equals(a.allocateNext().orElseThrow()));
    assertEquals(ClusterIpAllocator.Claim.CLAIMED, a.claim(first));
  }

  @Test
  void allocatorsAreDerivedFromTheImage() {
    Service svc = Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web"))
        .setSpec(ServiceSpec.newBuilder().setType("NodePort").setClusterIp("10.96.0.9")
            .addPorts(ServicePort.newBuilder().setPort(80).setNodePort(30080))).build();
    ClusterDelta d = new ClusterDelta(ClusterImage.EMPTY);
    d.replay(LogTopic.RESOURCES, 0, 0, ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(Kinds.wrap(svc)).build());
    ClusterImage image = d.apply();
    ClusterIpAllocator ips = ClusterIpAllocator.fromImage(ServiceCidr.parse("10.96.0.0/16"), image);
    NodePortAllocator ports = NodePortAllocator.fromImage(NodePortRange.parse("30000-32767"), image);
    assertTrue(ips.isTaken("10.96.0.9"));
    assertEquals(65534 - 1, ips.free());
    assertEquals(NodePortAllocator.Claim.TAKEN, ports.claim(30080));
    assertEquals(NodePortAllocator.Claim.OUTSIDE_RANGE, ports.claim(80));
  }

  @Test
  void nodePortRangeRunsOut() {
    NodePortAllocator a = new NodePortAllocator(NodePortRange.parse("30000-30002"));
    Set<Integer> got = new HashSet<>();
    for (int i = 0; i < 3; i++) got.add(a.allocateNext().getAsInt());
    assertEquals(Set.of(30000, 30001, 30002), got);
    assertTrue(a.allocateNext().isEmpty());
  }

  @Test
  void badRangesAreRefusedWithTheirValue() {
    assertThrows(IllegalArgumentException.class, () -> ServiceCidr.parse("10.96.0.1/16"));
    assertThrows(IllegalArgumentException.class, () -> ServiceCidr.parse("10.96.0.0"));
    assertThrows(IllegalArgumentException.class, () -> NodePortRange.parse("32767-30000"));
  }
}
