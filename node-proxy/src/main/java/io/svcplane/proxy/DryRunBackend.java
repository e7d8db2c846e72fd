package io.svcplane.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.svcplane.core.forwarding.ForwardingTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Forwards nothing: writes the desired forwarding table as JSON, replacing the file atomically on
 * every apply, so a person or a test can see what the proxy would program.
 */
public final class DryRunBackend implements ForwardingBackend {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path file;
  private final String node;

  public DryRunBackend(Path file, String node) {
    this.file = file;
    this.node = node;
  }

  @Override
  public String mode() {
    return "dry-run";
  }

  @Override
  public void apply(ForwardingTable desired) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      JSON.writeValue(tmp.toFile(), toJson(desired, node));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The JSON shape: {"node": ..., "rules": [ServicePortRule...]} in rule order. */
  static Map<String, Object> toJson(ForwardingTable table, String node) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("node", node);
    m.put("rules", table.rules().values());
    return m;
  }

  @Override
  public void close() {}
}
