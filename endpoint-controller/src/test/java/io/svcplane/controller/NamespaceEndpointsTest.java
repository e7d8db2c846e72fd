package io.svcplane.controller;

import static io.svcplane.controller.Fixtures.pod;
import static io.svcplane.controller.Fixtures.port;
import static io.svcplane.controller.Fixtures.readyIps;
import static io.svcplane.controller.Fixtures.notReadyIps;
import static io.svcplane.controller.Fixtures.selector;
import static io.svcplane.controller.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The namespace fold without actors: only the services a batch affects are planned, and after
 * any batch every service's published Endpoints are what planning it from scratch gives.
 */
class NamespaceEndpointsTest {
  private long offset;
  private final List<LogRecord> log = new ArrayList<>();

  LogRecord record(EventType type, Resource object) {
    LogRecord r = new LogRecord(LogTopic.RESOURCES, 0, offset++, 1_000L, ObjectKey.of(object).toString(),
        ResourceWriter.event(type, object));
    log.add(r);
    return r;
  }

  LogRecord add(Service.Builder s) {
    return record(EventType.ADDED, Kinds.wrap(s.build()));
  }

  LogRecord put(Pod.Builder p) {
    return record(EventType.MODIFIED, Kinds.wrap(p.build()));
  }

  static NamespaceEndpoints fresh() {
    return new NamespaceEndpoints("ns", NamespaceSeed.EMPTY, "endpoint-controller/unit");
  }

  @Test
  void podRelabeledOutOfAServiceLeavesItsEndpoints() {
    NamespaceEndpoints ns = fresh();
    ns.fold(List.of(add(service("ns", "web", selector("app", "web"), port("", 80, "80"))),
        put(pod("ns", "p", "10.244.0.1", true, "app", "web")), put(pod("ns", "q", "10.244.0.2", true, "app", "web"))));
    // p's only change is its label: web does not select p afterwards, and must still drop it
    List<EndpointsChange> out = ns.fold(List.of(put(pod("ns", "p", "10.244.0.1", true, "app", "other"))));
    assertEquals(1, out.size());
    assertEquals(List.of("10.244.0.2"), readyIps(out.get(0).event()));
  }

  @Test
  void podRelabeledOutOfAServiceAndChangedAgainInTheSameBatchStillLeavesIt() {
    NamespaceEndpoints ns = fresh();
    ns.fold(List.of(add(service("ns", "web", selector("app", "web"), port("", 80, "80"))),
        put(pod("ns", "p", "10.244.0.1", true, "app", "web"))));
    LogRecord relabeled = put(pod("ns", "p", "10.244.0.1", true, "app", "other"));
    LogRecord last = put(pod("ns", "p", "10.244.0.1", false, "app", "other"));
    List<EndpointsChange> out = ns.fold(List.of(relabeled, last));
    assertEquals(1, out.size());
    assertEquals(List.of(), readyIps(out.get(0).event()));
    assertEquals(List.of(), notReadyIps(out.get(0).event()));
    // the relabeling made the change; the later record is about a pod web no longer selects
    assertEquals(relabeled.offset(), out.get(0).event().getCause().getOffset());
  }

  @Test
  void onlyTheServicesThatSelectAChangedPodArePlanned() {
    NamespaceEndpoints ns = fresh();
    List<LogRecord> setup = new ArrayList<>();
    for (int s = 0; s < 50; s++) {
      setup.add(add(service("ns", "svc-" + s, selector("app", "svc-" + s), port("", 80, "80"))));
      setup.add(put(pod("ns", "pod-" + s, "10.244.0." + (s + 1), true, "app", "svc-" + s)));
    }
    assertEquals(50, ns.fold(setup).size());
    // The planner is not observable here, but its answers are: one pod's change, one event.
    List<EndpointsChange> out = ns.fold(List.of(put(pod("ns", "pod-7", "10.244.0.8", false, "app", "svc-7"))));
    assertEquals(List.of("Endpoints/ns/svc-7"), out.stream().map(EndpointsChange::key).toList());
  }

  /**
   * Random batches of pod, service and user Endpoints changes, some handed to a controller rebuilt
   * from the log so far: after every batch, each service's published Endpoints are what the
   * planner computes from scratch over all the namespace's pods, and the events published so far
   * replay to exactly the published state.
   */
  @Test
  void afterEveryBatchThePublishedEndpointsAreThePlannersAnswerFromScratch() {
    Random random = new Random(5);
    String[][] labelChoices = {{}, {"app", "a"}, {"app", "b"}, {"app", "a", "tier", "web"}, {"app", "b", "tier", "web"}, {"tier", "db"}};
    Map<String, Pod> pods = new TreeMap<>();
    Map<String, Service> services = new TreeMap<>();
    Map<String, Endpoints> user = new TreeMap<>();
    Map<String, Endpoints> replayed = new HashMap<>();
    NamespaceEndpoints ns = fresh();
    for (int batch = 0; batch < 400; batch++) {
      List<LogRecord> records = new ArrayList<>();
      int size = 1 + random.nextInt(random.nextBoolean() ? 3 : 40);
      for (int i = 0; i < size; i++) {
        int what = random.nextInt(10);
        if (what < 7) {
          String name = "p" + random.nextInt(25);
          if (random.nextInt(10) == 0 && pods.containsKey(name)) {
            records.add(record(EventType.DELETED, Kinds.wrap(pods.remove(name))));
          } else {
            String[] labels = labelChoices[random.nextInt(labelChoices.length)];
            Pod.Builder p = pod("ns", name, random.nextInt(12) == 0 ? "" : "10.244.1." + name.substring(1), random.nextBoolean(), labels);
            p = Fixtures.withPort(p, "web", 8080 + random.nextInt(2));
            pods.put(name, p.build());
            records.add(record(EventType.MODIFIED, Kinds.wrap(p.build())));
          }
        } else if (what < 9) {
          String name = "s" + random.nextInt(6);
          if (random.nextInt(8) == 0 && services.containsKey(name)) {
            records.add(record(EventType.DELETED, Kinds.wrap(services.remove(name))));
          } else {
            int kind = random.nextInt(7);
            Service.Builder s = switch (kind) {
              case 0 -> service("ns", name, null, port("http", 80, "80"));
              case 1 -> service("ns", name, selector(), port("http", 80, "web"));
              case 2 -> service("ns", name, selector("app", "a"), port("http", 80, "web"), port("raw", 81, "9090"));
              case 3 -> service("ns", name, selector("app", "b", "tier", "web"), port("http", 80, "80"));
              case 4 -> service("ns", name, selector("tier", "db"), port("http", 80, "web"));
              case 5 -> {
                Service.Builder e = service("ns", name, selector("app", "a"), port("http", 80, "80"));
                e.getSpecBuilder().setType("ExternalName").setExternalName("example.com");
                yield e;
              }
              default -> service("ns", name, selector("app", "a"), port("http", 80, "80"));
            };
            if (random.nextBoolean()) s.getMetadataBuilder().putLabels("team", "t" + random.nextInt(2));
            services.put(name, s.build());
            records.add(record(EventType.MODIFIED, Kinds.wrap(s.build())));
          }
        } else {
          String name = "s" + random.nextInt(6);
          Endpoints e = Endpoints.newBuilder()
              .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name))
              .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("192.0.2." + random.nextInt(9))))
              .build();
          user.put(name, e);
          records.add(record(EventType.MODIFIED, Kinds.wrap(e)));
        }
      }
      if (random.nextInt(40) == 0) ns = rebuiltFromTheLog(ns, records.size());
      for (EndpointsChange c : ns.fold(records)) {
        String name = ObjectKey.parse(c.key()).name();
        if (c.event().getType() == EventType.DELETED) replayed.remove(name);
        else replayed.put(name, c.event().getObject().getEndpoints());
      }

      Map<String, Endpoints> published = ns.published();
      assertEquals(replayed, published, "batch " + batch + ": the events replay to the published state");
      for (int s = 0; s < 6; s++) {
        String name = "s" + s;
        Optional<Endpoints> previous = Optional.ofNullable(published.get(name));
        Optional<Endpoints> fromScratch = EndpointsPlanner.desired(Optional.ofNullable(services.get(name)), pods.values(),
            Optional.ofNullable(user.get(name)), previous, java.time.Instant.EPOCH);
        assertEquals(fromScratch, previous, "batch " + batch + ": Endpoints of " + name);
      }
    }
  }

  /**
   * A new owner of the namespace as the controller makes one: the log folded with ClusterDelta up
   * to the batch about to be folded, and what was published so far.
   */
  private NamespaceEndpoints rebuiltFromTheLog(NamespaceEndpoints current, int pending) {
    ClusterDelta delta = new ClusterDelta(ClusterImage.EMPTY);
    log.subList(0, log.size() - pending).forEach(r -> r.replayInto(delta));
    return new NamespaceEndpoints("ns", new NamespaceSeed(delta.apply(), current.published()), "endpoint-controller/unit");
  }
}
