package io.svcplane.proxy.nftables;

import static io.svcplane.proxy.nftables.Rules.ready;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.svcplane.core.forwarding.Endpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlotAssignmentTest {
  static final Endpoint A = ready("10.244.1.1", 80, "n1");
  static final Endpoint B = ready("10.244.1.2", 80, "n1");
  static final Endpoint C = ready("10.244.1.3", 80, "n1");
  static final Endpoint D = ready("10.244.1.4", 80, "n1");

  @Test
  void withoutHistoryEndpointsTakeSlotsInOrder() {
    assertEquals(List.of(A, B, C), SlotAssignment.assign(List.of(), List.of(A, B, C)));
  }

  @Test
  void aNewEndpointTakesANewSlotAndNobodyMoves() {
    assertEquals(List.of(B, C, A), SlotAssignment.assign(List.of(B, C), List.of(A, B, C)));
  }

  @Test
  void aRemovedEndpointsSlotGoesToTheOneThatFellOffTheEnd() {
    assertEquals(List.of(A, D, C), SlotAssignment.assign(List.of(A, B, C, D), List.of(A, C, D)));
  }

  @Test
  void anEndpointKeepsItsSlotWhenOnlyItsConditionsChange() {
    Endpoint terminatingB = new Endpoint(B.ip(), B.port(), "n1", false, true, true);
    assertEquals(List.of(C, terminatingB), SlotAssignment.assign(List.of(C, B), List.of(terminatingB, C)));
  }

  @Test
  void aReplacedEndpointTakesTheFreedSlot() {
    assertEquals(List.of(A, D, C), SlotAssignment.assign(List.of(A, B, C), List.of(A, C, D)));
  }

  @Test
  void noUsableEndpointsMeansNoSlots() {
    assertEquals(List.of(), SlotAssignment.assign(List.of(A, B), List.of()));
  }
}
