package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What svcctl says without reaching a server: user mistakes caught locally, and no server at all. */
class OfflineCliTest {
  @TempDir Path dir;

  private final Cli cli = new Cli().server("127.0.0.1:" + FreePorts.loopback());

  private static void failsWith(Cli.Result r, String err) {
    assertEquals(1, r.code(), r.toString());
    assertEquals(err, r.err(), r.toString());
    assertEquals("", r.out(), r.toString());
  }

  @Test
  void missingFileIsNamed() {
    failsWith(cli.run("create", "-f", "x.yaml"), "error: the path \"x.yaml\" does not exist\n");
    failsWith(cli.run("apply", "-f", "x.yaml"), "error: the path \"x.yaml\" does not exist\n");
    failsWith(cli.run("delete", "-f", "x.yaml"), "error: the path \"x.yaml\" does not exist\n");
  }

  @Test
  void yamlSyntaxErrorSaysTheLine() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   bad: indent\n");
    failsWith(cli.run("apply", "-f", f.toString()),
        "error: error parsing " + f + ": at line 5, column 7: mapping values are not allowed here\n");
  }

  @Test
  void unknownFieldInAManifestIsNamedWithItsPath() throws Exception {
    Path f = dir.resolve("svc.yaml");
    Files.writeString(f, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n  - port: 80\n    tragetPort: 8080\n");
    failsWith(cli.run("create", "-f", f.toString()), "error: error validating \"" + f + "\": Service in version \"v1\""
        + " cannot be handled as a Service: strict decoding error: unknown field \"spec.ports[0].tragetPort\"\n");
  }

  @Test
  void unknownKindInAManifestAndOnTheCommandLine() throws Exception {
    Path f = dir.resolve("deploy.yaml");
    Files.writeString(f, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n");
    Cli.Result r = cli.run("apply", "-f", f.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: error validating \"" + f + "\": no matches for kind \"Deployment\" in version \"apps/v1\""), r.err());
    failsWith(cli.run("get", "foo"), "error: the server doesn't have a resource type \"foo\"\n");
    failsWith(cli.run("describe", "deployments", "x"), "error: the server doesn't have a resource type \"deployments\"\n");
  }

  @Test
  void serverThatIsNotRunningIsNamedWithHowToStartOne() {
    int port = FreePorts.loopback();
    Cli.Result r = new Cli().run("--server", "127.0.0.1:" + port, "get", "svc");
    failsWith(r, "The connection to the server 127.0.0.1:" + port + " was refused - did you specify the right host or port?\n"
        + "Start a local cluster with bin/svcplane up, or point svcctl at a running apiserver with --server HOST:PORT"
        + " or SVCPLANE_SERVER.\n");
  }

  @Test
  void serverFlagWorksAfterTheSubcommandAndEnvironmentIsTheFallback() {
    int port = FreePorts.loopback();
    assertTrue(new Cli().run("get", "svc", "--server", "127.0.0.1:" + port).err().contains("127.0.0.1:" + port + " was refused"));
    assertTrue(new Cli().server("127.0.0.1:" + port).run("get", "svc").err().contains("127.0.0.1:" + port + " was refused"));
  }

  @Test
  void manyDocumentsStopAtTheFirstRefusedConnection() {
    Cli.Result r = cli.run("create", "-f", "../examples/");
    assertEquals(1, r.code());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("The connection")).count(), r.err());
  }

  @Test
  void clientDryRunReadsEveryExampleWithoutAServer() {
    Cli.Result r = cli.run("create", "-f", "../examples/", "--dry-run=client");
    assertEquals(0, r.code(), r.toString());
    assertEquals("""
        service/my-external-domain created (dry run)
        pod/nginx-deploy-7d9f-a created (dry run)
        pod/nginx-deploy-7d9f-b created (dry run)
        pod/nginx-deploy-7d9f-c created (dry run)
        service/nginx-svc-external created (dry run)
        endpoints/nginx-svc-external created (dry run)
        service/svc-nginx created (dry run)
        """, r.out());
  }

  @Test
  void stdinIsAManifestSource() {
    Cli.Result r = cli.runWithStdin("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n{\"apiVersion\": \"v1\","
        + " \"kind\": \"Endpoints\", \"metadata\": {\"name\": \"a\"}}\n", "apply", "-f", "-", "--dry-run=client", "-o", "name");
    assertEquals(0, r.code(), r.toString());
    assertEquals("service/a\nendpoints/a\n", r.out());
  }

  @Test
  void namespaceOfTheManifestMustMatchAnExplicitNamespace() {
    Cli.Result r = cli.runWithStdin("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: prod}\n",
        "create", "-f", "-", "-n", "dev", "--dry-run=client");
    failsWith(r, "error: the namespace from the provided object \"prod\" does not match the namespace \"dev\"."
        + " You must pass '--namespace=prod' to perform this operation.\n");
  }

  @Test
  void commandLineMistakes() {
    failsWith(cli.run("get", "svc", "--bogus"), "error: unknown flag: --bogus\nSee 'svcctl get --help' for usage.\n");
    failsWith(cli.run("frobnicate"), "error: unknown command \"frobnicate\" for \"svcctl\"\nRun 'svcctl --help' for usage.\n");
    failsWith(cli.run("get", "svc", "-o", "table"),
        "error: unable to match a printer suitable for the output format \"table\", allowed formats are: json,name,wide,yaml\n");
    failsWith(cli.run("create"), "error: must specify one of -f and -k\n");
    failsWith(cli.run("label", "svc", "x"), "error: at least one label update is required\n");
    failsWith(cli.run("label", "svc", "x", "Bad Key=1"), "error: invalid label spec: Bad Key=1: name part must consist of"
        + " alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters\n");
    failsWith(cli.run("delete", "svc"), "error: resource(s) were provided, but no name was specified\n");
    failsWith(cli.run("--server", "nonsense:port", "get", "svc"),
        "error: invalid server address \"nonsense:port\" for --server: expected HOST:PORT, e.g. 127.0.0.1:6443\n");
    failsWith(cli.run("get"), "error: you must specify the type of resource to get. Valid resource types:"
        + " pods (po), services (svc), endpoints (ep), nodes (no), namespaces (ns)\n");
  }

  @Test
  void helpIsPrintedWithoutArguments() {
    Cli.Result r = cli.run();
    assertEquals(0, r.code());
    assertTrue(r.out().contains("Usage: svcctl"), r.out());
    Cli.Result get = cli.run("get", "--help");
    assertEquals(0, get.code(), get.toString());
    assertTrue(get.out().startsWith("Usage: svcctl get "), get.out());
    assertTrue(cli.run("label", "-h").out().contains("--overwrite"));
  }
}
