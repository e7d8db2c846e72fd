package io.svcplane.security.pki;

import io.svcplane.security.OwnerOnlyFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The security files of one cluster in its state directory, made on first start and kept
 * (only what is missing, about to expire or no longer matching is made again):
 *
 * <pre>
 * DIR/                       0700
 *   pki/                     0700, every file 0600
 *     ca.crt ca.key          the cluster CA (10 years)
 *     apiserver.crt .key     the apiserver's serving certificate: its names and addresses
 *     NODE.crt NODE.key      one client certificate per node proxy: CN=system:node:NODE, O=system:nodes
 *   tokens.csv               the apiserver's static token file: the admin's token (group system:masters)
 *   policy.yaml              the authorization policy (RBAC roles and bindings); written once, yours to edit
 *   config                   svcctl's configuration (kubeconfig-style): server, CA, the admin's token
 * </pre>
 *
 * Nothing here prints a token or a key.
 */
public final class ClusterPki {
  /** Leaf certificates expiring sooner than this are issued again. */
  static final Duration RENEW_BEFORE = Duration.ofDays(30);
  public static final String ADMIN_USER = "admin";
  public static final String MASTERS_GROUP = "system:masters";
  public static final String NODES_GROUP = "system:nodes";
  public static final String NODE_USER_PREFIX = "system:node:";

  private final Path dir;
  private final Path pki;
  private final PrintStream report;

  public ClusterPki(Path dir, PrintStream report) {
    this.dir = dir;
    this.pki = dir.resolve("pki");
    this.report = report;
  }

  public Path pkiDir() {
    return pki;
  }

  public Path caCert() {
    return pki.resolve("ca.crt");
  }

  public Path cert(String name) {
    return pki.resolve(name + ".crt");
  }

  public Path key(String name) {
    return pki.resolve(name + ".key");
  }

  public Path tokensFile() {
    return dir.resolve("tokens.csv");
  }

  public Path policyFile() {
    return dir.resolve("policy.yaml");
  }

  public Path configFile() {
    return dir.resolve("config");
  }

  /** Loads the CA, making it first if there is none. */
  public CertificateAuthority ensureCa() throws IOException {
    OwnerOnlyFiles.directory(dir);
    OwnerOnlyFiles.directory(pki);
    Path crt = caCert();
    Path key = pki.resolve("ca.key");
    if (Files.exists(crt) && Files.exists(key)) {
      return new CertificateAuthority(Pem.readCertificates(crt).get(0), Pem.readPrivateKey(key));
    }
    CertificateAuthority ca = CertificateAuthority.create("svcplane-ca");
    OwnerOnlyFiles.write(key, Pem.privateKey(ca.key()));
    OwnerOnlyFiles.write(crt, Pem.certificate(ca.certificate()));
    created(crt);
    return ca;
  }

  /** The apiserver's serving certificate for these names and addresses. */
  public void ensureServer(CertificateAuthority ca, String name, List<String> namesAndAddresses) throws IOException {
    X509Certificate have = current(ca, name);
    if (have != null && sans(have).equals(new LinkedHashSet<>(normalized(namesAndAddresses)))) return;
    write(name, ca.issueServer(namesAndAddresses), Files.exists(cert(name)));
  }

  /** A client certificate for {@code user} in {@code groups}, in pki/NAME.crt and NAME.key. */
  public void ensureClient(CertificateAuthority ca, String name, String user, List<String> groups) throws IOException {
    X509Certificate have = current(ca, name);
    if (have != null && have.getSubjectX500Principal().equals(CertificateAuthority.clientSubject(user, groups))) return;
    write(name, ca.issueClient(user, groups), Files.exists(cert(name)));
  }

  /** A node proxy's client certificate: CN=system:node:NODE, O=system:nodes. */
  public void ensureNode(CertificateAuthority ca, String node) throws IOException {
    ensureClient(ca, node, NODE_USER_PREFIX + node, List.of(NODES_GROUP));
  }

  /**
   * The admin's token in the static token file (a line for user admin in group system:masters),
   * made if the file has no admin line; returns it (for the client configuration only).
   */
  public String ensureAdminToken() throws IOException {
    Path f = tokensFile();
    List<String> lines = Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : new ArrayList<>();
    for (String l : lines) {
      String[] p = l.split(",", 3);
      if (p.length >= 2 && p[1].trim().equals(ADMIN_USER) && !l.startsWith("#")) return p[0].trim();
    }
    String token = OwnerOnlyFiles.newToken();
    List<String> out = new ArrayList<>(lines);
    if (out.isEmpty()) {
      out.add("# svcplane static token file (Kubernetes' format): token,user,uid,\"group1,group2\"");
      out.add("# Read by the apiserver at start (--token-auth-file); restart it after a change.");
    }
    out.add(token + "," + ADMIN_USER + "," + ADMIN_USER + ",\"" + MASTERS_GROUP + "\"");
    OwnerOnlyFiles.write(f, String.join("\n", out) + "\n");
    created(f);
    return token;
  }

  /** The default policy, if there is no policy file yet (an existing one is the user's). */
  public void ensurePolicy() throws IOException {
    Path f = policyFile();
    if (Files.exists(f)) return;
    try (var in = ClusterPki.class.getResourceAsStream("default-policy.yaml")) {
      OwnerOnlyFiles.write(f, Objects.requireNonNull(in, "default-policy.yaml").readAllBytes());
    }
    created(f);
  }

  /** svcctl's configuration for the admin: this server, the CA, the token. Rewritten when it differs. */
  public void ensureConfig(String server, String token) throws IOException {
    String text = io.svcplane.security.ClientConfig.render(server,
        configFile().toAbsolutePath().getParent().relativize(caCert().toAbsolutePath()).toString(), token);
    Path f = configFile();
    if (Files.exists(f) && Files.readString(f).equals(text)) return;
    boolean existed = Files.exists(f);
    OwnerOnlyFiles.write(f, text);
    if (!existed) created(f);
    else report.println("updated " + f);
  }

  /** The certificate pki/NAME.crt if it exists, is signed by {@code ca} and does not expire soon; else null. */
  private X509Certificate current(CertificateAuthority ca, String name) throws IOException {
    Path crt = cert(name);
    if (!Files.exists(crt) || !Files.exists(key(name))) return null;
    X509Certificate c = Pem.readCertificates(crt).get(0);
    try {
      PublicKey caKey = ca.certificate().getPublicKey();
      c.verify(caKey);
    } catch (java.security.GeneralSecurityException e) {
      return null;
    }
    if (c.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) return null;
    return c;
  }

  private void write(String name, CertificateAuthority.Issued issued, boolean renewed) throws IOException {
    OwnerOnlyFiles.write(key(name), Pem.privateKey(issued.key()));
    OwnerOnlyFiles.write(cert(name), Pem.certificate(issued.certificate()));
    if (renewed) report.println("renewed " + cert(name));
    else created(cert(name));
  }

  private void created(Path f) {
    report.println("created " + f);
  }

  static Set<String> sans(X509Certificate c) {
    Set<String> out = new LinkedHashSet<>();
    try {
      Collection<List<?>> names = c.getSubjectAlternativeNames();
      if (names != null) for (List<?> n : names) out.add(String.valueOf(n.get(1)));
    } catch (CertificateParsingException e) {
      return Set.of();
    }
    return out;
  }

  private static List<String> normalized(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (n.matches("\\d{1,3}(\\.\\d{1,3}){3}") || n.contains(":")) {
        try {
          out.add(InetAddress.getByName(n).getHostAddress());
          continue;
        } catch (java.net.UnknownHostException e) {
          throw new IllegalArgumentException("not an IP address: " + n);
        }
      }
      out.add(n);
    }
    return out;
  }
}
