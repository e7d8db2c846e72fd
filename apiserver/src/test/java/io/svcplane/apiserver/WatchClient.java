package io.svcplane.apiserver;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.api.v1.WatchEvent;
import io.svcplane.api.v1.WatchRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A Watch stream read into a queue, cancellable like a client that goes away. */
final class WatchClient implements AutoCloseable {
  final LinkedBlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
  volatile Throwable error;
  private volatile ClientCallStreamObserver<WatchRequest> call;

  WatchClient(TestCluster cluster, WatchRequest request) {
    ResourcesGrpc.newStub(cluster.channel).watch(request, new ClientResponseObserver<WatchRequest, WatchEvent>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
        call = requestStream;
      }

      @Override
      public void onNext(WatchEvent value) {
        events.add(value);
      }

      @Override
      public void onError(Throwable t) {
        error = t;
      }

      @Override
      public void onCompleted() {}
    });
  }

  /** The next {@code n} events, failing if they do not come within the timeout. */
  List<WatchEvent> take(int n, Duration timeout) throws InterruptedException {
    List<WatchEvent> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < n) {
      WatchEvent e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) throw new AssertionError("got " + out.size() + " of " + n + " events; error " + error + ": " + out);
      out.add(e);
    }
    return out;
  }

  /** Waits until the stream failed, and returns why. */
  Throwable awaitError(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (error == null && System.nanoTime() < deadline) Thread.sleep(20);
    if (error == null) throw new AssertionError("the watch did not fail");
    return error;
  }

  @Override
  public void close() {
    if (call != null) call.cancel("test done", null);
  }
}
