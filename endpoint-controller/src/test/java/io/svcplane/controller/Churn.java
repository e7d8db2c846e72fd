package io.svcplane.controller;

import static io.svcplane.controller.Fixtures.port;
import static io.svcplane.controller.Fixtures.selector;
import static io.svcplane.controller.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.core.Kinds;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A seeded churn of pod changes over many services, with its own model of the final state, and the
 * exactly-once check: for every service the last Endpoints on the topic are the planner's answer
 * for the final pods, and no Endpoints event was published twice for the same input.
 */
final class Churn {
  private final Random random;
  private final List<String> namespaces;
  private final int servicesPerNamespace;
  private final int podsPerService;
  /** The model: objects as the churn left them, by namespace and name. */
  private final Map<String, Map<String, Service>> services = new TreeMap<>();
  private final Map<String, Map<String, Pod>> pods = new TreeMap<>();
  /** Highest offset written per partition of svcplane.resources. */
  private final Map<Integer, Long> lastOffsets = new HashMap<>();
  private int ipCounter;

  Churn(long seed, List<String> namespaces, int servicesPerNamespace, int podsPerService) {
    this.random = new Random(seed);
    this.namespaces = namespaces;
    this.servicesPerNamespace = servicesPerNamespace;
    this.podsPerService = podsPerService;
  }

  int serviceCount() {
    return namespaces.size() * servicesPerNamespace;
  }

  /** The services, written in one transaction. */
  void writeServices(ResourceWriter writer) {
    List<ResourceEvent> events = new ArrayList<>();
    for (String ns : namespaces) {
      for (int i = 0; i < servicesPerNamespace; i++) {
        // even services reach a named container port, odd ones a number
        Service s = service(ns, "svc-" + i, selector("app", "svc-" + i), port("http", 80, i % 2 == 0 ? "web" : "8080")).build();
        services.computeIfAbsent(ns, n -> new TreeMap<>()).put(s.getMetadata().getName(), s);
        events.add(ResourceWriter.event(EventType.ADDED, Kinds.wrap(s)));
      }
    }
    record(writer.writeAll(events));
  }

  /** The next {@code n} pod changes (adds, readiness flips, new IPs, relabels, deletes), as events. */
  List<ResourceEvent> next(int n) {
    List<ResourceEvent> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      String ns = namespaces.get(random.nextInt(namespaces.size()));
      int svc = random.nextInt(servicesPerNamespace);
      String name = "svc-" + svc + "-pod-" + random.nextInt(podsPerService);
      Map<String, Pod> nsPods = pods.computeIfAbsent(ns, x -> new TreeMap<>());
      Pod current = nsPods.get(name);
      ResourceEvent e;
      if (current == null) {
        Pod p = newPod(ns, name, "svc-" + svc);
        nsPods.put(name, p);
        e = ResourceWriter.event(EventType.ADDED, Kinds.wrap(p));
      } else {
        int op = random.nextInt(10);
        if (op < 2) {
          nsPods.remove(name);
          e = ResourceWriter.event(EventType.DELETED, Kinds.wrap(current));
        } else {
          Pod p = mutate(current, op);
          nsPods.put(name, p);
          e = ResourceWriter.event(EventType.MODIFIED, Kinds.wrap(p));
        }
      }
      out.add(e);
    }
    return out;
  }

  void record(List<ResourceWriter.Written> written) {
    for (ResourceWriter.Written w : written) lastOffsets.merge(w.partition(), w.offset(), Math::max);
  }

  private Pod newPod(String ns, String name, String app) {
    Pod.Builder p = Fixtures.pod(ns, name, nextIp(), random.nextBoolean(), "app", app);
    p.getSpecBuilder().addContainers(io.svcplane.api.v1.Container.newBuilder().setName("c")
        .addPorts(ContainerPort.newBuilder().setName("web").setContainerPort(random.nextBoolean() ? 8080 : 8081)));
    return p.build();
  }

  private Pod mutate(Pod p, int op) {
    Pod.Builder b = p.toBuilder();
    if (op < 6) {
      boolean ready = EndpointsPlanner.isReady(p);
      b.getStatusBuilder().clearConditions()
          .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "False" : "True"));
    } else if (op < 8) {
      b.getStatusBuilder().setPodIp(nextIp());
    } else {
      b.getMetadataBuilder().putLabels("app", "svc-" + random.nextInt(servicesPerNamespace));
    }
    return b.build();
  }

  private String nextIp() {
    int n = ++ipCounter;
    return "10.244." + (n / 250) % 250 + "." + (n % 250 + 1);
  }

  /** Waits until the group has committed every offset the churn wrote. */
  void awaitCommitted(KafkaClients clients, String groupId, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    try (Admin admin = Admin.create(clients.admin())) {
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        boolean done = lastOffsets.entrySet().stream().allMatch(e -> {
          OffsetAndMetadata o = committed.get(new TopicPartition(LogTopic.RESOURCES.topicName(), e.getKey()));
          return o != null && o.offset() > e.getValue();
        });
        if (done) return;
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the controller did not commit the whole churn within " + within
              + ": written up to " + lastOffsets + ", committed " + committed);
        }
        Thread.sleep(100);
      }
    }
  }

  /** The exactly-once check over everything the watcher read. Returns the events checked. */
  int verify(EndpointsWatcher watcher) {
    watcher.catchUp();
    int checked = 0;
    Instant t = Instant.now();
    for (var nsEntry : services.entrySet()) {
      String ns = nsEntry.getKey();
      List<Pod> finalPods = new ArrayList<>(pods.getOrDefault(ns, Map.of()).values());
      for (Service s : nsEntry.getValue().values()) {
        String key = Fixtures.key(ns, s.getMetadata().getName());
        List<ConsumerRecord<String, ResourceEvent>> records = watcher.records(key);
        assertTrue(!records.isEmpty(), "no Endpoints for " + key);
        Endpoints last = records.get(records.size() - 1).value().getObject().getEndpoints();
        assertNotEquals(EventType.DELETED, records.get(records.size() - 1).value().getType(), key);
        Endpoints expected = EndpointsPlanner.plan(s, finalPods, Optional.empty(), t).orElseThrow();
        assertEquals(expected.getSubsetsList(), last.getSubsetsList(), "subsets of " + key);
        assertEquals(expected.getMetadata().getLabelsMap(), last.getMetadata().getLabelsMap(), "labels of " + key);
        assertEquals(Optional.of(last), EndpointsPlanner.plan(s, finalPods, Optional.of(last), t),
            "the planner wants no change to the last Endpoints of " + key);

        Set<String> inputs = new HashSet<>();
        Endpoints previous = null;
        for (ConsumerRecord<String, ResourceEvent> r : records) {
          var cause = r.value().getCause();
          assertTrue(inputs.add(cause.getPartition() + "@" + cause.getOffset()),
              "two Endpoints events of " + key + " for the same input " + cause);
          Endpoints now = r.value().getObject().getEndpoints();
          if (previous != null && r.value().getType() != EventType.DELETED) {
            assertTrue(!previous.getSubsetsList().equals(now.getSubsetsList())
                    || !previous.getMetadata().getLabelsMap().equals(now.getMetadata().getLabelsMap()),
                "an Endpoints event of " + key + " that changes nothing, at offset " + r.offset());
          }
          previous = now;
          checked++;
        }
      }
    }
    return checked;
  }
}
