package io.svcplane.apiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.svcplane.api.v1.Ack;
import io.svcplane.api.v1.ApplyRequest;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Hello;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ProxyFeedGrpc;
import io.svcplane.api.v1.ProxyRequest;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.api.v1.WatchEvent;
import io.svcplane.api.v1.WatchRequest;
import io.svcplane.apiserver.auth.ApiSecurity;
import io.svcplane.core.Kinds;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.security.ClientTls;
import io.svcplane.security.OwnerOnlyFiles;
import io.svcplane.security.ServerTls;
import io.svcplane.security.TlsDiagnosis;
import io.svcplane.security.pki.CertificateAuthority;
import io.svcplane.security.pki.Pem;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secure apiserver on loopback (TLS, client certificates of the cluster CA, a static token
 * file, an RBAC policy) and real TLS clients: who is let in, who may do what, that a refused write
 * appends nothing, that a node proxy speaks only for its own node; and that nothing the server
 * logged meanwhile holds a token or a key.
 */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityTest {
  private static final String ADMIN_TOKEN = OwnerOnlyFiles.newToken();
  private static final String VIEWER_TOKEN = OwnerOnlyFiles.newToken();
  private static final String DEV_TOKEN = OwnerOnlyFiles.newToken();
  private static final String WRONG_TOKEN = OwnerOnlyFiles.newToken();

  @TempDir
  static Path dir;

  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
  private PrintStream originalErr;
  private TestCluster cluster;
  private int port;
  private String devNs;
  private String prodNs;

  @BeforeAll
  void start(TestKafka kafka) throws Exception {
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, logged), true, StandardCharsets.UTF_8));

    CertificateAuthority ca = CertificateAuthority.create("test-ca");
    write("ca", ca.certificate(), ca.key());
    write("apiserver", ca.issueServer(List.of("127.0.0.1", "localhost")));
    write("node-1", ca.issueClient("system:node:node-1", List.of("system:nodes")));
    write("alice", ca.issueClient("alice", List.of("devs")));
    CertificateAuthority other = CertificateAuthority.create("other-ca");
    write("other-ca", other.certificate(), other.key());
    write("mallory", other.issueClient("mallory", List.of("system:masters")));

    devNs = "sec-dev-" + Long.toString(System.nanoTime() % 1_000_000, 36);
    prodNs = "sec-prod-" + Long.toString(System.nanoTime() % 1_000_000, 36);
    OwnerOnlyFiles.write(dir.resolve("tokens.csv"), "# test tokens\n"
        + ADMIN_TOKEN + ",admin,admin,\"system:masters\"\n"
        + VIEWER_TOKEN + ",viewer,u-2,\"viewers,other\"\n"
        + DEV_TOKEN + ",dev,u-3\n");
    OwnerOnlyFiles.write(dir.resolve("policy.yaml"), """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: view}
        rules:
        - apiGroups: [""]
          resources: ["pods", "services", "endpoints", "nodes", "namespaces"]
          verbs: ["get", "list", "watch"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: viewers}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        subjects: [{kind: Group, name: viewers}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: edit, namespace: DEV}
        rules:
        - apiGroups: [""]
          resources: ["services", "pods", "endpoints"]
          verbs: ["*"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: dev-edit, namespace: DEV}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: edit}
        subjects: [{kind: User, name: dev}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: devs-view, namespace: DEV}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        subjects: [{kind: Group, name: devs}]
        """.replace("DEV", devNs));
    ApiSecurity security = ApiSecurity.load(new ServerTls(dir.resolve("apiserver.crt"), dir.resolve("apiserver.key"),
        dir.resolve("ca.crt")), dir.resolve("tokens.csv"), dir.resolve("policy.yaml"));
    cluster = TestCluster.start(kafka, b -> b.security(security).writerId("apiserver-security"));
    port = cluster.server.port();
    ResourcesGrpc.ResourcesBlockingStub admin = stub(token(ADMIN_TOKEN));
    admin.create(CreateRequest.newBuilder().setObject(TestCluster.namespace(devNs)).build());
    admin.create(CreateRequest.newBuilder().setObject(TestCluster.namespace(prodNs)).build());
    admin.create(CreateRequest.newBuilder().setObject(TestCluster.svc(prodNs, "web", 80)).build());
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (cluster != null) cluster.close();
    } finally {
      System.setErr(originalErr);
    }
    String log = logged.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("apiserver apiserver-security serving on port"), "the start line was captured:\n" + log);
    assertTrue(log.contains("3 tokens from " + dir.resolve("tokens.csv")), log);
    for (String secret : List.of(ADMIN_TOKEN, VIEWER_TOKEN, DEV_TOKEN, WRONG_TOKEN, "PRIVATE KEY",
        keyBody("apiserver"), keyBody("node-1"), keyBody("ca"))) {
      assertFalse(log.contains(secret), "the apiserver's log holds a secret (" + secret.substring(0, 8) + "...)");
    }
  }

  // ---- authentication -----------------------------------------------------------------------

  @Test
  void aCallWithoutTokenOrCertificateIsUnauthenticatedWhileHealthStaysOpen() throws Exception {
    ChannelCredentials anonymous = tls(null, null);
    StatusRuntimeException e = fails(() -> stub(anonymous).list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals("Unauthorized", e.getStatus().getDescription());
    var wrong = stub(token(WRONG_TOKEN));
    e = fails(() -> wrong.list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertFalse(e.getStatus().toString().contains(WRONG_TOKEN));

    ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, anonymous).build();
    try {
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus());
      BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
      var requests = ServerReflectionGrpc.newStub(ch).serverReflectionInfo(collect(answers));
      requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
      Object first = answers.poll(10, TimeUnit.SECONDS);
      assertTrue(first instanceof Throwable t && Status.fromThrowable(t).getCode() == Status.Code.UNAUTHENTICATED,
          "reflection needs a user: " + first);
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void aClientCertificateNamesTheUserAndItsGroups() throws Exception {
    ResourcesGrpc.ResourcesBlockingStub alice = stub(tls(dir.resolve("alice.crt"), dir.resolve("alice.key")));
    alice.list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(devNs).build());
    StatusRuntimeException e = fails(() -> alice.create(CreateRequest.newBuilder().setObject(TestCluster.svc(devNs, "a", 80)).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals("services is forbidden: User \"alice\" cannot create resource \"services\" in namespace \"" + devNs + "\"",
        e.getStatus().getDescription());
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    // A TLS client sends its certificate only when the server names its CA: this one goes unsent.
    var unsent = stub(tls(dir.resolve("mallory.crt"), dir.resolve("mallory.key")));
    StatusRuntimeException e = fails(() -> unsent.list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    // Sent anyway, it is refused in the handshake or by the authenticator; never is it a user.
    ChannelCredentials forced = TlsChannelCredentials.newBuilder().trustManager(dir.resolve("ca.crt").toFile())
        .keyManager(ForcedClientCertificate.of(dir.resolve("mallory.crt"), dir.resolve("mallory.key"))).build();
    e = fails(() -> stub(forced).list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()));
    assertTrue(e.getStatus().getCode() == Status.Code.UNAUTHENTICATED || e.getStatus().getCode() == Status.Code.UNAVAILABLE,
        e.getStatus().toString());
  }

  @Test
  void aPlaintextClientToTheTlsPortFailsCleanlyAndTheProbeSaysTheServerWantsTls() {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    try {
      StatusRuntimeException e = fails(() -> ResourcesGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    } finally {
      ch.shutdownNow();
    }
    assertTrue(TlsDiagnosis.speaksTls("127.0.0.1", port, Duration.ofSeconds(5)));
  }

  // ---- authorization ------------------------------------------------------------------------

  @Test
  void aReaderWhoWritesIsForbiddenAndTheLogGainsNoRecord() throws Exception {
    ResourcesGrpc.ResourcesBlockingStub viewer = stub(token(VIEWER_TOKEN));
    assertEquals(1, viewer.list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(prodNs).build()).getItemsCount());
    viewer.list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()); // every namespace: a cluster-wide view
    long before = cluster.resourceLogEnd();

    StatusRuntimeException e = fails(() -> viewer.create(CreateRequest.newBuilder().setObject(TestCluster.svc(prodNs, "x", 80)).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals("services is forbidden: User \"viewer\" cannot create resource \"services\" in namespace \"" + prodNs + "\"",
        e.getStatus().getDescription());
    e = fails(() -> viewer.apply(ApplyRequest.newBuilder().setObject(TestCluster.svc(prodNs, "web", 81)).build()));
    assertEquals("services \"web\" is forbidden: User \"viewer\" cannot patch resource \"services\" in namespace \"" + prodNs + "\"",
        e.getStatus().getDescription());
    e = fails(() -> viewer.delete(DeleteRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(prodNs).setName("web").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    var web = viewer.get(GetRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(prodNs).setName("web").build());
    e = fails(() -> viewer.update(UpdateRequest.newBuilder().setObject(web).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    e = fails(() -> viewer.updateStatus(UpdateRequest.newBuilder().setObject(web).build()));
    assertEquals("services \"web\" is forbidden: User \"viewer\" cannot update resource \"services/status\" in namespace \""
        + prodNs + "\"", e.getStatus().getDescription());
    e = fails(() -> viewer.create(CreateRequest.newBuilder().setObject(TestCluster.namespace("viewer-ns")).build()));
    assertEquals("namespaces is forbidden: User \"viewer\" cannot create resource \"namespaces\" at the cluster scope",
        e.getStatus().getDescription());

    assertEquals(before, cluster.resourceLogEnd(), "refused writes append nothing to svcplane.resources");
  }

  @Test
  void aRoleInOneNamespaceCannotSeeOrChangeAnother() throws Exception {
    ResourcesGrpc.ResourcesBlockingStub dev = stub(token(DEV_TOKEN));
    dev.create(CreateRequest.newBuilder().setObject(TestCluster.svc(devNs, "mine", 80)).build());
    dev.apply(ApplyRequest.newBuilder().setObject(TestCluster.svc(devNs, "mine", 80, 81)).build());
    assertEquals(1, dev.list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(devNs).build()).getItemsCount());
    long before = cluster.resourceLogEnd();

    StatusRuntimeException e = fails(() -> dev.get(GetRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(prodNs).setName("web").build()));
    assertEquals("services \"web\" is forbidden: User \"dev\" cannot get resource \"services\" in namespace \"" + prodNs + "\"",
        e.getStatus().getDescription());
    e = fails(() -> dev.list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(prodNs).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    e = fails(() -> dev.list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()));
    assertEquals("services is forbidden: User \"dev\" cannot list resource \"services\" at the cluster scope",
        e.getStatus().getDescription());
    e = fails(() -> dev.create(CreateRequest.newBuilder().setObject(TestCluster.svc(prodNs, "x", 80)).build()));
    assertEquals("services is forbidden: User \"dev\" cannot create resource \"services\" in namespace \"" + prodNs + "\"",
        e.getStatus().getDescription());
    e = fails(() -> dev.delete(DeleteRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(prodNs).setName("web").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(before, cluster.resourceLogEnd(), "refused writes append nothing");

    // Watch: its own namespace streams; another namespace, or all of them, is forbidden.
    assertEquals(Status.Code.PERMISSION_DENIED, watchStatus(dev, prodNs));
    assertEquals(Status.Code.PERMISSION_DENIED, watchStatus(dev, ""));
    Iterator<WatchEvent> own = stub(token(DEV_TOKEN)).withDeadlineAfter(30, TimeUnit.SECONDS).watch(
        WatchRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(devNs).setSendInitial(true).build());
    assertEquals("mine", own.next().getObject().getService().getMetadata().getName());
  }

  // ---- node proxies -------------------------------------------------------------------------

  @Test
  void aNodeProxyWithNode1sCertificateCannotSayHelloAckOrRegisterAsNode2() throws Exception {
    ChannelCredentials node1 = tls(dir.resolve("node-1.crt"), dir.resolve("node-1.key"));
    ResourcesGrpc.ResourcesBlockingStub admin = stub(token(ADMIN_TOKEN));

    // The feed for node-2: refused at hello, so there is no session to ACK on.
    Feed asNode2 = Feed.open(node1, port, "node-2");
    Object answer = asNode2.answers.poll(30, TimeUnit.SECONDS);
    assertTrue(answer instanceof Throwable, "the feed for node-2 is refused: " + answer);
    Status s = Status.fromThrowable((Throwable) answer);
    assertEquals(Status.Code.PERMISSION_DENIED, s.getCode());
    assertEquals("nodes \"node-2\" is forbidden: User \"system:node:node-1\" cannot create resource \"nodes\" at the cluster"
        + " scope: node \"node-1\" may only act for itself, not for node \"node-2\"", s.getDescription());
    asNode2.close();

    // Registering node-2 through the Resources API: refused as well.
    Node node2 = Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("node-2")).build();
    ResourcesGrpc.ResourcesBlockingStub asNode1 = stub(node1);
    StatusRuntimeException e = fails(() -> asNode1.create(CreateRequest.newBuilder().setObject(Kinds.wrap(node2)).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    e = fails(() -> asNode1.updateStatus(UpdateRequest.newBuilder().setObject(Kinds.wrap(node2)).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    e = fails(() -> asNode1.create(CreateRequest.newBuilder().setObject(TestCluster.svc(devNs, "from-a-node", 80)).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), "a node proxy writes no services");
    asNode1.list(ListRequest.newBuilder().setKind(Kind.SERVICE).build()); // it reads what every node is sent
    e = fails(() -> admin.get(GetRequest.newBuilder().setKind(Kind.NODE).setName("node-2").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "node-2 was never registered");

    // Its own node: the feed opens, its ACK is node-1's.
    Feed own = Feed.open(node1, port, "node-1");
    Object first = own.answers.poll(30, TimeUnit.SECONDS);
    assertTrue(first instanceof ProxyUpdate, "the snapshot for node-1: " + first);
    String version = ((ProxyUpdate) first).getVersion();
    own.requests.onNext(ProxyRequest.newBuilder().setAck(Ack.newBuilder().setVersion(version)).build());
    Node registered = await(() -> admin.get(GetRequest.newBuilder().setKind(Kind.NODE).setName("node-1").build()).getNode(),
        n -> n.getStatus().getProxy().getProgrammedVersion().equals(version), Duration.ofSeconds(30));
    assertEquals(version, registered.getStatus().getProxy().getProgrammedVersion());
    own.close();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static <T> T await(java.util.function.Supplier<T> value, java.util.function.Predicate<T> ok, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    T v = value.get();
    while (!ok.test(v) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      v = value.get();
    }
    return v;
  }

  private static Status.Code watchStatus(ResourcesGrpc.ResourcesBlockingStub stub, String namespace) {
    try {
      Iterator<WatchEvent> it = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .watch(WatchRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(namespace).setSendInitial(true).build());
      it.hasNext();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** One ProxyFeed stream: what the apiserver sent (updates, then possibly its end as a Throwable). */
  private record Feed(ManagedChannel channel, StreamObserver<ProxyRequest> requests, BlockingQueue<Object> answers) {
    static Feed open(ChannelCredentials creds, int port, String node) {
      ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, creds).build();
      BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
      StreamObserver<ProxyRequest> req = ProxyFeedGrpc.newStub(ch).stream(collect(answers));
      req.onNext(ProxyRequest.newBuilder().setHello(Hello.newBuilder().setNodeName(node).setNodeAddress("127.0.1.1")
          .setMode("dry-run")).build());
      return new Feed(ch, req, answers);
    }

    void close() {
      try {
        requests.onCompleted();
      } catch (RuntimeException ignored) {
        // already ended
      }
      channel.shutdownNow();
    }
  }

  private static <T> StreamObserver<T> collect(BlockingQueue<Object> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {
        into.add(t);
      }

      @Override
      public void onCompleted() {
        into.add("completed");
      }
    };
  }

  private ResourcesGrpc.ResourcesBlockingStub stub(ChannelCredentials creds) {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, creds).build();
    CHANNELS.add(ch);
    return ResourcesGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static final java.util.List<ManagedChannel> CHANNELS = new java.util.concurrent.CopyOnWriteArrayList<>();

  @AfterAll
  void closeChannels() {
    CHANNELS.forEach(ManagedChannel::shutdownNow);
  }

  private static ChannelCredentials token(String token) throws Exception {
    return ClientTls.of(dir.resolve("ca.crt"), null, null).withToken(token).credentials();
  }

  private static ChannelCredentials tls(Path cert, Path key) throws Exception {
    return ClientTls.of(dir.resolve("ca.crt"), cert, key).credentials();
  }

  private static StatusRuntimeException fails(Runnable r) {
    return TestCluster.expectError(r);
  }

  private static void write(String name, CertificateAuthority.Issued issued) throws Exception {
    write(name, issued.certificate(), issued.key());
  }

  private static void write(String name, java.security.cert.X509Certificate cert, java.security.PrivateKey key) throws Exception {
    OwnerOnlyFiles.write(dir.resolve(name + ".crt"), Pem.certificate(cert));
    OwnerOnlyFiles.write(dir.resolve(name + ".key"), Pem.privateKey(key));
  }

  /** A line from the middle of a key file's base64: if it shows up in a log, the key leaked. */
  private static String keyBody(String name) {
    try {
      return Files.readAllLines(dir.resolve(name + ".key")).get(1);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws java.io.IOException {
      a.write(c);
      synchronized (b) {
        b.write(c);
      }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      synchronized (b) {
        b.write(buf, off, len);
      }
    }
  }
}
