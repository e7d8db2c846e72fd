package io.svcplane.security.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.security.ClientConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterPkiTest {
  @TempDir
  Path tmp;

  private String init(Path dir, List<String> names, List<String> nodes) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ClusterPki pki = new ClusterPki(dir, new PrintStream(out, true, StandardCharsets.UTF_8));
    CertificateAuthority ca = pki.ensureCa();
    pki.ensureServer(ca, "apiserver", names);
    for (String n : nodes) pki.ensureNode(ca, n);
    String token = pki.ensureAdminToken();
    pki.ensurePolicy();
    pki.ensureConfig("https://127.0.0.1:6443", token);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void initMakesEveryFileReadableByItsOwnerOnlyAndPrintsNoSecret() throws Exception {
    Path dir = tmp.resolve("state");
    String report = init(dir, List.of("127.0.0.1", "localhost"), List.of("node-1", "node-2"));
    assertEquals("700", mode(dir));
    assertEquals("700", mode(dir.resolve("pki")));
    for (String f : List.of("pki/ca.crt", "pki/ca.key", "pki/apiserver.crt", "pki/apiserver.key", "pki/node-1.crt",
        "pki/node-1.key", "pki/node-2.crt", "pki/node-2.key", "tokens.csv", "policy.yaml", "config")) {
      assertTrue(Files.exists(dir.resolve(f)), f);
      assertEquals("600", mode(dir.resolve(f)), f);
      assertTrue(report.contains(dir.resolve(f).toString()) || f.endsWith(".key"), "reported: " + f + "\n" + report);
    }
    assertFalse(report.contains("PRIVATE KEY"), report);
    String token = ClientConfig.load(dir.resolve("config")).token();
    assertFalse(report.contains(token), report);
    assertTrue(Files.readString(dir.resolve("pki/ca.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
    try (Stream<Path> files = Files.list(dir.resolve("pki"))) {
      assertEquals(8, files.count(), "no temporary files left");
    }
  }

  @Test
  void certificatesCarryTheIdentityAndAreSignedByTheClusterCa() throws Exception {
    Path dir = tmp.resolve("state");
    init(dir, List.of("127.0.0.1", "localhost", "apiserver"), List.of("node-1"));
    X509Certificate ca = Pem.readCertificates(dir.resolve("pki/ca.crt")).get(0);
    X509Certificate server = Pem.readCertificates(dir.resolve("pki/apiserver.crt")).get(0);
    X509Certificate node = Pem.readCertificates(dir.resolve("pki/node-1.crt")).get(0);
    server.verify(ca.getPublicKey());
    node.verify(ca.getPublicKey());
    assertTrue(ca.getBasicConstraints() >= 0, "the CA is a CA");
    assertEquals(-1, server.getBasicConstraints());
    assertEquals(Set.of("127.0.0.1", "localhost", "apiserver"), ClusterPki.sans(server));
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage(), "serverAuth");
    assertEquals(List.of("1.3.6.1.5.5.7.3.2"), node.getExtendedKeyUsage(), "clientAuth");
    assertEquals("CN=system:node:node-1,O=system:nodes", node.getSubjectX500Principal().getName());
    assertEquals("EC", Pem.readPrivateKey(dir.resolve("pki/node-1.key")).getAlgorithm());
  }

  @Test
  void aSecondInitKeepsEverythingAndNewNamesOrNodesIssueOnlyWhatChanged() throws Exception {
    Path dir = tmp.resolve("state");
    init(dir, List.of("127.0.0.1"), List.of("node-1"));
    String caBefore = Files.readString(dir.resolve("pki/ca.crt"));
    String nodeBefore = Files.readString(dir.resolve("pki/node-1.crt"));
    String tokensBefore = Files.readString(dir.resolve("tokens.csv"));
    assertEquals("", init(dir, List.of("127.0.0.1"), List.of("node-1")), "nothing to do");

    String report = init(dir, List.of("127.0.0.1", "10.0.0.9"), List.of("node-1", "node-2"));
    assertEquals(List.of("renewed " + dir.resolve("pki/apiserver.crt"), "created " + dir.resolve("pki/node-2.crt")),
        report.lines().toList());
    assertEquals(caBefore, Files.readString(dir.resolve("pki/ca.crt")));
    assertEquals(nodeBefore, Files.readString(dir.resolve("pki/node-1.crt")));
    assertEquals(tokensBefore, Files.readString(dir.resolve("tokens.csv")));
    assertEquals(Set.of("127.0.0.1", "10.0.0.9"), ClusterPki.sans(Pem.readCertificates(dir.resolve("pki/apiserver.crt")).get(0)));
  }

  @Test
  void theConfigurationNamesTheServerTheCaAndTheAdminToken() throws Exception {
    Path dir = tmp.resolve("state");
    init(dir, List.of("127.0.0.1"), List.of());
    ClientConfig c = ClientConfig.load(dir.resolve("config"));
    assertEquals("https://127.0.0.1:6443", c.server());
    assertEquals(dir.resolve("pki/ca.crt").toAbsolutePath(), c.caFile().toAbsolutePath().normalize());
    String tokens = Files.readString(dir.resolve("tokens.csv"));
    assertTrue(tokens.contains(c.token() + ",admin,admin,\"system:masters\"\n"), tokens);
    assertEquals(43, c.token().length());
    assertFalse(c.toString().contains(c.token()));
  }

  @Test
  void aCertificateOfAnotherCaIsIssuedAgain() throws Exception {
    Path dir = tmp.resolve("state");
    init(dir, List.of("127.0.0.1"), List.of("node-1"));
    Files.delete(dir.resolve("pki/ca.crt"));
    Files.delete(dir.resolve("pki/ca.key"));
    String report = init(dir, List.of("127.0.0.1"), List.of("node-1"));
    assertTrue(report.contains("renewed " + dir.resolve("pki/node-1.crt")), report);
    assertTrue(report.contains("renewed " + dir.resolve("pki/apiserver.crt")), report);
  }

  @Test
  void pemReadingErrorsNeverQuoteTheFile() throws Exception {
    Path f = tmp.resolve("bad.key");
    Files.writeString(f, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n");
    var e = assertThrows(java.io.IOException.class, () -> Pem.readPrivateKey(f));
    assertFalse(e.getMessage().contains("c2VjcmV0"), e.getMessage());
  }

  private static String mode(Path p) throws Exception {
    String s = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    int v = 0;
    for (char ch : s.toCharArray()) v = v * 2 + (ch == '-' ? 0 : 1);
    return Integer.toOctalString(v);
  }
}
