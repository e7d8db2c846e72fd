package io.svcplane.apiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.svcplane.api.v1.CreateRequest;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.ListResponse;
import io.svcplane.api.v1.Resource;
import io.svcplane.apiserver.auth.RequestAuthorizer;
import io.svcplane.core.Kinds;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The server runs calls on its transport threads; List, which may serialize a whole collection,
 * is handed to an executor of its own so that it does not hold up the other calls of its
 * connection. Checked on the service with an executor that only parks what it is given.
 */
@ExtendWith(KafkaExtension.class)
class CallThreadsTest {

  @Test
  void listGoesToItsExecutorWhileCreateAndGetAnswerWithoutIt(TestKafka kafka) throws Exception {
    try (TestCluster c = TestCluster.start(kafka)) {
      String ns = c.newNamespace("calls");
      List<Runnable> parked = new CopyOnWriteArrayList<>();
      ResourcesService service = new ResourcesService(c.server.resources(), RequestAuthorizer.ALLOW_ALL, parked::add);

      Answer<Resource> created = new Answer<>();
      service.create(CreateRequest.newBuilder().setObject(Kinds.wrap(TestCluster.service(ns, "web", 80).build())).build(),
          created);
      assertEquals("web", Kinds.metadata(created.get()).getName());
      Answer<Resource> got = new Answer<>();
      service.get(GetRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).setName("web").build(), got);
      assertEquals("web", Kinds.metadata(got.get()).getName());
      assertTrue(parked.isEmpty(), "create and get used the executor");

      Answer<ListResponse> listed = new Answer<>();
      service.list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).build(), listed);
      assertEquals(1, parked.size(), "list was not handed to the executor");
      assertFalse(listed.done.isDone(), "list answered on the calling thread");
      parked.remove(0).run();
      assertEquals(1, listed.get().getItemsCount());
    }
  }

  /** One unary answer. */
  private static final class Answer<T> implements StreamObserver<T> {
    final CompletableFuture<T> done = new CompletableFuture<>();
    private T value;

    @Override
    public void onNext(T v) {
      value = v;
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      done.complete(value);
    }

    T get() throws Exception {
      return done.get(30, TimeUnit.SECONDS);
    }
  }
}
