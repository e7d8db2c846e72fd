package io.svcplane.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.apiserver.auth.ApiSecurity;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.security.ClientTls;
import io.svcplane.security.OwnerOnlyFiles;
import io.svcplane.security.ServerTls;
import io.svcplane.security.pki.CertificateAuthority;
import io.svcplane.security.pki.Pem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node proxies against a secure apiserver over real TLS: with its node's certificate a proxy
 * registers its Node and programs what it is sent; with another node's certificate it is refused
 * and that node is never registered.
 */
@ExtendWith(KafkaExtension.class)
class SecureFeedTest {
  @TempDir
  Path dir;

  @Test
  void aProxyRegistersOnlyTheNodeOfItsCertificate(TestKafka kafka) throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("test-ca");
    write("ca", ca.certificate(), ca.key());
    write("apiserver", ca.issueServer(List.of("127.0.0.1")));
    write("node-a", ca.issueClient("system:node:sec-node-a", List.of("system:nodes")));
    String admin = OwnerOnlyFiles.newToken();
    OwnerOnlyFiles.write(dir.resolve("tokens.csv"), admin + ",admin,admin,\"system:masters\"\n");
    ApiServer server = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(0).writerId("apiserver-secure-feed")
        .nodeNotReadyGrace(Duration.ofMillis(500))
        .security(ApiSecurity.load(new ServerTls(dir.resolve("apiserver.crt"), dir.resolve("apiserver.key"), dir.resolve("ca.crt")),
            dir.resolve("tokens.csv"), null))
        .build().start();
    String target = "127.0.0.1:" + server.port();
    ClientTls nodeA = ClientTls.of(dir.resolve("ca.crt"), dir.resolve("node-a.crt"), dir.resolve("node-a.key"));
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        ClientTls.of(dir.resolve("ca.crt"), null, null).withToken(admin).credentials()).build();
    var api = ResourcesGrpc.newBlockingStub(channel);
    try (var good = NodeProxy.start(new NodeProxy.Config("sec-node-a", "127.0.1.91", target, "dry-run", dir.resolve("a.json"), 1, nodeA));
        var impostor = NodeProxy.start(new NodeProxy.Config("sec-node-b", "127.0.1.92", target, "dry-run", dir.resolve("b.json"), 1, nodeA))) {
      Node a = await(() -> node(api, "sec-node-a"), n -> n != null && n.getStatus().getProxy().getConnected()
          && !n.getStatus().getProxy().getProgrammedVersion().isEmpty(), Duration.ofSeconds(60));
      assertTrue(a != null && a.getStatus().getProxy().getConnected(), "node a registered and programmed: " + a);
      assertTrue(good.health() == null, "node a programmed its first version");
      // The impostor has had the same time (and retries with backoff): nothing of it exists.
      assertEquals(null, node(api, "sec-node-b"));
      assertEquals("nothing programmed yet", impostor.health());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop();
    }
  }

  private static Node node(ResourcesGrpc.ResourcesBlockingStub api, String name) {
    try {
      return api.withDeadlineAfter(10, TimeUnit.SECONDS).get(GetRequest.newBuilder().setKind(Kind.NODE).setName(name).build()).getNode();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return null;
      throw e;
    }
  }

  private static <T> T await(java.util.function.Supplier<T> value, java.util.function.Predicate<T> ok, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    T v = value.get();
    while (!ok.test(v) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      v = value.get();
    }
    return v;
  }

  private void write(String name, CertificateAuthority.Issued issued) throws Exception {
    write(name, issued.certificate(), issued.key());
  }

  private void write(String name, java.security.cert.X509Certificate cert, java.security.PrivateKey key) throws Exception {
    OwnerOnlyFiles.write(dir.resolve(name + ".crt"), Pem.certificate(cert));
    OwnerOnlyFiles.write(dir.resolve(name + ".key"), Pem.privateKey(key));
  }
}
