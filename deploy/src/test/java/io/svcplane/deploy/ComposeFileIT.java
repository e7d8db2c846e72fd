package io.svcplane.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.svcplane.core.manifest.Manifests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * deploy/docker-compose.yml and its Dockerfile, checked without a Docker engine: Docker Compose
 * itself accepts the file, and every Java command in it (service commands and health checks,
 * after the image's ENTRYPOINT) names a main class that is in the jars the Dockerfile copies and
 * flags that the main's own parser accepts. Runs after package: the jars must exist.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComposeFileIT {
  private static final String IMAGE = "svcplane:dev";

  private Path repo;
  private Path compose;
  private JsonNode resolved;
  private Dockerfile dockerfile;

  /** What the test needs of the Dockerfile: the ENTRYPOINT and where each copied file comes from. */
  record Dockerfile(List<String> entrypoint, List<Path> jars, List<Path> libDirs) {
    static Dockerfile parse(Path repo, Path file) throws IOException {
      List<String> entry = null;
      List<Path> jars = new ArrayList<>();
      List<Path> libs = new ArrayList<>();
      // Join continuation lines, then read COPY and ENTRYPOINT instructions.
      String text = Files.readString(file).replace("\\\n", " ");
      for (String line : text.split("\n")) {
        String l = line.strip();
        if (l.startsWith("COPY ")) {
          String[] parts = l.substring(5).trim().split("\\s+");
          for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i].endsWith(".jar")) jars.add(repo.resolve(parts[i]));
            else libs.add(repo.resolve(parts[i]));
          }
        } else if (l.startsWith("ENTRYPOINT ")) {
          entry = new ArrayList<>();
          for (JsonNode n : new ObjectMapper().readTree(l.substring("ENTRYPOINT ".length()))) entry.add(n.asText());
        }
      }
      if (entry == null) throw new AssertionError(file + " has no exec-form ENTRYPOINT");
      return new Dockerfile(entry, jars, libs);
    }
  }

  @BeforeAll
  void composeConfig() throws IOException {
    repo = LocalCluster.repoRoot();
    compose = repo.resolve("deploy/docker-compose.yml");
    // docker-compose resolves anchors, merges and ${VAR:-default}: the test reads what Docker would run.
    String out = run(List.of("docker-compose", "-f", compose.toString(), "config"));
    resolved = new ObjectMapper(new YAMLFactory()).readTree(out);
    dockerfile = Dockerfile.parse(repo, repo.resolve("deploy/docker/Dockerfile"));
  }

  private static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(Duration.ofMinutes(2).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        fail(command + " timed out");
      }
      assertEquals(0, p.exitValue(), command + ":\n" + out);
      return out;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command.get(0)
          + " (Debian's docker-compose package; .ci/run installs it): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void dockerComposeAcceptsTheFileWithEveryServiceOfTheCluster() {
    run(List.of("docker-compose", "-f", compose.toString(), "config", "--quiet"));
    Set<String> services = new TreeSet<>();
    resolved.get("services").fieldNames().forEachRemaining(services::add);
    assertEquals(new TreeSet<>(List.of("kafka", "apiserver", "endpoint-controller", "node-1", "node-2", "node-3",
        "hello-1", "hello-2", "hello-3", "register-pods")), services);
    assertTrue(resolved.at("/services/kafka/image").asText().startsWith("apache/kafka:"), "Kafka from the apache/kafka image");
    for (String node : List.of("node-1", "node-2", "node-3")) {
      JsonNode caps = resolved.at("/services/" + node + "/cap_add");
      assertTrue(caps.toString().contains("NET_ADMIN"), node + " has NET_ADMIN: " + caps);
    }
  }

  @Test
  void everyCopiedArtifactExistsAfterThePackagePhase() {
    assertFalse(dockerfile.jars().isEmpty(), "the Dockerfile copies jars");
    for (Path jar : dockerfile.jars()) assertTrue(Files.isRegularFile(jar), jar + " exists");
    for (Path lib : dockerfile.libDirs()) assertTrue(Files.isDirectory(lib), lib + " exists");
  }

  /** Every java command of the resolved file: service commands after the ENTRYPOINT, and health checks. */
  private Map<String, List<String>> javaCommands() {
    Map<String, List<String>> commands = new LinkedHashMap<>();
    var services = resolved.get("services").fields();
    while (services.hasNext()) {
      var s = services.next();
      JsonNode svc = s.getValue();
      if (IMAGE.equals(svc.path("image").asText())) {
        assertEquals("deploy/docker/Dockerfile", svc.at("/build/dockerfile").asText(), s.getKey() + " builds from deploy/docker/Dockerfile");
        List<String> argv = new ArrayList<>(dockerfile.entrypoint());
        svc.path("command").forEach(n -> argv.add(n.asText()));
        commands.put(s.getKey() + " command", argv);
      }
      JsonNode test = svc.at("/healthcheck/test");
      if (test.isArray() && test.size() > 1 && test.get(1).asText().equals("java")) {
        List<String> argv = new ArrayList<>();
        for (int i = 1; i < test.size(); i++) argv.add(test.get(i).asText());
        commands.put(s.getKey() + " healthcheck", argv);
      }
    }
    return commands;
  }

  @Test
  void everyJavaMainClassAndFlagOfTheComposeFileExistsInTheJars() throws Exception {
    Map<String, List<String>> commands = javaCommands();
    assertTrue(commands.keySet().containsAll(List.of("apiserver command", "endpoint-controller command", "node-1 command",
        "node-2 command", "node-3 command", "register-pods command", "apiserver healthcheck")), commands.keySet().toString());
    for (var e : commands.entrySet()) {
      List<String> argv = e.getValue();
      assertEquals("java", argv.get(0), e.getKey());
      int cp = argv.indexOf("-cp");
      assertTrue(cp > 0, e.getKey() + " has -cp: " + argv);
      assertEquals("/app/*:/app/lib/*", argv.get(cp + 1), e.getKey() + ": the class path of the image");
      String main = argv.get(cp + 2);
      List<String> args = argv.subList(cp + 3, argv.size());
      assertTrue(inCopiedJars(main), e.getKey() + ": " + main + " is in none of " + dockerfile.jars());
      // The main's own parser (picocli) must take the flags and their values; parseArgs runs nothing.
      Object command = Class.forName(main).getDeclaredConstructor().newInstance();
      try {
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
      } catch (CommandLine.ParameterException bad) {
        fail(e.getKey() + ": " + main + " rejects " + args + ": " + bad.getMessage());
      }
    }
  }

  private boolean inCopiedJars(String mainClass) throws IOException {
    String entry = mainClass.replace('.', '/') + ".class";
    for (Path jar : dockerfile.jars()) {
      try (JarFile j = new JarFile(jar.toFile())) {
        if (j.getEntry(entry) != null) return true;
      }
    }
    return false;
  }

  @Test
  void everySvcplaneEnvironmentVariableIsReadByTheNodeProxy() throws IOException {
    Pattern name = Pattern.compile("SVCPLANE_[A-Z_]+");
    var services = resolved.get("services").fields();
    int checked = 0;
    while (services.hasNext()) {
      var s = services.next();
      var env = s.getValue().path("environment").fieldNames();
      while (env.hasNext()) {
        String var = env.next();
        Matcher m = name.matcher(var);
        if (!m.matches()) continue;
        assertTrue(jarsMention(var), s.getKey() + ": no class in the copied jars reads " + var);
        checked++;
      }
    }
    assertTrue(checked >= 3, "the nodes set SVCPLANE_CLUSTER_CIDR");
  }

  private boolean jarsMention(String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    for (Path jar : dockerfile.jars()) {
      try (JarFile j = new JarFile(jar.toFile())) {
        for (var it = j.entries().asIterator(); it.hasNext(); ) {
          var entry = it.next();
          if (!entry.getName().endsWith(".class")) continue;
          byte[] bytes = j.getInputStream(entry).readAllBytes();
          if (indexOf(bytes, needle) >= 0) return true;
        }
      }
    }
    return false;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int k = 0; k < needle.length; k++) if (haystack[i + k] != needle[k]) continue outer;
      return i;
    }
    return -1;
  }

  @Test
  void theRegisterJobMountsManifestsThatSvcctlReads() throws Exception {
    JsonNode volumes = resolved.at("/services/register-pods/volumes");
    assertEquals(1, volumes.size(), volumes.toString());
    // docker-compose 1.x prints the short form SOURCE:TARGET[:MODE], later versions a mapping.
    JsonNode v = volumes.get(0);
    String[] shortForm = v.isTextual() ? v.asText().split(":") : null;
    Path source = Path.of(shortForm != null ? shortForm[0] : v.path("source").asText());
    assertEquals("/manifests", shortForm != null ? shortForm[1] : v.path("target").asText());
    assertTrue(Files.isDirectory(source), source + " exists");
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.list(source)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        for (Manifests.Document d : Manifests.read(Files.readString(f))) {
          assertTrue(d.ok(), f + " document " + d.index() + ": " + d.error());
          names.add(io.svcplane.core.Kinds.kindOf(d.resource()) + "/" + io.svcplane.core.Kinds.metadata(d.resource()).getName());
        }
      }
    }
    assertEquals(List.of("POD/hello-1", "POD/hello-2", "POD/hello-3", "SERVICE/hello"), names);
  }
}
