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
import org.junit.jupiter.api.io.TempDir;
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
    assertEquals(new TreeSet<>(List.of("certs", "kafka", "apiserver", "endpoint-controller", "node-1", "node-2", "node-3",
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
    assertTrue(commands.keySet().containsAll(List.of("certs command", "apiserver command", "endpoint-controller command", "node-1 command",
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

  /** Where a main class may be: the jars in /app and in /app/lib (the image's class path /app/*:/app/lib/*). */
  private List<Path> imageClassPath() throws IOException {
    List<Path> all = new ArrayList<>(dockerfile.jars());
    for (Path lib : dockerfile.libDirs()) {
      try (Stream<Path> jars = Files.list(lib)) {
        jars.filter(j -> j.toString().endsWith(".jar")).sorted().forEach(all::add);
      }
    }
    return all;
  }

  private boolean inCopiedJars(String mainClass) throws IOException {
    String entry = mainClass.replace('.', '/') + ".class";
    for (Path jar : imageClassPath()) {
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
    Mount m = mounts("register-pods").stream().filter(x -> x.target().equals("/manifests")).findFirst()
        .orElseThrow(() -> new AssertionError("register-pods mounts nothing at /manifests: " + mounts("register-pods")));
    Path source = Path.of(m.source());
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

  // ---- security: the certs job, its volume and the TLS flags (issue 12) --------------------------

  /** The cluster's security files: the volume the certs job writes. */
  private static final String PKI_VOLUME = "svcplane-pki";
  private static final String CERTS = "certs";
  /** Flags whose value is a file a component reads (credentials, policy, client configuration). */
  private static final Set<String> FILE_FLAGS = Set.of("--tls-cert-file", "--tls-private-key-file", "--client-ca-file",
      "--token-auth-file", "--authorization-policy-file", "--ca-file", "--cert-file", "--key-file", "--config",
      "--kafka-properties");
  /** The svcplane services that use the security files (the endpoint controller speaks only to Kafka). */
  private static final List<String> SECURE_CLIENTS = List.of("apiserver", "node-1", "node-2", "node-3", "register-pods");

  /** One volume of a service, from either form docker-compose prints. */
  record Mount(String source, String target, boolean readOnly) {}

  private List<Mount> mounts(String service) {
    List<Mount> out = new ArrayList<>();
    for (JsonNode v : resolved.at("/services/" + service + "/volumes")) {
      if (v.isTextual()) {
        // docker-compose 1.x: SOURCE:TARGET[:MODE]
        String[] p = v.asText().split(":");
        out.add(new Mount(p[0], p[1], p.length > 2 && List.of(p[2].split(",")).contains("ro")));
      } else {
        out.add(new Mount(v.path("source").asText(), v.path("target").asText(), v.path("read_only").asBoolean(false)));
      }
    }
    return out;
  }

  private Mount pkiMount(String service) {
    return mounts(service).stream().filter(m -> m.source().equals(PKI_VOLUME)).findFirst().orElse(null);
  }

  /** The certs job's target directory: where every file flag must point. */
  private String pkiDir() {
    Mount m = pkiMount(CERTS);
    assertTrue(m != null, "the certs job mounts the volume " + PKI_VOLUME + ": " + mounts(CERTS));
    return m.target();
  }

  /** (flag, value) of every file flag of the argument list; both --flag VALUE and --flag=VALUE. */
  private static List<Map.Entry<String, String>> fileFlags(List<String> args) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      int eq = a.indexOf('=');
      String flag = eq > 0 ? a.substring(0, eq) : a;
      if (!FILE_FLAGS.contains(flag)) continue;
      out.add(Map.entry(flag, eq > 0 ? a.substring(eq + 1) : i + 1 < args.size() ? args.get(++i) : ""));
    }
    return out;
  }

  @Test
  void noServiceOrHealthCheckRunsWithInsecure() {
    for (var e : javaCommands().entrySet()) {
      for (String a : e.getValue()) {
        assertFalse(a.equals("--insecure") || a.startsWith("--insecure="), e.getKey() + " passes --insecure: " + e.getValue());
      }
    }
  }

  @Test
  void aOneShotCertsJobRunsThePkiToolIntoANamedVolume() {
    JsonNode certs = resolved.at("/services/" + CERTS);
    assertFalse(certs.isMissingNode(), "a service " + CERTS + " exists");
    List<String> argv = javaCommands().get(CERTS + " command");
    int cp = argv.indexOf("-cp");
    assertEquals("io.svcplane.security.pki.PkiMain", argv.get(cp + 2), "the certs job runs the PKI tool bin/svcplane runs");
    List<String> args = argv.subList(cp + 3, argv.size());
    assertEquals("init", args.get(0), "init: makes only what is missing, so a second up keeps the CA and the token");
    assertEquals(pkiDir(), args.get(args.indexOf("--dir") + 1), "--dir is the volume's mount point");
    Mount m = pkiMount(CERTS);
    assertFalse(m.readOnly(), "the certs job writes the volume");
    assertTrue(resolved.at("/volumes").has(PKI_VOLUME), "a named volume " + PKI_VOLUME + ": " + resolved.at("/volumes"));
    // A one-shot job: exits 0 and stays exited (the shared anchor says unless-stopped).
    assertTrue(List.of("no", "on-failure").contains(certs.path("restart").asText("no")), "restart: " + certs.path("restart"));
    for (int i = 1; i <= 3; i++) assertTrue(args.contains("node-" + i), "a client certificate for node-" + i + ": " + args);
    // The apiserver's certificate names what it is reached by: its service name, and 127.0.0.1 for its
    // health check and the port published on the host.
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.size() - 1; i++) if (args.get(i).equals("--apiserver-name")) names.add(args.get(i + 1));
    assertTrue(names.containsAll(List.of("apiserver", "127.0.0.1")), "apiserver names: " + names);
  }

  @Test
  void everyComponentThatUsesTheFilesWaitsForTheCertsJobAndMountsTheVolumeReadOnly() {
    String dir = pkiDir();
    for (String s : SECURE_CLIENTS) {
      assertEquals("service_completed_successfully", resolved.at("/services/" + s + "/depends_on/" + CERTS + "/condition").asText(),
          s + " starts after the certs job succeeded: " + resolved.at("/services/" + s + "/depends_on"));
      Mount m = pkiMount(s);
      assertTrue(m != null, s + " mounts " + PKI_VOLUME + ": " + mounts(s));
      assertEquals(dir, m.target(), s + " mounts it where the certs job wrote it");
      assertTrue(m.readOnly(), s + " mounts it read-only: " + m);
    }
    // And no service mounts it without waiting for the job; the endpoint controller (Kafka only) not at all.
    var services = resolved.get("services").fieldNames();
    while (services.hasNext()) {
      String s = services.next();
      if (s.equals(CERTS) || pkiMount(s) == null) continue;
      assertTrue(SECURE_CLIENTS.contains(s), s + " mounts the CA's key but needs nothing of it");
    }
    assertTrue(pkiMount("endpoint-controller") == null, "the endpoint controller gets no CA key");
  }

  @Test
  void everyFileFlagPointsIntoTheMountedVolumeAndEveryComponentHasItsCredentials() {
    String dir = pkiDir() + "/";
    Map<String, List<String>> commands = javaCommands();
    for (var e : commands.entrySet()) {
      String service = e.getKey().substring(0, e.getKey().lastIndexOf(' '));
      for (var f : fileFlags(e.getValue())) {
        assertTrue(f.getValue().startsWith(dir), e.getKey() + ": " + f.getKey() + " " + f.getValue() + " is not in " + dir);
        Mount m = pkiMount(service);
        assertTrue(m != null && m.target().equals(pkiDir()), e.getKey() + ": " + f.getKey() + " reads a volume the service does not mount");
      }
    }
    assertEquals(Set.of("--tls-cert-file", "--tls-private-key-file", "--client-ca-file", "--token-auth-file", "--authorization-policy-file"),
        flagNames(commands.get("apiserver command")), "the apiserver serves TLS, checks client certificates, tokens and the policy");
    for (int i = 1; i <= 3; i++) {
      List<String> args = commands.get("node-" + i + " command");
      assertEquals(Set.of("--ca-file", "--cert-file", "--key-file"), flagNames(args), "node-" + i + " speaks mutual TLS");
      for (var f : fileFlags(args)) {
        if (!f.getKey().equals("--ca-file")) assertTrue(f.getValue().endsWith("/node-" + i + f.getValue().substring(f.getValue().lastIndexOf('.'))),
            "node-" + i + " presents its own certificate: " + f);
      }
    }
    assertEquals(Set.of("--config"), flagNames(commands.get("register-pods command")), "register-pods uses the admin's configuration");
    assertEquals(Set.of("--config"), flagNames(commands.get("apiserver healthcheck")), "the health check speaks TLS to the apiserver");
  }

  private static Set<String> flagNames(List<String> args) {
    Set<String> out = new TreeSet<>();
    for (var f : fileFlags(args)) out.add(f.getKey());
    return out;
  }

  // ---- the same files and flags, run on this machine ---------------------------------------------

  /**
   * The certs job's exact command (into a temporary directory instead of the volume), then Kafka, the
   * apiserver and node-1's proxy with exactly the flags compose gives them; only what Docker provides
   * is mapped: the volume's path, Kafka's and the apiserver's addresses ("apiserver:6443" becomes
   * 127.0.0.1:PORT, a name the certificate also holds; "apiserver" itself is checked by TLS with that
   * authority), free ports, and nftables becomes dry-run (no root). The apiserver's own health check
   * then must see node-1 Ready with its feed connected: the proxy registered over mutual TLS.
   */
  @Test
  void theCertsJobsCommandMakesTheFilesWithWhichTheApiserverAndANodeProxyTalkMutualTls(@TempDir Path tmp) throws Exception {
    Path state = tmp.resolve("volume");
    Map<String, List<String>> commands = javaCommands();
    List<Process> started = new ArrayList<>();
    Map<String, Path> logs = new LinkedHashMap<>();
    try {
      // 1. The certs job, twice: the second run keeps every file as it is (a new `up` keeps the CA and token).
      List<String> certs = imageCommand(commands.get(CERTS + " command"), state, Map.of());
      String first = runTo(certs, tmp.resolve("certs-1.log"));
      Map<Path, byte[]> made = filesUnder(state);
      assertTrue(first.contains("created"), first);
      for (Path f : made.keySet()) {
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
            f + " is readable by its owner only");
      }
      String second = runTo(certs, tmp.resolve("certs-2.log"));
      assertFalse(second.contains("created") || second.contains("renewed") || second.contains("updated"), second);
      Map<Path, byte[]> again = filesUnder(state);
      assertEquals(made.keySet(), again.keySet(), "a second run makes no file");
      for (Path f : made.keySet()) assertTrue(java.util.Arrays.equals(made.get(f), again.get(f)), f + " unchanged by a second run");
      // Every file a component is told to read is one the job made.
      for (var e : commands.entrySet()) {
        for (var f : fileFlags(e.getValue())) {
          Path local = Path.of(state + f.getValue().substring(pkiDir().length()));
          assertTrue(Files.isRegularFile(local), e.getKey() + ": " + f.getKey() + " " + f.getValue() + " was not made by the certs job");
        }
      }
      var cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(Files.readAllBytes(state.resolve("pki/apiserver.crt"))));
      Set<String> sans = new TreeSet<>();
      for (List<?> n : cert.getSubjectAlternativeNames()) sans.add(String.valueOf(n.get(1)));
      assertTrue(sans.containsAll(List.of("apiserver", "127.0.0.1")), "apiserver certificate names: " + sans);

      // 2. Kafka (the compose file runs apache/kafka; here the same broker the local cluster runs).
      int kafkaPort = freePort();
      int controllerPort = freePort();
      int apiPort = freePort();
      int metricsPort = freePort();
      Path kafkaLog = tmp.resolve("kafka.log");
      logs.put("kafka", kafkaLog);
      // Not in the image (compose runs apache/kafka): the broker from the eventlog module, as bin/svcplane runs it.
      String brokerCp = repo.resolve("eventlog/target/eventlog-0.1.0-SNAPSHOT.jar") + java.io.File.pathSeparator
          + repo.resolve("eventlog/target/lib") + "/*";
      started.add(start(List.of("java", "-Xmx256m", "-XX:+UseSerialGC", "-cp", brokerCp,
          "io.svcplane.eventlog.broker.KafkaBrokerMain", "--data-dir", tmp.resolve("kafka").toString(), "--host", "127.0.0.1",
          "--port", String.valueOf(kafkaPort), "--controller-port", String.valueOf(controllerPort)), kafkaLog));

      // 3. The apiserver and node-1 with the compose file's flags.
      String api = "127.0.0.1:" + apiPort;
      Path apiLog = tmp.resolve("apiserver.log");
      logs.put("apiserver", apiLog);
      started.add(start(imageCommand(commands.get("apiserver command"), state, Map.of(
          "kafka:9092", "127.0.0.1:" + kafkaPort, "0.0.0.0", "127.0.0.1", "6443", String.valueOf(apiPort))), apiLog));
      List<String> node = new ArrayList<>(imageCommand(commands.get("node-1 command"), state, Map.of(
          "apiserver:6443", api, "10.244.0.11", "127.0.0.1", "0.0.0.0", "127.0.0.1", "nftables", "dry-run",
          "10249", String.valueOf(metricsPort))));
      // No root here: the table to a file instead of nftables, no DNS on port 53, one event loop.
      node.addAll(List.of("--dry-run-file", tmp.resolve("node-1-table.json").toString(), "--dns-port", "0", "--threads", "1"));
      Path nodeLog = tmp.resolve("node-1.log");
      logs.put("node-1", nodeLog);
      started.add(start(node, nodeLog));

      // 4. The apiserver's health check (TLS with svcctl's configuration) waits for node-1: Ready, feed connected.
      List<String> probe = new ArrayList<>(imageCommand(commands.get("apiserver healthcheck"), state, Map.of("127.0.0.1:6443", api)));
      probe.addAll(List.of("--proxy", "node-1=node-1=http://127.0.0.1:" + metricsPort + "/healthz", "--wait", "150"));
      try {
        runTo(probe, tmp.resolve("probe.log"));
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + tails(logs), e);
      }

      // 5. The name the nodes and register-pods use: TLS to it verifies, to another name it does not.
      io.svcplane.security.ClientConfig admin = io.svcplane.security.ClientConfig.load(state.resolve("config"));
      assertEquals("https://127.0.0.1:6443", admin.server(), "svcctl's configuration names the port published on the host");
      assertEquals("SERVING", healthAs("apiserver", apiPort, admin), "TLS to the apiserver by its service name");
      String other = healthAs("kafka", apiPort, admin);
      assertTrue(other.startsWith("UNAVAILABLE"), "the certificate is not valid for another name: " + other);

      // 6. register-pods' command (the admin's token from the volume) applies the manifests.
      String applied = runTo(imageCommand(commands.get("register-pods command"), state, Map.of(
          "apiserver:6443", api, "/manifests/", repo.resolve("deploy/compose/manifests") + "/")), tmp.resolve("register-pods.log"));
      assertTrue(applied.contains("service/hello"), applied);

      // Nothing secret in any log.
      String token = admin.token();
      for (Path log : List.of(apiLog, nodeLog, tmp.resolve("certs-1.log"), tmp.resolve("register-pods.log"), tmp.resolve("probe.log"))) {
        String text = Files.readString(log);
        assertFalse(text.contains(token), log + " holds the admin's token");
        assertFalse(text.contains("PRIVATE KEY"), log + " holds a key");
      }
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) stop(started.get(i));
    }
  }

  /** The image's class path on this machine: the jars and lib directories the Dockerfile copies. */
  private String localClassPath() {
    List<String> cp = new ArrayList<>();
    for (Path j : dockerfile.jars()) cp.add(j.toString());
    for (Path l : dockerfile.libDirs()) cp.add(l + "/*");
    return String.join(java.io.File.pathSeparator, cp);
  }

  /**
   * A compose java command as it runs here: the image's class path mapped to the build's, the volume's
   * directory to {@code state}, and each argument equal to a key of {@code exact} to its value (each
   * key must occur: a mapping that no longer matches the compose file fails the test).
   */
  private List<String> imageCommand(List<String> argv, Path state, Map<String, String> exact) {
    String dir = pkiDir();
    List<String> out = new ArrayList<>();
    Set<String> used = new TreeSet<>();
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (i > 0 && argv.get(i - 1).equals("-cp")) {
        out.add(localClassPath());
      } else if (exact.containsKey(a)) {
        out.add(exact.get(a));
        used.add(a);
      } else if (a.startsWith(dir + "/") || a.equals(dir)) {
        out.add(state + a.substring(dir.length()));
      } else {
        out.add(a);
      }
      // A bounded heap beside the other JVMs of the test (the image sizes heaps by the container's memory).
      if (i == 0) out.add("-Xmx256m");
    }
    assertEquals(new TreeSet<>(exact.keySet()), used, "arguments mapped for this machine, in " + argv);
    return out;
  }

  private static Process start(List<String> command, Path log) throws IOException {
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Runs to its end (at most 3 minutes), output to {@code log}; exit 0 required; returns the output. */
  private static String runTo(List<String> command, Path log) throws Exception {
    Process p = start(command, log);
    if (!p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)) {
      stop(p);
      fail(command + " did not end:\n" + Files.readString(log));
    }
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), command + ":\n" + out);
    return out;
  }

  private static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static Map<Path, byte[]> filesUnder(Path dir) throws IOException {
    Map<Path, byte[]> out = new java.util.TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) out.put(f, Files.readAllBytes(f));
    }
    return out;
  }

  private static String tails(Map<String, Path> logs) throws IOException {
    StringBuilder b = new StringBuilder();
    for (var e : logs.entrySet()) {
      if (!Files.exists(e.getValue())) continue;
      List<String> lines = Files.readAllLines(e.getValue());
      b.append("\n--- ").append(e.getKey()).append(":\n");
      for (String l : lines.subList(Math.max(0, lines.size() - 25), lines.size())) b.append(l).append('\n');
    }
    return b.toString();
  }

  /** gRPC health of the apiserver at 127.0.0.1:PORT, verifying its certificate for {@code authority}. */
  private static String healthAs(String authority, int port, io.svcplane.security.ClientConfig config) throws IOException {
    var tls = new io.svcplane.security.ClientTls(true, config.caFile(), null, null, config.token());
    var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", port, tls.credentials())
        .overrideAuthority(authority).build();
    try {
      return io.grpc.health.v1.HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
          .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus().name();
    } catch (io.grpc.StatusRuntimeException e) {
      return e.getStatus().getCode().name();
    } finally {
      channel.shutdownNow();
    }
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
