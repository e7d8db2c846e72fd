package io.svcplane.apiserver.feed;

import io.grpc.Channel;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.UpdateRequest;
import io.svcplane.core.Kinds;
import java.util.concurrent.TimeUnit;

/** Writes Nodes through the Resources gRPC API (typically an in-process channel to the same server). */
public final class ResourcesNodeWriter implements NodeWriter {
  private final ResourcesGrpc.ResourcesBlockingStub stub;

  public ResourcesNodeWriter(Channel channel) {
    this.stub = ResourcesGrpc.newBlockingStub(channel);
  }

  @Override
  public Node create(Node node) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .create(CreateRequest.newBuilder().setObject(Kinds.wrap(node)).build()).getNode();
  }

  @Override
  public Node updateStatus(Node node) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .updateStatus(UpdateRequest.newBuilder().setObject(Kinds.wrap(node)).build()).getNode();
  }
}
