package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.testkit.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/svcctl as a user runs it: a real process, started from another directory, against a real
 * apiserver. Runs after packaging (failsafe), since the launcher needs the jar.
 */
@ExtendWith({KafkaExtension.class, ApiServerExtension.class})
class SvcctlProcessIT {
  private static final Path LAUNCHER = Path.of("..", "bin", "svcctl").toAbsolutePath().normalize();
  private static final Path ARCHIVE = Path.of("target", "svcctl.jsa").toAbsolutePath();

  record Run(int code, String out, String err) {}

  private static Run svcctl(Path dir, String server, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().put("SVCPLANE_SERVER", server);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("bin/svcctl " + String.join(" ", args) + " did not finish");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void binSvcctlWorksFromAnyDirectoryAndRecordsItsClassArchive(TestApiServer api, @TempDir Path dir) throws Exception {
    Files.copy(Path.of("..", "examples", "svc-nginx.yaml"), dir.resolve("svc.yaml"));
    String server = api.address();

    Run ns = svcctl(dir, server, "create", "namespace", "process");
    assertEquals(new Run(0, "namespace/process created\n", ""), ns);
    assertEquals(new Run(0, "service/svc-nginx created\n", ""), svcctl(dir, server, "apply", "-f", "svc.yaml", "-n", "process"));

    // Twice: the first run after a build records the AppCDS archive, the second uses it; same output.
    Run first = svcctl(dir, server, "get", "svc", "-n", "process");
    Run second = svcctl(dir, server, "get", "svc", "-n", "process");
    for (Run r : List.of(first, second)) {
      assertEquals(0, r.code(), r.toString());
      assertEquals("", r.err(), r.toString());
      List<String> lines = r.out().lines().toList();
      assertEquals("NAME        TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE", lines.get(0));
      assertTrue(lines.get(1).matches("svc-nginx   NodePort   10\\.96\\.\\S+ +<none>        80:3\\d{4}/TCP   \\d+s"), r.out());
      assertEquals(2, lines.size(), r.out());
    }
    assertTrue(Files.isRegularFile(ARCHIVE), "the first run wrote " + ARCHIVE);
    assertTrue(Files.getLastModifiedTime(ARCHIVE).compareTo(
        Files.getLastModifiedTime(Path.of("target", "svcctl-0.1.0-SNAPSHOT.jar"))) > 0, "the archive is newer than the jar");

    assertEquals(new Run(1, "", "Error from server (NotFound): services \"nope\" not found\n"),
        svcctl(dir, server, "get", "svc", "nope", "-n", "process"));
    int nobody = FreePorts.loopback();
    Run refused = svcctl(dir, "127.0.0.1:" + nobody, "get", "svc");
    assertEquals(1, refused.code());
    assertTrue(refused.err().startsWith("The connection to the server 127.0.0.1:" + nobody + " was refused"), refused.err());
    assertEquals(new Run(1, "", "error: the path \"missing.yaml\" does not exist\n"), svcctl(dir, server, "apply", "-f", "missing.yaml"));
  }
}
