package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.eventlog.testing.KafkaExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Errors from a real apiserver, written as kubectl writes them, and the verbs that change objects. */
@ExtendWith({KafkaExtension.class, ApiServerExtension.class})
class ServerBehaviourTest {
  private static final AtomicInteger NAMESPACES = new AtomicInteger();
  private final Cli cli;

  ServerBehaviourTest(TestApiServer api) {
    cli = new Cli().server(api.address());
  }

  /** A fresh namespace per test: tests share the apiserver. */
  private String namespace() {
    String ns = "behaviour-" + NAMESPACES.incrementAndGet();
    Cli.Result r = cli.run("create", "namespace", ns);
    assertEquals("namespace/" + ns + " created\n", r.out(), r.toString());
    return ns;
  }

  private static String service(String name, int port) {
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\nspec:\n  ports:\n  - port: " + port + "\n";
  }

  private static void fails(Cli.Result r, String out, String err) {
    assertEquals(1, r.code(), r.toString());
    assertEquals(out, r.out(), r.toString());
    assertEquals(err, r.err(), r.toString());
  }

  @Test
  void validationErrorIsKubectlsInvalidLine() {
    String ns = namespace();
    fails(cli.runWithStdin(service("bad", 70000), "apply", "-n", ns, "-f", "-"), "",
        "The Service \"bad\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n");
    fails(cli.runWithStdin(service("bad", 70000).replace("spec:\n", "spec:\n  type: Foo\n"), "create", "-n", ns, "-f", "-"), "",
        "The Service \"bad\" is invalid: \n"
            + "* spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"\n"
            + "* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n");
    fails(cli.run("get", "svc", "bad", "-n", ns), "", "Error from server (NotFound): services \"bad\" not found\n");
  }

  @Test
  void oneBadDocumentDoesNotStopTheOthers() {
    String ns = namespace();
    String manifest = service("first", 80) + "---\n" + service("bad", 0) + "---\n" + service("third", 8080);
    fails(cli.runWithStdin(manifest, "create", "-n", ns, "-f", "-"), "service/first created\nservice/third created\n",
        "The Service \"bad\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive\n");
    Cli.Result names = cli.run("get", "svc", "-n", ns, "-o", "name");
    assertEquals("service/first\nservice/third\n", names.out(), names.toString());
  }

  @Test
  void alreadyExistsAndNotFoundNameTheObjectAndTheFile() {
    String ns = namespace();
    assertEquals(0, cli.run("create", "-n", ns, "-f", "../examples/svc-nginx.yaml").code());
    fails(cli.run("create", "-n", ns, "-f", "../examples/svc-nginx.yaml"), "",
        "Error from server (AlreadyExists): error when creating \"../examples/svc-nginx.yaml\": services \"svc-nginx\" already exists\n");
    fails(cli.run("get", "svc", "nope", "-n", ns), "", "Error from server (NotFound): services \"nope\" not found\n");
    fails(cli.run("describe", "svc", "nope", "-n", ns), "", "Error from server (NotFound): services \"nope\" not found\n");
    fails(cli.run("delete", "endpoints", "nope", "-n", ns), "", "Error from server (NotFound): endpoints \"nope\" not found\n");
    fails(cli.run("create", "-n", "no-such-namespace", "-f", "../examples/svc-nginx.yaml"), "",
        "Error from server (NotFound): error when creating \"../examples/svc-nginx.yaml\": namespaces \"no-such-namespace\" not found\n");
    fails(cli.run("get", "svc", "svc-nginx", "nope", "-n", ns, "-o", "name"), "service/svc-nginx\n",
        "Error from server (NotFound): services \"nope\" not found\n");
  }

  @Test
  void labelAddsOverwritesAndRemovesWithKubectlsMessages() {
    String ns = namespace();
    cli.runWithStdin(service("web", 80), "create", "-n", ns, "-f", "-");
    Cli.Result r = cli.run("label", "svc", "web", "app=nginx", "-n", ns);
    assertEquals("service/web labeled\n", r.out(), r.toString());
    fails(cli.run("label", "svc", "web", "app=other", "-n", ns), "",
        "error: 'app' already has a value (nginx), and --overwrite is false\n");
    assertEquals("service/web labeled\n", cli.run("label", "svc/web", "app=other", "tier=front", "--overwrite", "-n", ns).out());
    assertEquals("service/web not labeled\n", cli.run("label", "svc", "web", "app=other", "--overwrite", "-n", ns).out());
    assertEquals("service/web unlabeled\n", cli.run("label", "svc", "web", "tier-", "-n", ns).out());
    Cli.Result labels = cli.run("get", "svc", "web", "-n", ns, "-o", "yaml");
    assertTrue(labels.out().contains("  labels:\n    app: other\n  name: web\n"), labels.out());
  }

  @Test
  void deleteByNameAndByManifest() throws Exception {
    String ns = namespace();
    // The example's Endpoints name the default namespace: kubectl refuses to move them elsewhere.
    fails(cli.run("apply", "-n", ns, "-f", "../examples/nginx-svc-external.yaml"), "service/nginx-svc-external created\n",
        "error: the namespace from the provided object \"default\" does not match the namespace \"" + ns
            + "\". You must pass '--namespace=default' to perform this operation.\n");
    Path manifest = Files.createTempFile("svc-and-ep", ".yaml");
    Files.writeString(manifest, Files.readString(Path.of("../examples/nginx-svc-external.yaml"))
        .replace("  namespace: default\n", ""));
    assertEquals("service/nginx-svc-external unchanged\nendpoints/nginx-svc-external created\n",
        cli.run("apply", "-n", ns, "-f", manifest.toString()).out());
    Cli.Result r = cli.run("delete", "-n", ns, "-f", manifest.toString());
    assertEquals("service \"nginx-svc-external\" deleted\nendpoints \"nginx-svc-external\" deleted\n", r.out(), r.toString());
    assertEquals(0, r.code());
    fails(cli.run("delete", "-n", ns, "-f", manifest.toString()), "",
        "Error from server (NotFound): error when deleting \"" + manifest + "\": services \"nginx-svc-external\" not found\n"
            + "Error from server (NotFound): error when deleting \"" + manifest + "\": endpoints \"nginx-svc-external\" not found\n");
    Files.delete(manifest);
    cli.runWithStdin(service("a", 80) + "---\n" + service("b", 80), "create", "-n", ns, "-f", "-");
    assertEquals("service \"a\" deleted\nservice \"b\" deleted\n", cli.run("delete", "svc", "a", "b", "-n", ns).out());
    assertEquals("No resources found in " + ns + " namespace.\n", cli.run("get", "svc", "-n", ns).err());
    Cli.Result none = cli.run("delete", "svc", "-l", "app=nothing", "-n", ns);
    assertEquals(new Cli.Result(0, "No resources found\n", ""), none);
  }

  @Test
  void podDeletedWithAGracePeriodIsTerminatingUntilItGoes() throws Exception {
    String ns = namespace();
    assertEquals(0, cli.run("apply", "-n", ns, "-f", "../examples/nginx-pods.yaml").code());
    Cli.Result r = cli.run("delete", "pod", "nginx-deploy-7d9f-a", "--grace-period=30", "--wait=false", "-n", ns);
    assertEquals("pod \"nginx-deploy-7d9f-a\" deleted\n", r.out(), r.toString());
    Cli.Result get = cli.run("get", "pod", "nginx-deploy-7d9f-a", "-n", ns);
    assertTrue(get.out().lines().anyMatch(l -> l.matches("nginx-deploy-7d9f-a +1/1 +Terminating +0 +\\S+")), get.toString());
    assertTrue(cli.run("describe", "pod", "nginx-deploy-7d9f-a", "-n", ns).out()
        .contains("Status:                    Terminating (lasts "), "describe shows the pending delete");

    // With --wait (the default) svcctl returns once the pod is gone.
    long t0 = System.nanoTime();
    Cli.Result waited = cli.run("delete", "pod", "nginx-deploy-7d9f-b", "--grace-period=2", "-n", ns);
    assertEquals("pod \"nginx-deploy-7d9f-b\" deleted\n", waited.out(), waited.toString());
    // The apiserver keeps deletionTimestamp in whole seconds: a 2 s grace period lasts 1-2 s.
    assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(1000).toNanos(), "waited for the grace period");
    fails(cli.run("get", "pod", "nginx-deploy-7d9f-b", "-n", ns), "",
        "Error from server (NotFound): pods \"nginx-deploy-7d9f-b\" not found\n");
    // The manifest's pods have no terminationGracePeriodSeconds: kubectl's default (-1) deletes at once.
    assertEquals("pod \"nginx-deploy-7d9f-c\" deleted\n", cli.run("delete", "po/nginx-deploy-7d9f-c", "-n", ns).out());
  }
}
