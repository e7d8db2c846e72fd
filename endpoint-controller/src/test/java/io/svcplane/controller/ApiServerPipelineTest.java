package io.svcplane.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.core.Kinds;
import io.svcplane.core.manifest.Manifests;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The whole pipeline: apiserver writes -> controller -> svcplane.endpoints -> apiserver Get of kind ENDPOINTS. */
@ExtendWith(KafkaExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiServerPipelineTest {
  private final KafkaClients clients;
  private ApiServer apiserver;
  private EndpointController controller;
  private ManagedChannel channel;

  ApiServerPipelineTest(TestKafka kafka) {
    this.clients = KafkaClients.of(kafka.bootstrapServers());
  }

  @BeforeAll
  void start() throws Exception {
    apiserver = ApiServer.builder(clients).port(0).build().start();
    controller = EndpointController.start(new EndpointController.Settings(clients, "pipeline-test"));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", apiserver.port(), InsecureChannelCredentials.create()).build();
  }

  @AfterAll
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    controller.close();
    apiserver.stop();
  }

  ResourcesGrpc.ResourcesBlockingStub api() {
    return ResourcesGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** A namespace of its own for each test (the apiserver wants it to exist). */
  String newNamespace() {
    String ns = "pipe-" + UUID.randomUUID().toString().substring(0, 6);
    api().create(CreateRequest.newBuilder().setObject(Kinds.wrap(io.svcplane.api.v1.Namespace.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(ns)).build())).build());
    return ns;
  }

  static Path examples() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("examples"))) p = p.getParent();
    if (p == null) throw new IllegalStateException("no examples/ directory above " + Path.of("").toAbsolutePath());
    return p.resolve("examples");
  }

  /** Creates every object of an example manifest in namespace {@code ns}. */
  List<Resource> createExample(String file, String ns) throws Exception {
    List<Resource> created = new java.util.ArrayList<>();
    for (Manifests.Document d : Manifests.read(Files.readString(examples().resolve(file)))) {
      Resource r = d.resource();
      r = Kinds.withMetadata(r, Kinds.metadata(r).toBuilder().setNamespace(ns).build());
      created.add(api().create(CreateRequest.newBuilder().setObject(r).build()));
    }
    return created;
  }

  /** Polls Get of the Endpoints until the condition holds (NOT_FOUND counts as absent). */
  Endpoints awaitEndpoints(String ns, String name, Predicate<Endpoints> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Endpoints last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = api().get(GetRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(ns).setName(name).build()).getEndpoints();
        if (condition.test(last)) return last;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) throw e;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("Endpoints " + ns + "/" + name + " did not meet the condition; last: " + last);
  }

  static List<String> ips(List<EndpointAddress> as) {
    return as.stream().map(EndpointAddress::getIp).toList();
  }

  @Test
  void exampleServiceAndPodsGetTheirEndpointsServedByTheApiserver() throws Exception {
    String ns = newNamespace();
    createExample("svc-nginx.yaml", ns);
    createExample("nginx-pods.yaml", ns);
    Endpoints e = awaitEndpoints(ns, "svc-nginx", x -> x.getSubsetsCount() == 1
        && x.getSubsets(0).getAddressesCount() == 2 && x.getSubsets(0).getNotReadyAddressesCount() == 1);
    EndpointSubset s = e.getSubsets(0);
    assertEquals(List.of("10.244.167.211", "10.244.203.37"), ips(s.getAddressesList()));
    assertEquals(List.of("10.244.203.38"), ips(s.getNotReadyAddressesList()));
    assertEquals("web", s.getPorts(0).getName());
    assertEquals(80, s.getPorts(0).getPort());
    assertEquals("TCP", s.getPorts(0).getProtocol());
    assertEquals("nginx-deploy-7d9f-a", s.getAddresses(0).getTargetRef().getName());
    assertEquals("node-1", s.getAddresses(0).getNodeName());
    assertEquals("nginx", e.getMetadata().getLabelsOrThrow("app"));

    api().delete(DeleteRequest.newBuilder().setKind(Kind.POD).setNamespace(ns).setName("nginx-deploy-7d9f-a").build());
    awaitEndpoints(ns, "svc-nginx", x -> ips(x.getSubsets(0).getAddressesList()).equals(List.of("10.244.203.37")));

    api().delete(DeleteRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).setName("svc-nginx").build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        api().get(GetRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(ns).setName("svc-nginx").build());
      } catch (StatusRuntimeException gone) {
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        break;
      }
      if (System.nanoTime() > deadline) throw new AssertionError("Endpoints not deleted with their service");
      Thread.sleep(50);
    }
  }

  @Test
  void userEndpointsOfASelectorlessServiceAreServedAsWritten() throws Exception {
    String ns = newNamespace();
    Endpoints written = createExample("nginx-svc-external.yaml", ns).stream()
        .filter(Resource::hasEndpoints).findFirst().orElseThrow().getEndpoints();
    Endpoints e = awaitEndpoints(ns, "nginx-svc-external", x -> x.getSubsetsCount() == 1);
    assertEquals(List.of("192.168.80.1"), ips(e.getSubsets(0).getAddressesList()));
    assertEquals(8081, e.getSubsets(0).getPorts(0).getPort());
    assertEquals("web", e.getSubsets(0).getPorts(0).getName());
    assertEquals("nginx", e.getMetadata().getLabelsOrThrow("app"));
    assertEquals(strip(written), strip(e), "forwarded as the user wrote them");
  }

  static Endpoints strip(Endpoints e) {
    return e.toBuilder().setMetadata(e.getMetadata().toBuilder().clearResourceVersion()).build();
  }

  @Test
  void externalNameExampleGetsNoEndpoints() throws Exception {
    String ns = newNamespace();
    createExample("my-external-domain.yaml", ns);
    // Later writes of the same namespace: once their Endpoints are served, the ExternalName one was handled.
    createExample("svc-nginx.yaml", ns);
    createExample("nginx-pods.yaml", ns);
    awaitEndpoints(ns, "svc-nginx", x -> x.getSubsetsCount() == 1);
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
        () -> api().get(GetRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(ns).setName("my-external-domain").build()));
    assertEquals(Status.Code.NOT_FOUND, none.getStatus().getCode());
  }
}
