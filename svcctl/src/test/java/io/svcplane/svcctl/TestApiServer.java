package io.svcplane.svcctl;

import com.google.protobuf.Timestamp;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.apiserver.ApiServer;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.TestKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A real apiserver on loopback over the test broker, with a gRPC stub for test setup, and a
 * stand-in for the endpoint controller (not part of these tests) that publishes Endpoints to
 * svcplane.endpoints exactly as the controller does.
 */
final class TestApiServer implements AutoCloseable {
  final TestKafka kafka;
  final ApiServer server;
  private final ManagedChannel channel;
  private KafkaProducer<String, ResourceEvent> producer;

  private TestApiServer(TestKafka kafka, ApiServer server) {
    this.kafka = kafka;
    this.server = server;
    this.channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create()).build();
  }

  /** Starts an apiserver on {@code port} (0: a free one) with its own writer identity. */
  static TestApiServer start(TestKafka kafka, int port, String writerId) {
    try {
      ApiServer s = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(port).writerId(writerId).build().start();
      return new TestApiServer(kafka, s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String address() {
    return "127.0.0.1:" + server.port();
  }

  ResourcesGrpc.ResourcesBlockingStub api() {
    return ResourcesGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** What the endpoint controller would append for this Endpoints object. */
  void publishEndpoints(Resource endpoints, Instant time) {
    if (producer == null) producer = new KafkaProducer<>(KafkaClients.of(kafka.bootstrapServers()).producer(null));
    ResourceEvent event = ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(Kinds.withTypeMeta(endpoints))
        .setTime(Timestamp.newBuilder().setSeconds(time.getEpochSecond())).setWriter("endpoint-controller/svcctl-test")
        .build();
    try {
      producer.send(new ProducerRecord<>(LogTopic.ENDPOINTS.topicName(), ObjectKey.of(endpoints).toString(), event)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("publishing Endpoints: " + e, e);
    }
  }

  @Override
  public void close() {
    if (producer != null) producer.close();
    channel.shutdownNow();
    server.stop();
  }
}
