package io.svcplane.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DryRunBackendTest {
  @Test
  void dryRunWritesTheDesiredTableAsJsonAndReplacesItOnEveryApply(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("table.json");
    var backend = new DryRunBackend(file, "node-1");
    var rule = new ServicePortRule(new ServicePortName("default", "web", ""), Protocol.TCP, "127.96.0.10", 80, 30080,
        false, false, 0, List.of(new Endpoint("127.244.0.2", 8080, "node-1", true, true, false)));
    backend.apply(ForwardingTable.of(List.of(rule)));
    JsonNode json = new ObjectMapper().readTree(file.toFile());
    assertEquals("node-1", json.get("node").asText());
    assertEquals("127.96.0.10", json.get("rules").get(0).get("clusterIp").asText());
    assertEquals("127.244.0.2", json.get("rules").get(0).get("endpoints").get(0).get("ip").asText());
    backend.apply(ForwardingTable.EMPTY);
    assertEquals(0, new ObjectMapper().readTree(file.toFile()).get("rules").size());
    try (var files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
    }
  }

  @Test
  void nftablesModeFailsClearlyWhenItsBackendIsNotBuiltIn() {
    if (classPresent(Backends.NFTABLES_CLASS)) return;
    var e = assertThrows(IllegalStateException.class, () -> Backends.nftables("node-1", "127.0.1.1"));
    assertTrue(e.getMessage().contains("--mode nftables"), e.getMessage());
  }

  private static boolean classPresent(String name) {
    try {
      Class.forName(name);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
