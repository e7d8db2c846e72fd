package io.svcplane.apiserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Resource;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class ConcurrentCreatesTest {

  @Test
  void eightThreadsCreatingFiveHundredServicesEachLeaveFourThousandServicesWithDistinctClusterIps(TestKafka kafka)
      throws Exception {
    try (TestCluster c = TestCluster.start(kafka, b -> b.writerId("concurrent"))) {
      String ns = c.newNamespace("many");
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<List<String>>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          List<String> ips = new ArrayList<>();
          for (int i = 0; i < 500; i++) {
            ips.add(c.create(TestCluster.svc(ns, "t" + thread + "-" + i, 80)).getService().getSpec().getClusterIp());
          }
          return ips;
        }));
      }
      Set<String> answered = new HashSet<>();
      for (Future<List<String>> f : results) answered.addAll(f.get());
      pool.shutdown();
      assertEquals(4000, answered.size(), "two creates were answered with the same ClusterIP");

      List<Resource> items = c.api().list(ListRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).build()).getItemsList();
      assertEquals(4000, items.size());
      Set<String> stored = new HashSet<>();
      for (Resource r : items) stored.add(r.getService().getSpec().getClusterIp());
      assertEquals(4000, stored.size(), "two stored services share a ClusterIP");
      assertEquals(answered, stored);
      System.out.println("8 x 500 creates: " + c.server.writeStats());
    }
  }
}
