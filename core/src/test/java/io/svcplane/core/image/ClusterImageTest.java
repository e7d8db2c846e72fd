package io.svcplane.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClusterImageTest {
  record Rec(LogTopic topic, int partition, long offset, ResourceEvent event) {}

  static ObjectMeta meta(String ns, String name) {
    return ObjectMeta.newBuilder().setNamespace(ns).setName(name).build();
  }

  static Resource pod(String ns, String name, String ip) {
    return Kinds.wrap(Pod.newBuilder().setMetadata(meta(ns, name))
        .setStatus(PodStatus.newBuilder().setPodIp(ip)).build());
  }

  static Resource service(String ns, String name) {
    return Kinds.wrap(Service.newBuilder().setMetadata(meta(ns, name))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP")).build());
  }

  static Resource endpoints(String ns, String name, String ip) {
    return Kinds.wrap(Endpoints.newBuilder().setMetadata(meta(ns, name))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp(ip))).build());
  }

  static Resource node(String name) {
    return Kinds.wrap(Node.newBuilder().setMetadata(meta("", name)).build());
  }

  static ResourceEvent event(EventType type, Resource r) {
    return ResourceEvent.newBuilder().setType(type).setObject(r).build();
  }

  static ClusterImage fold(ClusterImage base, List<Rec> recs) {
    ClusterDelta d = new ClusterDelta(base);
    for (Rec r : recs) d.replay(r.topic, r.partition, r.offset, r.event);
    return d.apply();
  }

  // IMAGE1: a pod and a service in "default", a node.
  static final List<Rec> LOG1 = List.of(
      new Rec(LogTopic.RESOURCES, 0, 0, event(EventType.ADDED, pod("default", "a", "10.0.0.1"))),
      new Rec(LogTopic.RESOURCES, 0, 1, event(EventType.ADDED, service("default", "web"))),
      new Rec(LogTopic.RESOURCES, 1, 0, event(EventType.ADDED, node("node-1"))));
  // DELTA1: the pod changes IP, a pod appears in "prod", the controller publishes Endpoints.
  static final List<Rec> LOG2 = List.of(
      new Rec(LogTopic.RESOURCES, 0, 2, event(EventType.MODIFIED, pod("default", "a", "10.0.0.2"))),
      new Rec(LogTopic.RESOURCES, 2, 0, event(EventType.ADDED, pod("prod", "b", "10.0.1.1"))),
      new Rec(LogTopic.ENDPOINTS, 0, 0, event(EventType.ADDED, endpoints("default", "web", "10.0.0.2"))));

  @Test
  void image1PlusDelta1IsImage2() {
    ClusterImage image1 = fold(ClusterImage.EMPTY, LOG1);
    ClusterImage image2 = fold(image1, LOG2);

    assertEquals("10.0.0.2", image2.namespace("default").pods().get("a").getStatus().getPodIp());
    assertEquals("2", image2.namespace("default").pods().get("a").getMetadata().getResourceVersion());
    assertEquals("1", image2.namespace("default").services().get("web").getMetadata().getResourceVersion());
    assertTrue(image2.namespace("prod").pods().containsKey("b"));
    assertEquals(1, image2.namespace("default").endpoints().size());
    assertTrue(image2.namespace("default").userEndpoints().isEmpty());
    assertEquals(3, image2.positions().next(LogTopic.RESOURCES, 0));
    assertEquals(1, image2.positions().next(LogTopic.RESOURCES, 1));
    assertEquals(1, image2.positions().next(LogTopic.RESOURCES, 2));
    assertEquals(1, image2.positions().next(LogTopic.ENDPOINTS, 0));
    // what the delta did not touch is shared, not copied
    assertSame(image1.nodes(), image2.nodes());
    assertSame(image1.namespace("default").services(), image2.namespace("default").services());
  }

  @Test
  void endpointsAreUserWrittenOnResourcesAndPublishedOnEndpointsTopic() {
    ClusterImage image = fold(ClusterImage.EMPTY, List.of(
        new Rec(LogTopic.RESOURCES, 0, 0, event(EventType.ADDED, endpoints("default", "ext", "192.168.80.1"))),
        new Rec(LogTopic.ENDPOINTS, 0, 7, event(EventType.ADDED, endpoints("default", "ext", "192.168.80.1"))),
        // a non-Endpoints record on the endpoints topic only moves the position
        new Rec(LogTopic.ENDPOINTS, 0, 8, event(EventType.ADDED, pod("default", "stray", "1.1.1.1")))));
    ObjectKey key = new ObjectKey(Kind.ENDPOINTS, "default", "ext");
    assertEquals("7", Kinds.metadata(image.get(key).orElseThrow()).getResourceVersion());
    assertEquals("0", Kinds.metadata(image.getWritten(key).orElseThrow()).getResourceVersion());
    assertFalse(image.namespace("default").pods().containsKey("stray"));
    assertEquals(9, image.positions().next(LogTopic.ENDPOINTS, 0));
  }

  @Test
  void deleteRemovesObjectAndEmptyNamespaceDisappears() {
    ClusterImage image = fold(fold(ClusterImage.EMPTY, LOG1), List.of(
        new Rec(LogTopic.RESOURCES, 0, 2, event(EventType.DELETED, pod("default", "a", ""))),
        new Rec(LogTopic.RESOURCES, 0, 3, event(EventType.DELETED, service("default", "web")))));
    assertFalse(image.namespaces().containsKey("default"));
    assertTrue(image.get(new ObjectKey(Kind.POD, "default", "a")).isEmpty());
    assertEquals(List.of("node-1"),
        image.list(Kind.NODE, "", r -> true).stream().map(r -> Kinds.metadata(r).getName()).toList());
  }

  @Test
  void everyPrefixInEveryBatchSplitReachesTheSameImage() {
    List<Rec> log = randomLog(new Random(42), 120);
    Random split = new Random(7);
    for (int prefix = 0; prefix <= log.size(); prefix++) {
      List<Rec> part = log.subList(0, prefix);
      ClusterImage oneBatch = fold(ClusterImage.EMPTY, part);
      ClusterImage batched = ClusterImage.EMPTY;
      int i = 0;
      while (i < part.size()) {
        int n = 1 + split.nextInt(5);
        batched = fold(batched, part.subList(i, Math.min(part.size(), i + n)));
        i += n;
      }
      assertEquals(oneBatch, batched, "prefix " + prefix);
      assertEquals(oneBatch, oneByOne(part), "prefix " + prefix);
    }
  }

  @Test
  void olderImagesStayAsTheyWereWhileLaterDeltasChangeTheirMaps() {
    // The maps are persistent and shared between images: a later delta must not change what an
    // earlier image (held by a reader, or a Watch) shows.
    List<Rec> log = randomLog(new Random(11), 400);
    List<ClusterImage> images = new ArrayList<>();
    List<String> asTheyWere = new ArrayList<>();
    ClusterImage image = ClusterImage.EMPTY;
    for (int i = 0; i < log.size(); i += 3) {
      image = fold(image, log.subList(i, Math.min(log.size(), i + 3)));
      images.add(image);
      asTheyWere.add(dump(image));
    }
    for (int k = 0; k < images.size(); k++) assertEquals(asTheyWere.get(k), dump(images.get(k)), "image " + k);
  }

  @Test
  void theLastChangeOfAKeyInOneDeltaWins() {
    ClusterImage base = fold(ClusterImage.EMPTY, LOG1);
    ClusterImage image = fold(base, List.of(
        new Rec(LogTopic.RESOURCES, 0, 2, event(EventType.DELETED, pod("default", "a", ""))),
        new Rec(LogTopic.RESOURCES, 0, 3, event(EventType.ADDED, pod("default", "a", "10.0.0.9"))),
        new Rec(LogTopic.RESOURCES, 0, 4, event(EventType.ADDED, pod("default", "c", "10.0.0.3"))),
        new Rec(LogTopic.RESOURCES, 0, 5, event(EventType.DELETED, pod("default", "c", "")))));
    assertEquals("10.0.0.9", image.namespace("default").pods().get("a").getStatus().getPodIp());
    assertEquals("3", image.namespace("default").pods().get("a").getMetadata().getResourceVersion());
    assertFalse(image.namespace("default").pods().containsKey("c"));
    assertEquals(1, image.namespace("default").pods().size());
    assertEquals("10.0.0.1", base.namespace("default").pods().get("a").getStatus().getPodIp());
  }

  /** Every object of the image in a fixed order, as text. */
  private static String dump(ClusterImage image) {
    StringBuilder b = new StringBuilder();
    new java.util.TreeMap<>(image.nodes()).forEach((k, v) -> b.append("node ").append(k).append(v).append('\n'));
    new java.util.TreeMap<>(image.namespaces()).forEach((name, ns) -> {
      new java.util.TreeMap<>(ns.pods()).forEach((k, v) -> b.append("pod ").append(name).append('/').append(k).append(v).append('\n'));
      new java.util.TreeMap<>(ns.services()).forEach((k, v) -> b.append("svc ").append(name).append('/').append(k).append(v).append('\n'));
      new java.util.TreeMap<>(ns.userEndpoints()).forEach((k, v) -> b.append("uep ").append(name).append('/').append(k).append(v).append('\n'));
      new java.util.TreeMap<>(ns.endpoints()).forEach((k, v) -> b.append("ep ").append(name).append('/').append(k).append(v).append('\n'));
    });
    return b.append(image.positions()).toString();
  }

  private static ClusterImage oneByOne(List<Rec> log) {
    ClusterImage image = ClusterImage.EMPTY;
    for (Rec r : log) image = fold(image, List.of(r));
    return image;
  }

  private static List<Rec> randomLog(Random rnd, int n) {
    List<Rec> log = new ArrayList<>();
    long[] next = new long[3];
    long endpointsNext = 0;
    String[] namespaces = {"default", "prod", "dev"};
    for (int i = 0; i < n; i++) {
      int p = rnd.nextInt(3);
      String ns = namespaces[p];
      String name = "o" + rnd.nextInt(6);
      EventType type = rnd.nextInt(4) == 0 ? EventType.DELETED : EventType.MODIFIED;
      Resource r = switch (rnd.nextInt(4)) {
        case 0 -> pod(ns, name, "10.0." + p + "." + i);
        case 1 -> service(ns, name);
        case 2 -> endpoints(ns, name, "10.1.0." + i);
        default -> node(name);
      };
      if (r.hasEndpoints() && rnd.nextBoolean()) {
        log.add(new Rec(LogTopic.ENDPOINTS, 0, endpointsNext++, event(type, r)));
      } else {
        log.add(new Rec(LogTopic.RESOURCES, p, next[p]++, event(type, r)));
      }
    }
    return log;
  }

  @Test
  void positionsEncodeAsOpaqueVersionAndRejectGarbage() {
    LogPositions p = LogPositions.EMPTY.advance(LogTopic.RESOURCES, 3, 17).advance(LogTopic.ENDPOINTS, 0, 4);
    assertEquals(p, LogPositions.decode(p.encode()));
    assertEquals(LogPositions.EMPTY, LogPositions.decode(""));
    assertTrue(p.covers(LogPositions.EMPTY));
    assertFalse(LogPositions.EMPTY.covers(p));
    assertEquals(21, LogPositions.EMPTY.recordsBehind(p));
    var e = assertThrows(IllegalArgumentException.class, () -> LogPositions.decode("not!base64"));
    assertTrue(e.getMessage().contains("not a collection version"));
  }
}
