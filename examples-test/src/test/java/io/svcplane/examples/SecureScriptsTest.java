package io.svcplane.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python scripts against a secure apiserver: they read the configuration svcctl reads
 * ($SVCPLANE_CONFIG: server, CA, token), speak TLS with it, and show the apiserver's refusals as
 * kubectl does; without it they cannot talk to the TLS port.
 */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureScriptsTest {
  private static final String ADMIN = OwnerOnlyFiles.newToken();
  private static final String DEV = OwnerOnlyFiles.newToken();

  @TempDir
  static Path dir;

  private ApiServer server;
  private int port;

  @BeforeAll
  void start(TestKafka kafka) throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("scripts-ca");
    OwnerOnlyFiles.write(dir.resolve("ca.crt"), Pem.certificate(ca.certificate()));
    CertificateAuthority.Issued api = ca.issueServer(List.of("127.0.0.1", "localhost"));
    OwnerOnlyFiles.write(dir.resolve("apiserver.crt"), Pem.certificate(api.certificate()));
    OwnerOnlyFiles.write(dir.resolve("apiserver.key"), Pem.privateKey(api.key()));
    OwnerOnlyFiles.write(dir.resolve("tokens.csv"), ADMIN + ",admin,admin,\"system:masters\"\n" + DEV + ",dev,dev\n");
    OwnerOnlyFiles.write(dir.resolve("policy.yaml"), """
        kind: ClusterRole
        apiVersion: rbac.authorization.k8s.io/v1
        metadata: {name: view}
        rules: [{apiGroups: [""], resources: ["*"], verbs: [get, list, watch]}]
        ---
        kind: ClusterRoleBinding
        apiVersion: rbac.authorization.k8s.io/v1
        metadata: {name: dev-views}
        roleRef: {kind: ClusterRole, name: view}
        subjects: [{kind: User, name: dev}]
        """);
    server = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(0).writerId("scripts-secure")
        .security(ApiSecurity.load(new ServerTls(dir.resolve("apiserver.crt"), dir.resolve("apiserver.key"), dir.resolve("ca.crt")),
            dir.resolve("tokens.csv"), dir.resolve("policy.yaml")))
        .build().start();
    port = server.port();
    OwnerOnlyFiles.write(dir.resolve("admin.config"), ClientConfig.render("https://127.0.0.1:" + port, "ca.crt", ADMIN));
    OwnerOnlyFiles.write(dir.resolve("dev.config"), ClientConfig.render("https://127.0.0.1:" + port, "ca.crt", DEV));
  }

  @AfterAll
  void stop() {
    if (server != null) server.stop();
  }

  private Scripts.Result apply(Map<String, String> env, String... args) throws Exception {
    Path svc = Path.of("..", "examples", "svc-nginx.yaml").toAbsolutePath();
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.add(svc.toString());
    return Scripts.run(List.of(), "apply.py", all, env);
  }

  @Test
  void withTheAdminsConfigurationApplyTalksTlsWithTheTokenAndTheServerFromTheFile() throws Exception {
    Scripts.Result r = apply(Map.of("SVCPLANE_CONFIG", dir.resolve("admin.config").toString()), "-n", "default");
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("service/svc-nginx "), r.toString());
    assertFalse(r.toString().contains(ADMIN), "the token is never printed");
  }

  @Test
  void aReaderIsForbiddenAsKubectlSaysAndWithoutTheConfigurationTheTlsPortRefusesThePlaintextScript() throws Exception {
    Scripts.Result dev = apply(Map.of("SVCPLANE_CONFIG", dir.resolve("dev.config").toString()), "-n", "scripts-dev");
    assertNotEquals(0, dev.exitCode(), dev.toString());
    assertTrue(dev.stderr().contains("Error from server (Forbidden)") && dev.stderr().contains("User \"dev\" cannot"), dev.toString());
    assertFalse(dev.toString().contains(DEV), "the token is never printed");

    Scripts.Result plaintext = apply(Map.of("SVCPLANE_SERVER", "127.0.0.1:" + port), "-n", "default");
    assertNotEquals(0, plaintext.exitCode(), plaintext.toString());

    Scripts.Result missing = apply(Map.of("SVCPLANE_CONFIG", dir.resolve("nope").toString()), "-n", "default");
    assertEquals("error: the configuration file " + dir.resolve("nope") + " does not exist ($SVCPLANE_CONFIG)",
        missing.stderr().strip(), missing.toString());
  }
}
