package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerAddressTest {
  @Test
  void flagThenEnvironmentThenDefault() {
    assertEquals("10.0.0.1:7000", ServerAddress.resolve("10.0.0.1:7000", Map.of("SVCPLANE_SERVER", "h:1")).toString());
    assertEquals("h:1", ServerAddress.resolve(null, Map.of("SVCPLANE_SERVER", "h:1")).toString());
    assertEquals("127.0.0.1:6443", ServerAddress.resolve(null, Map.of()).toString());
  }

  @Test
  void acceptsUrlsIpv6AndAMissingPort() {
    assertEquals(new ServerAddress("localhost", 6443), ServerAddress.parse("https://localhost:6443/", "--server"));
    assertEquals(new ServerAddress("::1", 7000), ServerAddress.parse("[::1]:7000", "--server"));
    assertEquals("[::1]:7000", new ServerAddress("::1", 7000).toString());
    assertEquals(new ServerAddress("apiserver", 6443), ServerAddress.parse("apiserver", "--server"));
  }

  @Test
  void rejectsBadPortsNamingWhereTheValueCameFrom() {
    var e = assertThrows(CliException.class, () -> ServerAddress.resolve(null, Map.of("SVCPLANE_SERVER", "h:99999")));
    assertEquals("error: invalid server address \"h:99999\" in SVCPLANE_SERVER: expected HOST:PORT, e.g. 127.0.0.1:6443", e.getMessage());
  }
}
