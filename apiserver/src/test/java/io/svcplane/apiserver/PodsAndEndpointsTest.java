package io.svcplane.apiserver;

import static io.svcplane.apiserver.TestCluster.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.svcplane.api.v1.ApplyResult;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.time.Duration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class PodsAndEndpointsTest {
  static TestCluster cluster;
  static String ns;

  @BeforeAll
  static void start(TestKafka kafka) throws Exception {
    cluster = TestCluster.start(kafka, b -> b.writerId("pods"));
    ns = cluster.newNamespace("pods");
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void podManifestKeepsItsStatusAndUpdateStatusChangesOnlyStatus() throws Exception {
    Pod applied = cluster.apply(TestCluster.example("nginx-pods.yaml", 0, ns)).getObject().getPod();
    assertEquals("Running", applied.getStatus().getPhase());
    assertEquals("10.244.167.211", applied.getStatus().getPodIp());
    assertEquals("True", applied.getStatus().getConditions(0).getStatus());
    assertEquals("TCP", applied.getSpec().getContainers(0).getPorts(0).getProtocol());

    // UpdateStatus: a new status is taken, labels sent along are not.
    Pod notReady = applied.toBuilder()
        .setMetadata(applied.getMetadata().toBuilder().putLabels("ignored", "yes"))
        .setStatus(applied.getStatus().toBuilder().setConditions(0, applied.getStatus().getConditions(0).toBuilder().setStatus("False")))
        .build();
    Pod afterStatus = cluster.api().updateStatus(UpdateRequest.newBuilder().setObject(Kinds.wrap(notReady)).build()).getPod();
    assertEquals("False", afterStatus.getStatus().getConditions(0).getStatus());
    assertEquals(applied.getMetadata().getLabelsMap(), afterStatus.getMetadata().getLabelsMap());

    // Update: labels are taken, the status sent along is not.
    Pod relabel = afterStatus.toBuilder().setMetadata(afterStatus.getMetadata().toBuilder().putLabels("tier", "web"))
        .setStatus(PodStatus.newBuilder().setPhase("Failed")).build();
    Pod afterUpdate = cluster.api().update(UpdateRequest.newBuilder().setObject(Kinds.wrap(relabel)).build()).getPod();
    assertEquals("web", afterUpdate.getMetadata().getLabelsMap().get("tier"));
    assertEquals("Running", afterUpdate.getStatus().getPhase());

    // A manifest without a status block keeps the stored status.
    Pod noStatus = TestCluster.example("nginx-pods.yaml", 0, ns).getPod().toBuilder().clearStatus().build();
    var r = cluster.apply(Kinds.wrap(noStatus.toBuilder().setMetadata(noStatus.getMetadata().toBuilder().putLabels("tier", "web")).build()));
    assertEquals(ApplyResult.UNCHANGED, r.getResult());
  }

  @Test
  void objectTooLargeForTheLogIsRejectedAndAppendsNothing() {
    Pod small = TestCluster.pod(ns, "huge", java.util.Map.of()).getPod();
    var container = small.getSpec().getContainers(0).toBuilder();
    for (int i = 0; i < 11; i++) container.addArgs("x".repeat(100_000));
    Pod huge = small.toBuilder().setSpec(small.getSpec().toBuilder().setContainers(0, container)).build();
    long before = cluster.resourceLogEnd();
    var e = expectError(() -> cluster.create(Kinds.wrap(huge)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("Request entity too large: Pod \"huge\" is "), e.getStatus().getDescription());
    assertEquals(before, cluster.resourceLogEnd());
    cluster.create(Kinds.wrap(small));
  }

  @Test
  void podWithoutStatusIsPending() {
    Pod p = cluster.create(TestCluster.pod(ns, "pending", java.util.Map.of())).getPod();
    assertEquals("Pending", p.getStatus().getPhase());
  }

  @Test
  void gracefulPodDeletionSetsDeletionTimestampThenDeletesWhenThePeriodEnds() throws Exception {
    cluster.create(TestCluster.pod(ns, "graceful", java.util.Map.of()));
    Pod terminating = cluster.api().delete(DeleteRequest.newBuilder().setKind(Kind.POD).setNamespace(ns).setName("graceful")
        .setGracePeriodSeconds(1).build()).getPod();
    assertTrue(terminating.getMetadata().hasDeletionTimestamp());
    assertEquals(1, terminating.getMetadata().getDeletionGracePeriodSeconds());
    assertTrue(cluster.get(Kind.POD, ns, "graceful").getPod().getMetadata().hasDeletionTimestamp());
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        cluster.get(Kind.POD, ns, "graceful");
      } catch (io.grpc.StatusRuntimeException e) {
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        break;
      }
      assertTrue(System.nanoTime() < deadline, "the pod outlived its grace period");
      Thread.sleep(100);
    }
  }

  @Test
  void endpointsReadsServeThePublishedViewAndApplyComparesWithTheWrittenOne() throws Exception {
    Endpoints user = Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName("external-db"))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("10.1.2.3"))
            .addPorts(EndpointPort.newBuilder().setPort(5432)))
        .build();
    Resource written = cluster.create(Kinds.wrap(user));
    assertEquals("TCP", written.getEndpoints().getSubsets(0).getPorts(0).getProtocol());
    // Not published yet: users see what the endpoint controller publishes.
    assertEquals(Status.Code.NOT_FOUND, expectError(() -> cluster.get(Kind.ENDPOINTS, ns, "external-db")).getStatus().getCode());
    assertEquals(ApplyResult.UNCHANGED, cluster.apply(Kinds.wrap(user)).getResult());

    // What the endpoint controller does for a selector-less service: forward the user's Endpoints.
    try (KafkaProducer<String, ResourceEvent> p = new KafkaProducer<>(
        KafkaClients.of(cluster.kafka.bootstrapServers()).producer(null))) {
      p.send(new ProducerRecord<>(LogTopic.ENDPOINTS.topicName(), ObjectKey.of(written).toString(),
          ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(written).build())).get();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Resource published = null;
    while (published == null) {
      try {
        published = cluster.get(Kind.ENDPOINTS, ns, "external-db");
      } catch (io.grpc.StatusRuntimeException e) {
        assertTrue(System.nanoTime() < deadline, "published Endpoints never showed");
        Thread.sleep(50);
      }
    }
    assertEquals("10.1.2.3", published.getEndpoints().getSubsets(0).getAddresses(0).getIp());
    assertEquals(1, cluster.api().list(ListRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace(ns).build()).getItemsCount());
  }
}
