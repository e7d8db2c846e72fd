package io.svcplane.eventlog.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ExportHeader;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.ExportTopic;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.eventlog.NamespacePartitioner;
import io.svcplane.eventlog.export.ExportWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replay's fold of the last record per key equals the fold of every record, at every cut. */
class CompactingFoldTest {
  @TempDir Path dir;

  static final int PARTITIONS = 3;
  static final long T0 = 1_795_000_000_000L;

  @Test
  void foldOfTheLastRecordPerKeyEqualsFoldOfEveryRecord() throws Exception {
    Random rnd = new Random(11);
    Path file = dir.resolve("random.svclog");
    long[][] next = new long[2][PARTITIONS];
    List<ExportRecord> records = new ArrayList<>();
    String[] namespaces = {"default", "prod", "dev", "team-a"};
    for (int i = 0; i < 3000; i++) {
      String ns = namespaces[rnd.nextInt(namespaces.length)];
      String name = "o" + rnd.nextInt(12);
      int topic = rnd.nextInt(5) == 0 ? 1 : 0;
      Resource object = switch (topic == 1 ? 2 : rnd.nextInt(3)) {
        case 0 -> Objects.pod(ns, name, "app" + rnd.nextInt(3), "10.0.0." + rnd.nextInt(250), rnd.nextBoolean());
        case 1 -> Objects.service(ns, name, 80 + rnd.nextInt(3), "app" + rnd.nextInt(3));
        default -> Kinds.wrap(Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name))
            .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("10.1.0." + rnd.nextInt(9))))
            .build());
      };
      int p = NamespacePartitioner.partitionFor(ns, PARTITIONS);
      long offset = next[topic][p];
      next[topic][p] += 1 + (rnd.nextInt(4) == 0 ? 1 : 0); // gaps, as transaction markers leave
      var rec = ExportRecord.newBuilder().setTopic(topic).setPartition(p).setOffset(offset).setTimestamp(T0 + i)
          .setKey(ObjectKey.of(object).toString());
      int what = rnd.nextInt(10);
      if (what == 0) {
        // a tombstone changes nothing
      } else {
        EventType type = what == 1 ? EventType.DELETED : what < 4 ? EventType.ADDED : EventType.MODIFIED;
        ResourceEvent e = ResourceEvent.newBuilder().setType(type).setObject(object).setWriter("w").build();
        rec.setValue(e.toByteString());
      }
      records.add(rec.build());
    }
    var header = ExportHeader.newBuilder().setHistoryStart(com.google.protobuf.util.Timestamps.fromMillis(T0));
    String[] names = {"svcplane.resources", "svcplane.endpoints"};
    for (int t = 0; t < 2; t++) {
      var topic = ExportTopic.newBuilder().setName(names[t]).setPartitions(PARTITIONS);
      for (int p = 0; p < PARTITIONS; p++) topic.addEndOffsets(next[t][p] + 2);
      header.addTopics(topic);
    }
    try (ExportWriter w = ExportWriter.create(file, header.build())) {
      for (ExportRecord r : records) w.write(r);
      w.finish();
    }
    try (ExportFileSource src = ExportFileSource.open(file)) {
      Replayer replayer = new Replayer(src);
      int nonEmpty = 0;
      for (int t = 0; t <= 3000; t += 97) {
        Cut cut = Cut.at(Instant.ofEpochMilli(T0 + t));
        ClusterImage compacted = replayer.fold(cut, ProgressListener.NONE).image();
        assertEquals(replayer.foldEveryRecord(cut, ProgressListener.NONE).image(), compacted, "at +" + t + " ms");
        if (!compacted.namespaces().isEmpty()) nonEmpty++;
      }
      assertEquals(replayer.foldEveryRecord(Cut.END, ProgressListener.NONE).image(),
          replayer.fold(new ReplayPoint(null, Map.of()), ProgressListener.NONE).image());
      assertTrue(nonEmpty > 20);
    }
  }
}
