package io.svcplane.eventlog.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionedParseTest {

  static ResourceEvent event(Resource r) {
    return ResourceEvent.newBuilder().setType(EventType.MODIFIED).setObject(r).setWriter("w").build();
  }

  static SourceRecord record(String key, long offset, ByteString value) {
    return new SourceRecord(LogTopic.RESOURCES, 0, offset, 1L, key, value, false);
  }

  static ResourceEvent withVersion(ResourceEvent e, long offset) {
    var meta = Kinds.metadata(e.getObject()).toBuilder().setResourceVersion(Long.toString(offset)).build();
    return e.toBuilder().setObject(Kinds.withMetadata(e.getObject(), meta)).build();
  }

  @Test
  void everyKindParsesWithItsOffsetAsResourceVersion() {
    List<Resource> objects = List.of(
        Objects.pod("ns", "p", "web", "10.0.0.1", true),
        Objects.service("ns", "s", 80, "web"),
        Kinds.wrap(Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("s")).build()),
        Kinds.wrap(Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("node-1")).build()),
        Kinds.wrap(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("ns")
            .setResourceVersion("5")).build()));
    for (long offset : new long[] {0, 7, 127, 128, 1_000_000_007L, Long.MAX_VALUE}) {
      for (Resource r : objects) {
        ResourceEvent e = event(r);
        String key = ObjectKey.of(r).toString();
        assertEquals(withVersion(e, offset), VersionedParse.parse(record(key, offset, e.toByteString())), key + " @" + offset);
      }
    }
  }

  @Test
  void aKeyThatDisagreesWithTheObjectOrNoObjectFallsBackToThePlainEvent() {
    ResourceEvent pod = event(Objects.pod("ns", "p", "web", "10.0.0.1", true));
    assertEquals(pod, VersionedParse.parse(record("Service/ns/p", 3, pod.toByteString())));
    assertEquals(pod, VersionedParse.parse(record("nonsense", 3, pod.toByteString())));
    ResourceEvent empty = ResourceEvent.newBuilder().setType(EventType.ADDED).build();
    assertEquals(empty, VersionedParse.parse(record("Pod/ns/p", 3, empty.toByteString())));
    assertThrows(ReplayException.class,
        () -> VersionedParse.parse(record("Pod/ns/p", 3, ByteString.copyFrom(new byte[] {(byte) 0xff, 1}))));
  }
}
