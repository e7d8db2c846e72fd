package io.svcplane.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.services.HealthStatusManager;
import io.svcplane.security.pki.CertificateAuthority;
import io.svcplane.security.pki.Pem;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real TLS on loopback between gRPC channels and a server made from PEM files, and what each failure is called. */
class TlsChannelTest {
  @TempDir
  Path dir;

  private CertificateAuthority ca;
  private Server server;
  private final AtomicReference<String> authorization = new AtomicReference<>();
  private final AtomicReference<javax.net.ssl.SSLSession> session = new AtomicReference<>();

  @BeforeEach
  void pki() throws Exception {
    ca = CertificateAuthority.create("test-ca");
    write("ca", ca.certificate(), ca.key());
    write("server", ca.issueServer(List.of("127.0.0.1", "localhost")));
    write("localhost-only", ca.issueServer(List.of("localhost")));
    write("client", ca.issueClient("alice", List.of("devs")));
    CertificateAuthority other = CertificateAuthority.create("other-ca");
    write("other-ca", other.certificate(), other.key());
    write("other-client", other.issueClient("mallory", List.of("system:masters")));
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private void write(String name, CertificateAuthority.Issued issued) throws Exception {
    write(name, issued.certificate(), issued.key());
  }

  private void write(String name, java.security.cert.X509Certificate cert, java.security.PrivateKey key) throws Exception {
    OwnerOnlyFiles.write(dir.resolve(name + ".crt"), Pem.certificate(cert));
    OwnerOnlyFiles.write(dir.resolve(name + ".key"), Pem.privateKey(key));
  }

  private int serve(ServerCredentials creds) throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        authorization.set(headers.get(BearerToken.AUTHORIZATION));
        session.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), creds)
        .addService(ServerInterceptors.intercept(health.getHealthService(), capture)).build().start();
    return server.getPort();
  }

  private int serveTls(String cert) throws Exception {
    return serve(new ServerTls(dir.resolve(cert + ".crt"), dir.resolve(cert + ".key"), dir.resolve("ca.crt")).credentials());
  }

  private static void check(String host, int port, ClientTls tls) throws Exception {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress(host, port, tls.credentials()).build();
    try {
      HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }

  /** A key manager that presents this certificate whatever CAs the server asks for. */
  private javax.net.ssl.X509ExtendedKeyManager alwaysSending(String name) throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("k", Pem.readPrivateKey(dir.resolve(name + ".key")), new char[0],
        Pem.readCertificates(dir.resolve(name + ".crt")).toArray(java.security.cert.Certificate[]::new));
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, new char[0]);
    javax.net.ssl.X509ExtendedKeyManager base = (javax.net.ssl.X509ExtendedKeyManager) kmf.getKeyManagers()[0];
    return new javax.net.ssl.X509ExtendedKeyManager() {
      @Override
      public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
        return new String[] {"k"};
      }

      @Override
      public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
        return "k";
      }

      @Override
      public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
        return "k";
      }

      @Override
      public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
        return null;
      }

      @Override
      public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
        return null;
      }

      @Override
      public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
        return base.getCertificateChain(alias);
      }

      @Override
      public java.security.PrivateKey getPrivateKey(String alias) {
        return base.getPrivateKey(alias);
      }
    };
  }

  private ClientTls trusting(String caName) {
    return ClientTls.of(dir.resolve(caName + ".crt"), null, null);
  }

  @Test
  void aClientTrustingTheClusterCaConnectsAndSendsItsTokenOverTls() throws Exception {
    int port = serveTls("server");
    check("127.0.0.1", port, trusting("ca").withToken("s3cr3t-token"));
    assertEquals("Bearer s3cr3t-token", authorization.get());
    check("127.0.0.1", port, ClientTls.of(dir.resolve("ca.crt"), dir.resolve("client.crt"), dir.resolve("client.key")));
  }

  @Test
  void aClientCertificateOfAnotherCaIsNeverTakenAsAnIdentity() throws Exception {
    int port = serveTls("server");
    ClientCertificateVerifier verifier = new ClientCertificateVerifier(dir.resolve("ca.crt"));
    check("127.0.0.1", port, ClientTls.of(dir.resolve("ca.crt"), dir.resolve("client.crt"), dir.resolve("client.key")));
    assertEquals("CN=alice,O=devs", verifier.verify(session.get()).getSubjectX500Principal().getName());

    // A client offers a certificate only to a server that names its CA: another CA's goes unsent.
    session.set(null);
    check("127.0.0.1", port, ClientTls.of(dir.resolve("ca.crt"), dir.resolve("other-client.crt"), dir.resolve("other-client.key")));
    assertNull(verifier.verify(session.get()));

    // A client that sends it anyway: the TLS engine, asked for an optional client certificate,
    // may or may not end the handshake; either way the verifier refuses it.
    session.set(null);
    ManagedChannel forced = Grpc.newChannelBuilderForAddress("127.0.0.1", port, io.grpc.TlsChannelCredentials.newBuilder()
        .trustManager(dir.resolve("ca.crt").toFile()).keyManager(alwaysSending("other-client")).build()).build();
    try {
      HealthGrpc.newBlockingStub(forced).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    } finally {
      forced.shutdownNow();
    }
    if (session.get() != null) {
      var refused = assertThrows(java.security.cert.CertificateException.class, () -> verifier.verify(session.get()));
      assertTrue(refused.getMessage().startsWith("x509: certificate signed by unknown authority"), refused.getMessage());
    }
    check("127.0.0.1", port, trusting("ca"));
    assertNull(verifier.verify(session.get()), "no client certificate: no identity from it");
  }

  @Test
  void aServerCertificateOfAnotherCaIsRefusedByTheClient() throws Exception {
    int port = serveTls("server");
    var e = assertThrows(StatusRuntimeException.class, () -> check("127.0.0.1", port, trusting("other-ca").withToken("t")));
    assertEquals(TlsDiagnosis.Problem.UNKNOWN_AUTHORITY, TlsDiagnosis.classify(e), e.toString());
    assertNull(authorization.get(), "no call reached the server, no token was sent");
    assertTrue(TlsDiagnosis.explain(TlsDiagnosis.Problem.UNKNOWN_AUTHORITY, "127.0.0.1:" + port, trusting("other-ca"))
        .contains("is not signed by the CA in " + dir.resolve("other-ca.crt")));
  }

  @Test
  void aServerCertificateForAnotherNameIsRefused() throws Exception {
    int port = serveTls("localhost-only");
    var e = assertThrows(StatusRuntimeException.class, () -> check("127.0.0.1", port, trusting("ca")));
    assertEquals(TlsDiagnosis.Problem.WRONG_NAME, TlsDiagnosis.classify(e), e.toString());
  }

  @Test
  void aPlaintextClientToATlsPortFailsAndTheProbeSaysTheServerWantsTls() throws Exception {
    int port = serveTls("server");
    var e = assertThrows(StatusRuntimeException.class, () -> check("127.0.0.1", port, ClientTls.plaintext()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(TlsDiagnosis.speaksTls("127.0.0.1", port, Duration.ofSeconds(5)));
  }

  @Test
  void aTlsClientToAPlaintextPortIsToldTheServerDoesNotSpeakTls() throws Exception {
    int port = serve(InsecureServerCredentials.create());
    var e = assertThrows(StatusRuntimeException.class, () -> check("127.0.0.1", port, trusting("ca")));
    assertEquals(TlsDiagnosis.Problem.SERVER_NOT_TLS, TlsDiagnosis.classify(e), e.toString());
    assertFalse(TlsDiagnosis.speaksTls("127.0.0.1", port, Duration.ofSeconds(5)));
  }

  @Test
  void aTokenIsNeverSentOverPlaintext() throws Exception {
    int port = serve(InsecureServerCredentials.create());
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, io.grpc.InsecureChannelCredentials.create()).build();
    try {
      var e = assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(ch).withCallCredentials(new BearerToken("t0k3n"))
          .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertNull(authorization.get());
    } finally {
      ch.shutdownNow();
    }
    assertFalse(new BearerToken("t0k3n").toString().contains("t0k3n"));
    assertFalse(trusting("ca").withToken("t0k3n").toString().contains("t0k3n"));
  }

  @Test
  void keyFilesAreWrittenForTheOwnerOnly() throws Exception {
    assertNull(OwnerOnlyFiles.problem(dir.resolve("client.key")));
    Files.setPosixFilePermissions(dir.resolve("client.key"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertTrue(OwnerOnlyFiles.problem(dir.resolve("client.key")).contains("chmod 600"));
  }
}
