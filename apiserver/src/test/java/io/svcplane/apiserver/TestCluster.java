package io.svcplane.apiserver;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.ApplyRequest;
import io.svcplane.api.v1.ApplyResponse;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.DeleteRequest;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.allocation.NodePortRange;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.manifest.Manifests;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** An apiserver on the test broker with a real gRPC channel on loopback, plus object builders. */
final class TestCluster implements AutoCloseable {
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  final TestKafka kafka;
  final ApiServer server;
  final ManagedChannel channel;
  final ResourcesGrpc.ResourcesBlockingStub api;

  private TestCluster(TestKafka kafka, ApiServer server) {
    this.kafka = kafka;
    this.server = server;
    this.channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create()).build();
    this.api = ResourcesGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static TestCluster start(TestKafka kafka) throws Exception {
    return start(kafka, b -> {});
  }

  static TestCluster start(TestKafka kafka, Consumer<ApiServer.Builder> configure) throws Exception {
    // Nodes left Ready in the shared log by an earlier test class would otherwise get a
    // Ready=Unknown write from every apiserver that lives past the grace, in the middle of a test
    // that counts the log's records. No test here is about that grace.
    ApiServer.Builder b = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(0)
        .nodeNotReadyGrace(Duration.ofHours(1));
    configure.accept(b);
    return new TestCluster(kafka, b.build().start());
  }

  ResourcesGrpc.ResourcesBlockingStub api() {
    return ResourcesGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** A fresh namespace for one test, so tests sharing the broker do not see each other's objects. */
  String newNamespace(String prefix) {
    String name = prefix + "-" + NAMESPACES.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100000, 36);
    api().create(CreateRequest.newBuilder().setObject(namespace(name)).build());
    return name;
  }

  /** Creates without waiting: the future completes with the answer, or fails with its status. */
  CompletableFuture<Resource> createAsync(Resource r) {
    CompletableFuture<Resource> f = new CompletableFuture<>();
    ResourcesGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .create(CreateRequest.newBuilder().setObject(r).build(), new io.grpc.stub.StreamObserver<>() {
          @Override
          public void onNext(Resource value) {
            f.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            f.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    return f;
  }

  Resource create(Resource r) {
    return api().create(CreateRequest.newBuilder().setObject(r).build());
  }

  ApplyResponse apply(Resource r) {
    return api().apply(ApplyRequest.newBuilder().setObject(r).build());
  }

  Resource get(Kind kind, String ns, String name) {
    return api().get(GetRequest.newBuilder().setKind(kind).setNamespace(ns).setName(name).build());
  }

  Resource delete(Kind kind, String ns, String name) {
    return api().delete(DeleteRequest.newBuilder().setKind(kind).setNamespace(ns).setName(name).build());
  }

  /** Records (and transaction markers) on svcplane.resources: a rejected write adds none. */
  long resourceLogEnd() {
    var uncommitted = KafkaClients.of(kafka.bootstrapServers()).consumer(null);
    uncommitted.put("isolation.level", "read_uncommitted");
    var committed = KafkaClients.of(kafka.bootstrapServers()).consumer(null);
    committed.put("isolation.level", "read_committed");
    try (KafkaConsumer<String, ?> all = new KafkaConsumer<>(uncommitted);
        KafkaConsumer<String, ?> stable = new KafkaConsumer<>(committed)) {
      List<TopicPartition> tps = all.partitionsFor(LogTopic.RESOURCES.topicName(), Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      // Log end offsets (not the last stable offset): anything appended at all counts. But a
      // commit returns before the coordinator has written its marker to the partition, so the end
      // of a log whose last transaction was just answered can still grow by one. Wait (bounded)
      // until no transaction is open, i.e. the stable offset has caught up with the end.
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (true) {
        Map<TopicPartition, Long> end = all.endOffsets(tps);
        if (end.equals(stable.endOffsets(tps)) || System.nanoTime() > deadline) {
          return end.values().stream().mapToLong(Long::longValue).sum();
        }
        Thread.onSpinWait();
      }
    }
  }

  static StatusRuntimeException expectError(Runnable r) {
    try {
      r.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected an error status");
  }

  static Resource namespace(String name) {
    return Kinds.wrap(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name)).build());
  }

  static Service.Builder service(String ns, String name, int... ports) {
    ServiceSpec.Builder spec = ServiceSpec.newBuilder();
    for (int i = 0; i < ports.length; i++) {
      ServicePort.Builder p = ServicePort.newBuilder().setPort(ports[i]);
      if (ports.length > 1) p.setName("p" + ports[i]);
      spec.addPorts(p);
    }
    return Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name)).setSpec(spec);
  }

  static Resource svc(String ns, String name, int... ports) {
    return Kinds.wrap(service(ns, name, ports).build());
  }

  static Resource pod(String ns, String name, Map<String, String> labels) {
    return Kinds.wrap(Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).putAllLabels(labels))
        .setSpec(PodSpec.newBuilder().addContainers(io.svcplane.api.v1.Container.newBuilder().setName("c").setImage("nginx")))
        .build());
  }

  /** One object of an example manifest under /examples, with its namespace set. */
  static Resource example(String file, int index, String namespace) throws Exception {
    Path p = Path.of("..", "examples", file);
    var docs = Manifests.read(Files.readString(p));
    Resource r = docs.get(index).resource();
    return Kinds.withMetadata(r, Kinds.metadata(r).toBuilder().setNamespace(namespace).build());
  }

  static ServiceCidr cidr(String s) {
    return ServiceCidr.parse(s);
  }

  static NodePortRange ports(String s) {
    return NodePortRange.parse(s);
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.stop();
  }
}
