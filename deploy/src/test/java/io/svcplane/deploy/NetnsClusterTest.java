package io.svcplane.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs {@code deploy/netns/test.sh}: a three-node cluster in network namespaces (broker,
 * apiserver and endpoint controller from the built jars, one node proxy in nftables mode per
 * node, pods as servers), real packets from a client namespace, everything torn down afterwards.
 * Each TAP line of the script becomes a test here. Needs root, iproute2, nftables, python3, curl.
 * The script's output and the cluster's logs stay in {@code deploy/target/netns/}.
 */
class NetnsClusterTest {
  private static final Pattern TAP = Pattern.compile("^(ok|not ok) (\\d+) - (.*)$");
  private static final long TIMEOUT_MINUTES = 15;

  @TestFactory
  List<DynamicTest> aMultiNodeClusterInNetworkNamespacesForwardsThroughNftables() throws Exception {
    Path module = Path.of("").toAbsolutePath();
    Path script = module.resolve("netns/test.sh");
    assertTrue(Files.isRegularFile(script), "missing " + script);
    Path work = module.resolve("target/netns");
    Files.createDirectories(work);
    Path out = work.resolve("test.tap");
    Path err = work.resolve("test.log");
    Path state = work.resolve("state");
    deleteRecursively(state);

    ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("STATE_DIR", state.toString());
    pb.environment().put("KEEP_LOGS", "1");
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      // SIGTERM: the script's trap tears the cluster down; then make sure nothing is left running.
      p.destroy();
      if (!p.waitFor(60, TimeUnit.SECONDS)) p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("deploy/netns/test.sh did not finish within " + TIMEOUT_MINUTES + " minutes; see " + err);
    }
    int exit = p.exitValue();
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);

    List<DynamicTest> tests = new ArrayList<>();
    int planned = lines.stream().filter(l -> l.matches("1\\.\\.\\d+")).mapToInt(l -> Integer.parseInt(l.substring(3))).findFirst().orElse(-1);
    List<String> results = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = TAP.matcher(lines.get(i));
      if (!m.matches()) continue;
      StringBuilder diag = new StringBuilder();
      for (int j = i + 1; j < lines.size() && lines.get(j).startsWith("# "); j++) diag.append(lines.get(j)).append('\n');
      boolean ok = m.group(1).equals("ok");
      results.add(m.group(3));
      String detail = diag.toString();
      tests.add(DynamicTest.dynamicTest(m.group(3), () -> assertTrue(ok, m.group(3) + "\n" + detail)));
    }
    String tail = tail(err, 40);
    tests.add(DynamicTest.dynamicTest("the cluster came up, every check ran, and it was torn down", () -> {
      assertEquals(planned, results.size(), "checks run of the planned " + planned + "; script log:\n" + tail);
      assertTrue(planned > 0, "no TAP plan; script log:\n" + tail);
      assertEquals(0, exit, "exit status of deploy/netns/test.sh; script log:\n" + tail);
      assertTrue(tail.contains("] down"), "the script tore the cluster down:\n" + tail);
    }));
    return tests;
  }

  private static String tail(Path file, int n) throws IOException {
    List<String> l = Files.readAllLines(file, StandardCharsets.UTF_8);
    return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
    }
  }
}
