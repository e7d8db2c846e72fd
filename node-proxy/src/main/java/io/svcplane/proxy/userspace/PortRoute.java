package io.svcplane.proxy.userspace;

/**
 * The live endpoint choice of one service port, shared between its actor (which swaps in a new
 * picker when endpoints change) and its listeners' connection handlers (which read it on every
 * new connection). Established connections keep the endpoint they got.
 */
final class PortRoute {
  private volatile EndpointPicker picker;

  PortRoute(EndpointPicker picker) {
    this.picker = picker;
  }

  EndpointPicker picker() {
    return picker;
  }

  void set(EndpointPicker p) {
    picker = p;
  }
}
