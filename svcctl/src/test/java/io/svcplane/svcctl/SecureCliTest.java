package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.apiserver.ApiServer;
import io.svcplane.apiserver.auth.ApiSecurity;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.security.ClientConfig;
import io.svcplane.security.OwnerOnlyFiles;
import io.svcplane.security.ServerTls;
import io.svcplane.security.pki.CertificateAuthority;
import io.svcplane.security.pki.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * svcctl against a secure apiserver: credentials from flags, environment or a configuration
 * file; the apiserver's refusals as kubectl prints them; and TLS mistakes (plaintext to a TLS
 * port, TLS to a plaintext one, the wrong CA) each named with its fix.
 */
@ExtendWith({KafkaExtension.class, ApiServerExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureCliTest {
  private static final String ADMIN = OwnerOnlyFiles.newToken();
  private static final String DEV = OwnerOnlyFiles.newToken();

  @TempDir
  static Path dir;

  private ApiServer server;
  private String address;

  @BeforeAll
  void start(TestKafka kafka) throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("test-ca");
    write("ca", ca.certificate(), ca.key());
    write("apiserver", ca.issueServer(List.of("127.0.0.1", "localhost")));
    write("alice", ca.issueClient("alice", List.of("readers")));
    CertificateAuthority other = CertificateAuthority.create("other-ca");
    write("other-ca", other.certificate(), other.key());
    OwnerOnlyFiles.write(dir.resolve("tokens.csv"), ADMIN + ",admin,admin,\"system:masters\"\n" + DEV + ",dev,dev\n");
    OwnerOnlyFiles.write(dir.resolve("policy.yaml"), """
        kind: ClusterRole
        apiVersion: rbac.authorization.k8s.io/v1
        metadata: {name: view}
        rules: [{apiGroups: [""], resources: ["*"], verbs: [get, list, watch]}]
        ---
        kind: ClusterRoleBinding
        apiVersion: rbac.authorization.k8s.io/v1
        metadata: {name: readers}
        roleRef: {kind: ClusterRole, name: view}
        subjects: [{kind: Group, name: readers}, {kind: User, name: dev}]
        """);
    server = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(0).writerId("svcctl-secure")
        .security(ApiSecurity.load(new ServerTls(dir.resolve("apiserver.crt"), dir.resolve("apiserver.key"), dir.resolve("ca.crt")),
            dir.resolve("tokens.csv"), dir.resolve("policy.yaml")))
        .build().start();
    address = "127.0.0.1:" + server.port();
  }

  @AfterAll
  void stop() {
    if (server != null) server.stop();
  }

  private Cli cli() {
    return new Cli().server(address);
  }

  @Test
  void withoutCredentialsThePlaintextClientIsToldTheServerWantsTls() {
    Cli.Result r = cli().run("get", "svc");
    assertEquals(1, r.code(), r.toString());
    assertEquals("Unable to connect to the server: the server at " + address + " wants TLS, and this client spoke plaintext.\n"
        + "Give the cluster's CA with --ca-file and your credentials (--token, or --cert-file and --key-file), or its configuration"
        + " file with --config (bin/svcplane up writes .svcplane/config, which bin/svcctl reads by default).\n", r.err());
    Cli.Result http = new Cli().server("http://" + address).run("get", "svc");
    assertTrue(http.err().contains("wants TLS"), http.toString());
  }

  @Test
  void aCaWithoutCredentialsIsUnauthorizedAndSaysWhatToGive() {
    Cli.Result r = cli().run("get", "svc", "--ca-file", dir.resolve("ca.crt").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: You must be logged in to the server (Unauthorized)\nsvcctl sent no credentials"), r.toString());
    Cli.Result wrong = cli().run("get", "svc", "--ca-file", dir.resolve("ca.crt").toString(), "--token", "not-a-token");
    assertEquals("error: You must be logged in to the server (Unauthorized)\n", wrong.err());
    assertFalse(wrong.err().contains("not-a-token"));
  }

  @Test
  void theApiserversRefusalIsPrintedAsKubectlDoesAndNothingIsCreated() throws Exception {
    Path svc = dir.resolve("svc.yaml");
    Files.writeString(svc, "apiVersion: v1\nkind: Service\nmetadata:\n  name: refused\nspec:\n  ports:\n  - port: 80\n");
    Cli dev = cli().env("SVCPLANE_TOKEN", DEV);
    Cli.Result r = dev.run("--ca-file", dir.resolve("ca.crt").toString(), "create", "-f", svc.toString(), "-n", "default");
    assertEquals(1, r.code(), r.toString());
    assertEquals("Error from server (Forbidden): error when creating \"" + svc + "\": services is forbidden: User \"dev\" cannot"
        + " create resource \"services\" in namespace \"default\"\n", r.err());
    Cli.Result get = dev.run("--ca-file", dir.resolve("ca.crt").toString(), "get", "svc", "refused");
    assertEquals("Error from server (NotFound): services \"refused\" not found\n", get.err());
  }

  @Test
  void aConfigurationFileGivesServerCaAndTokenAndFlagsOverrideIt() throws Exception {
    OwnerOnlyFiles.write(dir.resolve("config"), ClientConfig.render("https://" + address, "ca.crt", ADMIN));
    Cli fromEnv = new Cli().env("SVCPLANE_CONFIG", dir.resolve("config").toString());
    Cli.Result created = fromEnv.run("create", "namespace", "secure-cli");
    assertEquals(0, created.code(), created.toString());
    assertEquals("namespace/secure-cli created\n", created.out());
    // --token beats the file's: dev may read, not create.
    Cli.Result asDev = fromEnv.run("--token", DEV, "create", "namespace", "secure-cli-2");
    assertEquals("Error from server (Forbidden): namespaces is forbidden: User \"dev\" cannot create resource \"namespaces\" at the"
        + " cluster scope\n", asDev.err());
    // A client certificate instead of the token.
    Cli.Result asAlice = new Cli().run("--config", dir.resolve("config").toString(), "--token", "", "--cert-file",
        dir.resolve("alice.crt").toString(), "--key-file", dir.resolve("alice.key").toString(), "get", "ns", "secure-cli");
    assertEquals(0, asAlice.code(), asAlice.toString());
    Cli.Result missing = new Cli().run("--config", dir.resolve("nope").toString(), "get", "ns");
    assertEquals("error: the configuration file " + dir.resolve("nope") + " does not exist (--config)\n", missing.err());
  }

  @Test
  void tlsToAPlaintextApiserverOrWithTheWrongCaIsNamed(TestApiServer plaintext) {
    Cli.Result r = new Cli().server(plaintext.address()).run("get", "svc", "--ca-file", dir.resolve("ca.crt").toString());
    assertEquals("Unable to connect to the server: the server at " + plaintext.address() + " does not speak TLS (an apiserver"
        + " started with --insecure?).\nTo talk plaintext to it, give the address as --server http://" + plaintext.address() + ".\n",
        r.err());
    assertEquals(0, new Cli().server("http://" + plaintext.address()).run("get", "ns", "default").code());

    Cli.Result wrongCa = cli().run("get", "svc", "--ca-file", dir.resolve("other-ca.crt").toString(), "--token", ADMIN);
    assertTrue(wrongCa.err().startsWith("Unable to connect to the server: the certificate of the server at " + address
        + " is not signed by the CA in " + dir.resolve("other-ca.crt") + " (x509: certificate signed by unknown authority)"),
        wrongCa.toString());
  }

  private static void write(String name, CertificateAuthority.Issued issued) throws Exception {
    write(name, issued.certificate(), issued.key());
  }

  private static void write(String name, java.security.cert.X509Certificate cert, java.security.PrivateKey key) throws Exception {
    OwnerOnlyFiles.write(dir.resolve(name + ".crt"), Pem.certificate(cert));
    OwnerOnlyFiles.write(dir.resolve(name + ".key"), Pem.privateKey(key));
  }
}
