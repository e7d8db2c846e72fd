package io.svcplane.apiserver.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.forwarding.ServiceBackends;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** IMAGE + batch -> the update each proxy gets: snapshots, backend deltas, digest resumes, touched services. */
class ProxyViewTest {
  private ClusterImage image = ClusterImage.EMPTY;
  private List<LogRecord> lastBatch = List.of();
  private ClusterImage lastBefore;
  private long offset;

  void fold(EventType type, Resource... objects) {
    lastBefore = image;
    var delta = new ClusterDelta(image);
    List<LogRecord> records = new ArrayList<>();
    for (Resource r : objects) {
      var rec = new LogRecord(LogTopic.RESOURCES, 0, offset++, 0, ObjectKey.of(r).toString(),
          ResourceEvent.newBuilder().setType(type).setObject(r).build());
      rec.replayInto(delta);
      records.add(rec);
    }
    lastBatch = records;
    image = delta.apply();
  }

  static Resource service(String name, boolean selector) {
    var spec = ServiceSpec.newBuilder().setClusterIp("127.96.0.1").addPorts(ServicePort.newBuilder().setPort(80));
    if (selector) spec.setSelector(Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue(name).build()));
    return Kinds.wrap(Service.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name)).setSpec(spec).build());
  }

  static Resource endpoints(String name, String... ready) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(8080));
    for (String ip : ready) subset.addAddresses(EndpointAddress.newBuilder().setIp(ip));
    return Kinds.wrap(Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name)).addSubsets(subset).build());
  }

  @Test
  void aSnapshotCarriesEveryServiceWithAllItsBackends() {
    fold(EventType.ADDED, service("a", false), endpoints("a", "127.244.0.1", "127.244.0.2"), service("b", false));
    ProxyUpdate u = new ProxyView().snapshot(new ImageBackends(image));
    assertTrue(u.getSnapshot());
    assertEquals(2, u.getServicesCount());
    assertEquals(2, u.getEndpoints(0).getUpsertedCount());
    assertTrue(u.getEndpoints(0).getReplace());
    assertEquals(image.positions().encode(), u.getVersion());
  }

  @Test
  void anEndpointChangeTravelsAsAddedAndRemovedBackendsOnly() {
    fold(EventType.ADDED, service("a", false), endpoints("a", "127.244.0.1", "127.244.0.2"));
    ProxyView view = new ProxyView();
    view.snapshot(new ImageBackends(image));
    fold(EventType.MODIFIED, endpoints("a", "127.244.0.2", "127.244.0.3"));
    ProxyUpdate u = view.delta(new ImageBackends(image), FeedChanges.servicesTouched(lastBatch, lastBefore, image));
    assertFalse(u.getSnapshot());
    assertEquals(0, u.getServicesCount(), "the service did not change");
    assertEquals(List.of("127.244.0.3"), u.getEndpoints(0).getUpsertedList().stream().map(Backend::getIp).toList());
    assertEquals(List.of("127.244.0.1"), u.getEndpoints(0).getRemovedList());
    assertFalse(u.getEndpoints(0).getReplace());
  }

  @Test
  void changesThatCancelOutSendOnlyTheNewVersion() {
    fold(EventType.ADDED, service("a", false), endpoints("a", "127.244.0.1"));
    ProxyView view = new ProxyView();
    view.snapshot(new ImageBackends(image));
    fold(EventType.MODIFIED, endpoints("a", "127.244.0.9"));
    fold(EventType.MODIFIED, endpoints("a", "127.244.0.1"));
    ProxyUpdate u = view.delta(new ImageBackends(image), Set.of("ns/a"));
    assertEquals(0, u.getEndpointsCount());
    assertEquals(0, u.getServicesCount());
    assertEquals(image.positions().encode(), u.getVersion());
  }

  @Test
  void aDeletedServiceIsRemovedOnce() {
    fold(EventType.ADDED, service("a", false));
    ProxyView view = new ProxyView();
    view.snapshot(new ImageBackends(image));
    fold(EventType.DELETED, service("a", false));
    assertEquals(List.of("ns/a"), view.delta(new ImageBackends(image), Set.of("ns/a")).getRemovedServicesList());
    assertEquals(List.of(), view.delta(new ImageBackends(image), Set.of("ns/a")).getRemovedServicesList());
  }

  @Test
  void aResumingProxyGetsOnlyServicesWhoseDigestDiffersAndThoseThatAreGone() {
    fold(EventType.ADDED, service("same", false), endpoints("same", "127.244.0.1"), service("moved", false),
        endpoints("moved", "127.244.0.2"));
    var ib = new ImageBackends(image);
    Service same = ib.service("ns/same");
    Map<String, String> known = Map.of(
        "ns/same", ServiceBackends.digest(same, ib.backends("ns/same", same)),
        "ns/moved", "stale-digest",
        "ns/deleted", "whatever");
    ProxyUpdate u = new ProxyView().resume(ib, known);
    assertFalse(u.getSnapshot());
    assertEquals(List.of("moved"), u.getServicesList().stream().map(s -> s.getMetadata().getName()).toList());
    assertTrue(u.getEndpoints(0).getReplace());
    assertEquals(List.of("ns/deleted"), u.getRemovedServicesList());
  }

  @Test
  void onlyPodsThatAreOrWereTerminatingTouchTheServicesSelectingThem() {
    fold(EventType.ADDED, service("web", true), service("db", true));
    var pod = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("p").putLabels("app", "web"))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp("127.244.0.5")
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus("True")));
    fold(EventType.ADDED, Kinds.wrap(pod.build()));
    assertEquals(Set.of(), FeedChanges.servicesTouched(lastBatch, lastBefore, image));
    pod.getMetadataBuilder().setDeletionTimestamp(Timestamp.newBuilder().setSeconds(5));
    fold(EventType.MODIFIED, Kinds.wrap(pod.build()));
    assertEquals(Set.of("ns/web"), FeedChanges.servicesTouched(lastBatch, lastBefore, image));
    fold(EventType.DELETED, Kinds.wrap(pod.build()));
    assertEquals(Set.of("ns/web"), FeedChanges.servicesTouched(lastBatch, lastBefore, image));
  }
}
