package io.svcplane.apiserver;

import static io.svcplane.apiserver.TestCluster.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.ListResponse;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class RestartAndFencingTest {

  static Resource nodePort(String ns, String name) {
    return Kinds.wrap(TestCluster.service(ns, name, 80).setSpec(ServiceSpec.newBuilder().setType("NodePort")
        .addPorts(ServicePort.newBuilder().setPort(80))).build());
  }

  static ListResponse services(TestCluster c, String ns) {
    return c.api().list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).build());
  }

  @Test
  void restartedApiserverAnswersWithTheSameObjectsVersionsAndAllocationsAndHandsNoAddressOutTwice(TestKafka kafka)
      throws Exception {
    String ns;
    ListResponse before;
    try (TestCluster a = TestCluster.start(kafka, b -> b.writerId("restart"))) {
      ns = a.newNamespace("restart");
      for (int i = 0; i < 10; i++) a.create(nodePort(ns, "before-" + i));
      a.create(TestCluster.pod(ns, "terminating", Map.of()));
      a.api().delete(DeleteRequest.newBuilder().setKind(Kind.POD).setNamespace(ns).setName("terminating")
          .setGracePeriodSeconds(3).build());
      before = services(a, ns);
    }
    try (TestCluster b = TestCluster.start(kafka, c -> c.writerId("restart"))) {
      ListResponse after = services(b, ns);
      assertEquals(before.getItemsList(), after.getItemsList());
      for (int i = 0; i < 10; i++) b.create(nodePort(ns, "after-" + i));
      Set<String> ips = new HashSet<>();
      Set<Integer> ports = new HashSet<>();
      for (Resource r : services(b, ns).getItemsList()) {
        ips.add(r.getService().getSpec().getClusterIp());
        ports.add(r.getService().getSpec().getPorts(0).getNodePort());
      }
      assertEquals(20, ips.size(), "a ClusterIP was handed out twice");
      assertEquals(20, ports.size(), "a NodePort was handed out twice");

      // The grace period begun before the restart still ends.
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (true) {
        try {
          b.get(Kind.POD, ns, "terminating");
        } catch (io.grpc.StatusRuntimeException e) {
          assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
          break;
        }
        assertTrue(System.nanoTime() < deadline, "the pod's grace period did not end after the restart");
        Thread.sleep(100);
      }
    }
  }

  @Test
  void secondApiserverWithTheSameWriterIdFencesTheFirst(TestKafka kafka) throws Exception {
    try (TestCluster first = TestCluster.start(kafka, b -> b.writerId("fencing"))) {
      String ns = first.newNamespace("fence");
      first.create(TestCluster.svc(ns, "before", 80));
      try (TestCluster second = TestCluster.start(kafka, b -> b.writerId("fencing"))) {
        long end = first.resourceLogEnd();
        var e = expectError(() -> first.create(TestCluster.svc(ns, "from-the-fenced-one", 80)));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("fenced"), e.getStatus().getDescription());
        assertEquals(end, first.resourceLogEnd(), "the fenced apiserver's write reached the log");
        // ...and every later one fails the same way, at once.
        assertEquals(Status.Code.UNAVAILABLE,
            expectError(() -> first.create(TestCluster.svc(ns, "again", 80))).getStatus().getCode());
        var health = HealthGrpc.newBlockingStub(first.channel).check(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, health.getStatus());

        second.create(TestCluster.svc(ns, "after", 80));
        assertEquals(2, services(second, ns).getItemsCount());
      }
    }
  }

  @Test
  void healthIsServingOnceTheLogIsFoldedAndNotServingAfterStop(TestKafka kafka) throws Exception {
    TestCluster c = TestCluster.start(kafka, b -> b.writerId("health"));
    try {
      var health = HealthGrpc.newBlockingStub(c.channel);
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.check(
          HealthCheckRequest.newBuilder().setService("svcplane.v1.Resources").build()).getStatus());
      var reflection = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(c.channel);
      var services = new java.util.concurrent.CompletableFuture<java.util.List<String>>();
      var requests = reflection.serverReflectionInfo(new io.grpc.stub.StreamObserver<>() {
        @Override
        public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
          services.complete(r.getListServicesResponse().getServiceList().stream()
              .map(io.grpc.reflection.v1.ServiceResponse::getName).toList());
        }

        @Override
        public void onError(Throwable t) {
          services.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {}
      });
      requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
      assertTrue(services.get(10, java.util.concurrent.TimeUnit.SECONDS).contains("svcplane.v1.Resources"));
      requests.onCompleted();
    } finally {
      c.server.stop();
    }
    assertTrue(!c.server.isServing());
    c.close();
  }
}
