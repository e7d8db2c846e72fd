package io.svcplane.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FreePortsTest {
  @Test
  void freePortCanBeBound() throws Exception {
    int port = FreePorts.loopback();
    assertTrue(port > 0 && port < 65536);
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      assertTrue(s.isBound());
    }
  }
}
