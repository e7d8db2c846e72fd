package io.svcplane.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.ApplyRequest;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.controller.EndpointController;
import io.svcplane.core.Kinds;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python scripts of examples/scripts against the real thing: an apiserver on a free loopback
 * port, the endpoint controller computing Endpoints, and the test's Kafka broker. Each script is
 * a /usr/bin/python3 process, as a pipeline would run it.
 */
@ExtendWith(KafkaExtension.class)
class PythonScriptsTest {
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  static TestKafka kafka;
  static int port;
  static ApiServer apiserver;
  static EndpointController controller;
  static ManagedChannel channel;

  @BeforeAll
  static void start(TestKafka k) throws Exception {
    kafka = k;
    Scripts.Result python = Scripts.run(List.of("-c", "import grpc, google.protobuf, yaml"), null, List.of(), Map.of());
    assertEquals(0, python.exitCode(), "Debian's python3-grpcio, python3-protobuf and python3-yaml must be installed"
        + " for /usr/bin/python3 (.ci/run installs them)\n" + python);
    port = FreePorts.loopback();
    apiserver = apiserver(port, "apiserver-0");
    controller = EndpointController.start(new EndpointController.Settings(clients(), "ec-scripts"));
    channel = channel(port);
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (controller != null) controller.close();
    if (apiserver != null) apiserver.stop();
  }

  static KafkaClients clients() {
    return KafkaClients.of(kafka.bootstrapServers());
  }

  static ApiServer apiserver(int port, String writerId) throws Exception {
    return ApiServer.builder(clients()).port(port).writerId(writerId).build().start();
  }

  static ApiServer apiserver(int port, String writerId, int watchWindow) throws Exception {
    return ApiServer.builder(clients()).port(port).writerId(writerId).watchWindow(watchWindow).build().start();
  }

  static ManagedChannel channel(int port) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
  }

  static ResourcesGrpc.ResourcesBlockingStub api() {
    return api(channel);
  }

  static ResourcesGrpc.ResourcesBlockingStub api(ManagedChannel ch) {
    return ResourcesGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static String server() {
    return "127.0.0.1:" + port;
  }

  // ---- apply.py -------------------------------------------------------------------------------

  @Test
  void applyCreatesThenLeavesUnchangedThenConfiguresAndPrintsKubectlLines(@TempDir Path dir) throws Exception {
    String ns = newNamespace("apply");
    Path svc = Path.of("..", "examples", "svc-nginx.yaml");
    Path pods = Path.of("..", "examples", "nginx-pods.yaml");

    var created = Scripts.run("apply.py", "-n", ns, "--server", server(), svc.toAbsolutePath().toString(),
        pods.toAbsolutePath().toString());
    assertEquals(0, created.exitCode(), created.toString());
    assertEquals(List.of("service/svc-nginx created", "pod/nginx-deploy-7d9f-a created", "pod/nginx-deploy-7d9f-b created",
        "pod/nginx-deploy-7d9f-c created"), created.out(), created.toString());
    Service stored = get(Kind.SERVICE, ns, "svc-nginx").getService();
    assertEquals("NodePort", stored.getSpec().getType());
    assertFalse(stored.getSpec().getClusterIp().isEmpty(), "a ClusterIP is allocated");
    assertEquals("80", stored.getSpec().getPorts(0).getTargetPort(), "the YAML number 80 arrives as IntOrString \"80\"");
    assertEquals("Running", get(Kind.POD, ns, "nginx-deploy-7d9f-a").getPod().getStatus().getPhase());

    var again = Scripts.run("apply.py", "-n", ns, "--server", server(), svc.toAbsolutePath().toString(),
        pods.toAbsolutePath().toString());
    assertEquals(0, again.exitCode(), again.toString());
    assertEquals(List.of("service/svc-nginx unchanged", "pod/nginx-deploy-7d9f-a unchanged",
        "pod/nginx-deploy-7d9f-b unchanged", "pod/nginx-deploy-7d9f-c unchanged"), again.out());

    // The not-ready pod turns ready; a JSON manifest in a directory, namespace in the manifest.
    Path json = dir.resolve("pod.json");
    Files.writeString(json, """
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "nginx-deploy-7d9f-c", "namespace": "%s", "labels": {"app": "nginx-deploy"}},
         "spec": {"nodeName": "node-2", "containers": [{"name": "nginx", "image": "nginx",
                  "ports": [{"name": "web", "containerPort": 80}]}]},
         "status": {"phase": "Running", "podIP": "10.244.203.38",
                    "conditions": [{"type": "Ready", "status": "True"}]}}
        """.formatted(ns));
    var configured = Scripts.run("apply.py", "--server", server(), dir.toString());
    assertEquals(0, configured.exitCode(), configured.toString());
    assertEquals(List.of("pod/nginx-deploy-7d9f-c configured"), configured.out());
    assertEquals("True", get(Kind.POD, ns, "nginx-deploy-7d9f-c").getPod().getStatus().getConditions(0).getStatus());
  }

  @Test
  void applyReportsEachBadObjectLikeKubectlAndStillAppliesTheOthers(@TempDir Path dir) throws Exception {
    String ns = newNamespace("applybad");
    Path f = dir.resolve("mixed.yaml");
    Files.writeString(f, """
        apiVersion: v1
        kind: Service
        metadata: {name: bad-port}
        spec:
          ports: [{port: 70000}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: unknown-field}
        spec:
          colour: blue
          ports: [{port: 80}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: good}
        spec:
          ports: [{port: 80, targetPort: web}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: two-errors}
        spec:
          type: Cluster
          ports: [{port: 70000}]
        """);
    var r = Scripts.run("apply.py", "-n", ns, "--server", server(), f.toString());
    assertEquals(1, r.exitCode(), r.toString());
    assertEquals(List.of("service/good created"), r.out(), r.toString());
    assertTrue(r.err().contains("The Service \"bad-port\" is invalid: spec.ports[0].port: Invalid value: 70000: must be"
        + " between 1 and 65535, inclusive"), r.toString());
    assertTrue(r.err().contains("error: error validating \"" + f + "\" (document 2): Service in version \"v1\" cannot be"
        + " handled as a Service: strict decoding error: unknown field \"spec.colour\""), r.toString());
    assertTrue(r.stderr().contains("no matches for kind \"Deployment\" in version \"apps/v1\""), r.toString());
    // Several field errors: one line each, from the status' google.rpc.BadRequest, as kubectl prints them.
    assertTrue(r.stderr().contains("The Service \"two-errors\" is invalid: \n"
        + "* spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\","
        + " \"NodePort\"\n"
        + "* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"), r.toString());
    assertNoTraceback(r);
    assertEquals(Status.Code.NOT_FOUND, getError(Kind.SERVICE, ns, "bad-port"));
    assertEquals(Status.Code.NOT_FOUND, getError(Kind.SERVICE, ns, "unknown-field"));
    assertEquals(Status.Code.NOT_FOUND, getError(Kind.SERVICE, ns, "two-errors"));
    assertEquals("web", get(Kind.SERVICE, ns, "good").getService().getSpec().getPorts(0).getTargetPort());
  }

  // ---- wait_ready.py --------------------------------------------------------------------------

  @Test
  void waitReadyExitsZeroAsSoonAsTheServiceHasEnoughReadyAddresses() throws Exception {
    String ns = newNamespace("ready");
    create(service(ns, "web", Map.of("app", "web")));
    create(pod(ns, "web-1", "10.30.0.1", true, Map.of("app", "web")));
    create(pod(ns, "web-2", "10.30.0.2", false, Map.of("app", "web")));
    awaitEndpoints(ns, "web", ready -> ready.equals(Set.of("10.30.0.1", "10.30.0.2(not-ready)")));

    try (var wait = Scripts.start("wait_ready.py", List.of("web", "2", "-n", ns, "--timeout", "60", "--server", server()))) {
      // It listed, saw one ready address and keeps watching.
      wait.awaitLine(wait.err, l -> l.contains("it has 1 (10.30.0.1)"), Duration.ofSeconds(30), "saying it has 1 address");
      assertTrue(wait.process.isAlive(), wait.snapshot());

      long readyAt = System.nanoTime();
      apply(pod(ns, "web-2", "10.30.0.2", true, Map.of("app", "web")));
      var r = wait.await(Duration.ofSeconds(30));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readyAt);
      assertEquals(0, r.exitCode(), r.toString());
      assertEquals(1, r.out().size(), r.toString());
      assertTrue(r.out().get(0).startsWith("service " + ns + "/web has 2 ready addresses (10.30.0.1,10.30.0.2) after "),
          r.toString());
      // Watching, not polling: the exit follows the change within the controller's and the stream's latency.
      assertTrue(tookMs < 10_000, "exited " + tookMs + " ms after the pod turned ready");
    }
  }

  @Test
  void waitReadyKeepsWaitingAcrossAnApiserverRestartAndExitsOnTheChangeMadeMeanwhile() throws Exception {
    String ns = newNamespace("readyrestart");
    int otherPort = FreePorts.loopback();
    ApiServer other = apiserver(otherPort, "apiserver-scripts-wait");
    try {
      create(service(ns, "web", Map.of("app", "web")));
      create(pod(ns, "web-1", "10.33.0.1", true, Map.of("app", "web")));
      awaitEndpoints(ns, "web", ready -> ready.size() == 1);
      try (var wait = Scripts.start("wait_ready.py",
          List.of("web", "2", "-n", ns, "--timeout", "90", "--server", "127.0.0.1:" + otherPort))) {
        wait.awaitLine(wait.err, l -> l.contains("it has 1 (10.33.0.1)"), Duration.ofSeconds(30), "saying it has 1 address");
        other.stop();
        wait.awaitLine(wait.err, l -> l.startsWith("watch stream broken"), Duration.ofSeconds(30), "saying the stream broke");
        create(pod(ns, "web-2", "10.33.0.2", true, Map.of("app", "web")));
        awaitEndpoints(ns, "web", ready -> ready.size() == 2);
        assertTrue(wait.process.isAlive(), "still waiting while its apiserver is down\n" + wait.snapshot());

        other = apiserver(otherPort, "apiserver-scripts-wait");
        var r = wait.await(Duration.ofSeconds(30));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().startsWith("service " + ns + "/web has 2 ready addresses (10.33.0.1,10.33.0.2)"), r.toString());
        assertTrue(r.err().contains("watch resumed from the last change seen"), r.toString());
      }
    } finally {
      other.stop();
    }
  }

  @Test
  void waitReadyExitsZeroAtOnceWhenTheServiceIsAlreadyReady() throws Exception {
    String ns = newNamespace("already");
    create(service(ns, "web", Map.of("app", "web")));
    create(pod(ns, "web-1", "10.31.0.1", true, Map.of("app", "web")));
    awaitEndpoints(ns, "web", ready -> ready.size() == 1);
    var r = Scripts.run("wait_ready.py", "web", "1", "-n", ns, "--timeout", "30", "--server", server());
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.stdout().startsWith("service " + ns + "/web has 1 ready address (10.31.0.1)"), r.toString());
  }

  @Test
  void waitReadyExitsOneWhenTheTimeoutPassesAndSaysWhatItHas() throws Exception {
    String ns = newNamespace("timeout");
    create(service(ns, "web", Map.of("app", "web")));
    create(pod(ns, "web-1", "10.32.0.1", true, Map.of("app", "web")));
    awaitEndpoints(ns, "web", ready -> ready.size() == 1);

    // 5 s: the script's start (Python, grpc), its connect and its first List must fit in it, or it
    // times out before it has seen the one ready address, even on a loaded machine.
    var r = Scripts.run("wait_ready.py", "web", "2", "-n", ns, "--timeout", "5", "--server", server());
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.took().toMillis() >= 5000 && r.took().toMillis() < 30_000, r.toString());
    assertTrue(r.stderr().contains("timed out after 5s waiting for service " + ns + "/web to have 2 ready addresses:"
        + " it has 1 (10.32.0.1)"), r.toString());
    assertEquals(List.of(), r.out());

    var missing = Scripts.run("wait_ready.py", "nope", "1", "-n", ns, "--timeout", "1", "--server", server());
    assertEquals(1, missing.exitCode(), missing.toString());
    assertTrue(missing.stderr().contains("it has none; the Service does not exist"), missing.toString());
    assertNoTraceback(r);
    assertNoTraceback(missing);
  }

  // ---- watch_endpoints.py ---------------------------------------------------------------------

  /**
   * The apiserver the script watches is stopped and started again on the same port; meanwhile a
   * second apiserver (another writer id) keeps writing. The script must reconnect, resume from the
   * last version it saw, print every change made while it was away, and print nothing twice.
   */
  @Test
  void watchEndpointsPrintsEveryChangeOnceAcrossAnApiserverRestart() throws Exception {
    String ns = newNamespace("watch");
    ApiServer other = apiserver(FreePorts.loopback(), "apiserver-scripts-b");
    ManagedChannel otherChannel = channel(other.port());
    try (var watch = Scripts.start("watch_endpoints.py", List.of("-n", ns, "--server", server()))) {
      watch.awaitLine(watch.err, l -> l.startsWith("watching the endpoints of namespace " + ns), Duration.ofSeconds(30),
          "saying it watches");
      var writer = api(otherChannel);
      writer.create(CreateRequest.newBuilder().setObject(service(ns, "web", Map.of("app", "web"))).build());
      writer.create(CreateRequest.newBuilder().setObject(pod(ns, "web-1", "10.40.0.1", true, Map.of("app", "web"))).build());
      watch.awaitOut(1, Duration.ofSeconds(30));
      assertLine(watch.out.get(0), ns + "/web added=10.40.0.1");

      apiserver.stop();
      watch.awaitLine(watch.err, l -> l.startsWith("watch stream broken"), Duration.ofSeconds(30), "saying the stream broke");
      // Changes while the watched apiserver is down.
      writer.create(CreateRequest.newBuilder().setObject(pod(ns, "web-2", "10.40.0.2", false, Map.of("app", "web"))).build());
      // One published change at a time, so that each is a line of its own.
      awaitEndpoints(api(otherChannel), ns, "web", ips -> ips.equals(Set.of("10.40.0.1", "10.40.0.2(not-ready)")));
      writer.apply(ApplyRequest.newBuilder().setObject(pod(ns, "web-2", "10.40.0.2", true, Map.of("app", "web"))).build());
      awaitEndpoints(api(otherChannel), ns, "web", ready -> ready.equals(Set.of("10.40.0.1", "10.40.0.2")));

      apiserver = apiserver(port, "apiserver-0");
      channel.shutdownNow();
      channel = channel(port);
      watch.awaitOut(3, Duration.ofSeconds(30));
      // And after the restart.
      writer.delete(io.svcplane.api.v1.DeleteRequest.newBuilder().setKind(Kind.POD).setNamespace(ns).setName("web-1").build());
      List<String> out = watch.awaitOut(4, Duration.ofSeconds(30));

      assertLine(out.get(1), ns + "/web added=10.40.0.2(not-ready)");
      assertLine(out.get(2), ns + "/web added=10.40.0.2 removed=10.40.0.2(not-ready)");
      assertLine(out.get(3), ns + "/web removed=10.40.0.1");
      assertTrue(watch.err.stream().anyMatch(l -> l.equals("watch resumed from the last change seen")), watch.snapshot());
      assertTrue(watch.err.stream().noneMatch(l -> l.contains("listing again")),
          "the resume needed no new list\n" + watch.snapshot());
      // Nothing more, and nothing twice.
      writer.create(CreateRequest.newBuilder().setObject(service(ns, "marker", Map.of("app", "marker"))).build());
      writer.create(CreateRequest.newBuilder().setObject(pod(ns, "marker-1", "10.40.9.9", true, Map.of("app", "marker"))).build());
      out = watch.awaitOut(5, Duration.ofSeconds(30));
      assertLine(out.get(4), ns + "/marker added=10.40.9.9");
      assertEquals(5, out.size(), watch.snapshot());
      assertEquals(out.size(), new HashSet<>(out.stream().map(l -> l.substring(l.indexOf(' ') + 1)).toList()).size(),
          watch.snapshot());
      assertNoTraceback(watch.err);
    } finally {
      otherChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      other.stop();
      if (!apiserver.isServing()) {
        apiserver = apiserver(port, "apiserver-0");
        channel.shutdownNow();
        channel = channel(port);
      }
    }
  }

  /**
   * The watched apiserver comes back with a window of 5 records, and more than that happened while
   * it was away: the resume fails with OUT_OF_RANGE, the script lists again and prints what
   * changed meanwhile as one line, then follows the watch from the new list.
   */
  @Test
  void watchEndpointsListsAgainWhenItsVersionLeftTheWindowAndPrintsWhatChangedOnce() throws Exception {
    String ns = newNamespace("window");
    int smallPort = FreePorts.loopback();
    ApiServer small = apiserver(smallPort, "apiserver-scripts-window", 5);
    try (var watch = Scripts.start("watch_endpoints.py", List.of("-n", ns, "--server", "127.0.0.1:" + smallPort))) {
      watch.awaitLine(watch.err, l -> l.startsWith("watching the endpoints of namespace " + ns), Duration.ofSeconds(30),
          "saying it watches");
      create(service(ns, "web", Map.of("app", "web")));
      create(pod(ns, "web-1", "10.42.0.1", true, Map.of("app", "web")));
      watch.awaitOut(1, Duration.ofSeconds(30));
      assertLine(watch.out.get(0), ns + "/web added=10.42.0.1");

      small.stop();
      watch.awaitLine(watch.err, l -> l.startsWith("watch stream broken"), Duration.ofSeconds(30), "saying the stream broke");
      create(pod(ns, "web-2", "10.42.0.2", true, Map.of("app", "web")));
      awaitEndpoints(ns, "web", ips -> ips.equals(Set.of("10.42.0.1", "10.42.0.2")));
      api().delete(io.svcplane.api.v1.DeleteRequest.newBuilder().setKind(Kind.POD).setNamespace(ns).setName("web-1").build());
      awaitEndpoints(ns, "web", ips -> ips.equals(Set.of("10.42.0.2")));
      for (int i = 0; i < 6; i++) newNamespace("filler");

      small = apiserver(smallPort, "apiserver-scripts-window", 5);
      watch.awaitLine(watch.err, l -> l.startsWith("the watch fell out of the apiserver's window (too old resource version"),
          Duration.ofSeconds(30), "saying it lists again");
      List<String> out = watch.awaitOut(2, Duration.ofSeconds(30));
      assertLine(out.get(1), ns + "/web added=10.42.0.2 removed=10.42.0.1");

      create(pod(ns, "web-3", "10.42.0.3", true, Map.of("app", "web")));
      out = watch.awaitOut(3, Duration.ofSeconds(30));
      assertLine(out.get(2), ns + "/web added=10.42.0.3");
      assertEquals(3, out.size(), watch.snapshot());
      assertNoTraceback(watch.err);
    } finally {
      small.stop();
    }
  }

  @Test
  void watchEndpointsStartsWithTheAddressesServicesHaveAndFollowsEveryNamespaceWithA() throws Exception {
    String ns = newNamespace("watchall");
    create(service(ns, "db", Map.of("app", "db")));
    create(pod(ns, "db-1", "10.41.0.1", true, Map.of("app", "db")));
    awaitEndpoints(ns, "db", ready -> ready.size() == 1);
    try (var watch = Scripts.start("watch_endpoints.py", List.of("-A", "--server", server()))) {
      watch.awaitLine(watch.err, l -> l.startsWith("watching the endpoints of every namespace"), Duration.ofSeconds(30),
          "saying it watches every namespace");
      watch.awaitLine(watch.out, l -> l.endsWith(" " + ns + "/db added=10.41.0.1"), Duration.ofSeconds(5),
          "with the current addresses of " + ns + "/db");
      String other = newNamespace("watchall2");
      create(service(other, "cache", Map.of("app", "cache")));
      create(pod(other, "cache-1", "10.41.1.1", true, Map.of("app", "cache")));
      watch.awaitLine(watch.out, l -> l.endsWith(" " + other + "/cache added=10.41.1.1"), Duration.ofSeconds(30),
          "for a service of another namespace");
    }
  }

  // ---- failures -------------------------------------------------------------------------------

  @Test
  void everyScriptExplainsAnApiserverThatIsDownWithoutATraceback(@TempDir Path dir) throws Exception {
    String down = "127.0.0.1:" + FreePorts.loopback();
    Path manifest = dir.resolve("ns.yaml");
    Files.writeString(manifest, "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n");
    var wait = Scripts.run("wait_ready.py", "web", "1", "--timeout", "30", "--server", down);
    var watch = Scripts.run("watch_endpoints.py", "--server", down);
    var apply = Scripts.run("apply.py", "--server", down, manifest.toString());
    for (var r : List.of(wait, watch, apply)) {
      assertTrue(r.stderr().contains("error: cannot connect to the apiserver at " + down), r.toString());
      assertTrue(r.stderr().contains("bin/svcplane up"), r.toString());
      assertNoTraceback(r);
      assertTrue(r.took().toMillis() < 20_000, "fails fast, not at the timeout: " + r);
    }
    assertEquals(3, wait.exitCode());
    assertEquals(3, watch.exitCode());
    assertEquals(1, apply.exitCode());
  }

  @Test
  void badArgumentsGetAUsageMessageAndExitTwo() throws Exception {
    record Case(String script, List<String> args, String message) {}
    List<Case> cases = List.of(
        new Case("wait_ready.py", List.of("web", "three"), "argument N: \"three\" is not a whole number"),
        new Case("wait_ready.py", List.of("web", "-1"), "argument N: \"-1\" must not be negative"),
        new Case("wait_ready.py", List.of("web"), "the following arguments are required: N"),
        new Case("wait_ready.py", List.of("web", "1", "--timeout", "soon"), "\"soon\" is not a number"),
        new Case("wait_ready.py", List.of("web", "1", "--server", "localhost"),
            "invalid server address \"localhost\" (from --server): expected HOST:PORT, e.g. 127.0.0.1:6443"),
        new Case("watch_endpoints.py", List.of("-n", "a", "-A"), "argument -A/--all-namespaces: not allowed with argument -n/--namespace"),
        new Case("apply.py", List.of(), "the following arguments are required: FILE"));
    for (Case c : cases) {
      var r = Scripts.run(List.of(), c.script, c.args, Map.of());
      assertEquals(2, r.exitCode(), c + "\n" + r);
      assertTrue(r.stderr().contains(c.message), c + "\n" + r);
      assertTrue(r.stderr().startsWith("usage: " + c.script), r.toString());
      assertNoTraceback(r);
    }
    var env = Scripts.run(List.of(), "watch_endpoints.py", List.of(), Map.of("SVCPLANE_SERVER", "nohost"));
    assertEquals(2, env.exitCode(), env.toString());
    assertTrue(env.stderr().contains("invalid server address \"nohost\" (from $SVCPLANE_SERVER)"), env.toString());

    var missingFile = Scripts.run("apply.py", "--server", server(), "no-such-file.yaml");
    assertEquals(1, missingFile.exitCode(), missingFile.toString());
    assertEquals(List.of("error: the path \"no-such-file.yaml\" does not exist"), missingFile.err());
  }

  @Test
  void everyScriptHasHelpNamingItsServerOption() throws Exception {
    for (String script : List.of("wait_ready.py", "watch_endpoints.py", "apply.py", "gen_stubs.py")) {
      var r = Scripts.run(script, "--help");
      assertEquals(0, r.exitCode(), r.toString());
      assertTrue(r.stdout().startsWith("usage: "), r.toString());
      if (!script.equals("gen_stubs.py")) {
        String text = r.stdout().replaceAll("\\s+", " ");
        assertTrue(text.contains("--server HOST:PORT address of the apiserver (default: $SVCPLANE_SERVER, else 127.0.0.1:6443)"),
            r.toString());
        assertTrue(text.contains("exit status:"), r.toString());
      }
    }
  }

  @Test
  void theServerAddressComesFromTheEnvironmentWhenNotGiven() throws Exception {
    String ns = newNamespace("env");
    var r = Scripts.run(List.of(), "wait_ready.py", List.of("web", "0", "-n", ns), Map.of("SVCPLANE_SERVER", server()));
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.stdout().startsWith("service " + ns + "/web has 0 ready addresses"), r.toString());
  }

  @Test
  void aPythonWithoutGrpcIsToldWhichPackagesToInstall() throws Exception {
    // -S leaves out site-packages and Debian's dist-packages: grpc and protobuf cannot be imported.
    var r = Scripts.run(List.of("-S"), "wait_ready.py", List.of("web", "1", "--server", server()), Map.of());
    assertEquals(3, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("google.protobuf and grpc cannot be imported"), r.toString());
    assertTrue(r.stderr().contains("apt-get install python3-protobuf python3-grpcio"), r.toString());
    assertNoTraceback(r);
  }

  // ---- helpers --------------------------------------------------------------------------------

  static void assertLine(String line, String expectedAfterTime) {
    assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z .*"), "starts with the time: " + line);
    assertEquals(expectedAfterTime, line.substring(line.indexOf(' ') + 1));
  }

  static void assertNoTraceback(Scripts.Result r) {
    assertNoTraceback(r.err());
  }

  static void assertNoTraceback(List<String> err) {
    assertTrue(err.stream().noneMatch(l -> l.startsWith("Traceback")), String.join("\n", err));
  }

  static String newNamespace(String prefix) {
    String name = prefix + "-" + NAMESPACES.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100000, 36);
    create(Kinds.wrap(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name)).build()));
    return name;
  }

  static Resource create(Resource r) {
    return api().create(CreateRequest.newBuilder().setObject(r).build());
  }

  static void apply(Resource r) {
    api().apply(ApplyRequest.newBuilder().setObject(r).build());
  }

  static Resource get(Kind kind, String ns, String name) {
    return api().get(GetRequest.newBuilder().setKind(kind).setNamespace(ns).setName(name).build());
  }

  static Status.Code getError(Kind kind, String ns, String name) {
    try {
      get(kind, ns, name);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  static Resource service(String ns, String name, Map<String, String> selector) {
    var sel = com.google.protobuf.Struct.newBuilder();
    selector.forEach((k, v) -> sel.putFields(k, com.google.protobuf.Value.newBuilder().setStringValue(v).build()));
    return Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name))
        .setSpec(ServiceSpec.newBuilder().setSelector(sel).addPorts(ServicePort.newBuilder().setPort(80).setTargetPort("8080")))
        .build());
  }

  static Resource pod(String ns, String name, String ip, boolean ready, Map<String, String> labels) {
    return Kinds.wrap(Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).putAllLabels(labels))
        .setSpec(PodSpec.newBuilder().setNodeName("node-1").addContainers(Container.newBuilder().setName("c").setImage("app")))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")))
        .build());
  }

  static void awaitEndpoints(String ns, String name, Predicate<Set<String>> ready) throws InterruptedException {
    awaitEndpoints(api(), ns, name, ready);
  }

  /**
   * Waits until the published Endpoints' addresses satisfy {@code ready}: ready IPs as they are,
   * not-ready ones as "IP(not-ready)", as watch_endpoints.py prints them.
   */
  static void awaitEndpoints(ResourcesGrpc.ResourcesBlockingStub stub, String ns, String name, Predicate<Set<String>> ready)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Set<String> seen = Set.of();
    while (System.nanoTime() < deadline) {
      try {
        var ep = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .get(GetRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(ns).setName(name).build()).getEndpoints();
        Set<String> ips = new HashSet<>();
        ep.getSubsetsList().forEach(s -> {
          s.getAddressesList().stream().map(EndpointAddress::getIp).forEach(ips::add);
          s.getNotReadyAddressesList().forEach(a -> ips.add(a.getIp() + "(not-ready)"));
        });
        seen = ips;
        if (ready.test(ips)) return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) throw e;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("endpoints " + ns + "/" + name + " did not reach the expected ready addresses; last " + seen);
  }
}
