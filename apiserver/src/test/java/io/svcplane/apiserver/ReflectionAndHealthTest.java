package io.svcplane.apiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A stock gRPC tool (grpcurl, grpc_cli, Postman) finds and calls the API through server
 * reflection and checks the apiserver through the standard health service: both stay on. Done
 * here with grpc-java's own reflection and health clients, as such a tool does it.
 */
@ExtendWith(KafkaExtension.class)
class ReflectionAndHealthTest {

  @Test
  void reflectionListsTheServicesAndServesTheirProtosAndHealthSaysServingUntilStop(TestKafka kafka) throws Exception {
    ApiServer server = ApiServer.builder(KafkaClients.of(kafka.bootstrapServers())).port(0).build().start();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
        .build();
    try {
      List<ServerReflectionResponse> listed = reflect(channel, ServerReflectionRequest.newBuilder().setListServices("").build());
      Set<String> services = listed.get(0).getListServicesResponse().getServiceList().stream()
          .map(ServiceResponse::getName).collect(Collectors.toSet());
      assertTrue(services.containsAll(Set.of("svcplane.v1.Resources", "svcplane.v1.ProxyFeed", "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")), services.toString());

      // The file that defines Resources, and with it every file it imports: enough to call Watch.
      List<ServerReflectionResponse> files = reflect(channel,
          ServerReflectionRequest.newBuilder().setFileContainingSymbol("svcplane.v1.Resources").build());
      Map<String, FileDescriptorProto> byName = new HashMap<>();
      for (ByteString b : files.get(0).getFileDescriptorResponse().getFileDescriptorProtoList()) {
        FileDescriptorProto f = FileDescriptorProto.parseFrom(b);
        byName.put(f.getName(), f);
      }
      assertTrue(byName.keySet().containsAll(Set.of("svcplane/v1/api.proto", "svcplane/v1/resources.proto",
          "svcplane/v1/events.proto", "svcplane/v1/meta.proto")), byName.keySet().toString());
      var resources = byName.get("svcplane/v1/api.proto").getServiceList().stream()
          .filter(s -> s.getName().equals("Resources")).findFirst().orElseThrow();
      var watch = resources.getMethodList().stream().filter(m -> m.getName().equals("Watch")).findFirst().orElseThrow();
      assertTrue(watch.getServerStreaming());
      assertEquals(".svcplane.v1.WatchRequest", watch.getInputType());

      var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder().setService("").build()).getStatus());
      assertEquals(ServingStatus.SERVING,
          health.check(HealthCheckRequest.newBuilder().setService("svcplane.v1.Resources").build()).getStatus());

      // A health watcher hears NOT_SERVING before the server goes away (load balancers drain first).
      LinkedBlockingQueue<Object> heard = new LinkedBlockingQueue<>();
      HealthGrpc.newStub(channel).watch(HealthCheckRequest.newBuilder().setService("svcplane.v1.Resources").build(),
          new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse r) {
              heard.add(r.getStatus());
            }

            @Override
            public void onError(Throwable t) {
              heard.add("ended");
            }

            @Override
            public void onCompleted() {
              heard.add("ended");
            }
          });
      assertEquals(ServingStatus.SERVING, heard.poll(10, TimeUnit.SECONDS));
      server.stop();
      assertEquals(ServingStatus.NOT_SERVING, heard.poll(10, TimeUnit.SECONDS));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop();
    }
  }

  /** One reflection request on its stream; the responses until the server completes. */
  static List<ServerReflectionResponse> reflect(ManagedChannel channel, ServerReflectionRequest request) throws Exception {
    LinkedBlockingQueue<Object> q = new LinkedBlockingQueue<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            q.add(r);
          }

          @Override
          public void onError(Throwable t) {
            q.add(t);
          }

          @Override
          public void onCompleted() {
            q.add("done");
          }
        });
    requests.onNext(request);
    requests.onCompleted();
    List<ServerReflectionResponse> out = new ArrayList<>();
    while (true) {
      Object o = q.poll(10, TimeUnit.SECONDS);
      if (o == null) throw new AssertionError("no answer from server reflection");
      if (o instanceof Throwable t) throw new AssertionError("server reflection failed: " + t, t);
      if (o.equals("done")) return out;
      out.add((ServerReflectionResponse) o);
    }
  }
}
