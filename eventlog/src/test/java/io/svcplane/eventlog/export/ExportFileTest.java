package io.svcplane.eventlog.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ExportHeader;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.ExportTopic;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportFileTest {
  @TempDir Path dir;

  static ExportHeader header() {
    return ExportHeader.newBuilder()
        .setCreated(Timestamps.fromMillis(1_795_000_000_000L))
        .setSourceBootstrapServers("127.0.0.1:9092")
        .addTopics(ExportTopic.newBuilder().setName("svcplane.resources").setPartitions(2).addEndOffsets(100).addEndOffsets(100))
        .addTopics(ExportTopic.newBuilder().setName("svcplane.endpoints").setPartitions(2).addEndOffsets(100).addEndOffsets(100))
        .setWriter("test")
        .build();
  }

  static ExportRecord record(int topic, int partition, long offset, String name) {
    var pod = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name)).build();
    var event = ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(Kinds.wrap(pod)).build();
    return ExportRecord.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset)
        .setTimestamp(1_795_000_000_000L + offset).setKey("Pod/default/" + name).setValue(event.toByteString()).build();
  }

  private Path writeSample(int n) throws IOException {
    Path file = dir.resolve("sample.svclog");
    try (ExportWriter w = ExportWriter.create(file, header())) {
      for (int i = 0; i < n; i++) w.write(record(i % 2, i % 2, i, "pod-" + i));
      w.write(ExportRecord.newBuilder().setTopic(0).setPartition(1).setOffset(n + 10).setTimestamp(1).setKey("Pod/default/gone").build());
      w.finish();
    }
    return file;
  }

  private static List<ExportRecord> readAll(Path file) throws IOException {
    List<ExportRecord> out = new ArrayList<>();
    try (ExportReader r = ExportReader.open(file)) {
      for (ExportRecord rec; (rec = r.next()) != null; ) out.add(rec);
      assertEquals(out.size(), r.trailer().getRecordCount());
    }
    return out;
  }

  private static String failure(Path file) {
    return assertThrows(ExportFormatException.class, () -> readAll(file)).getMessage();
  }

  @Test
  void writtenRecordsReadBackIdenticalWithHeaderAndTombstone() throws IOException {
    Path file = writeSample(20);
    List<ExportRecord> records = readAll(file);
    assertEquals(21, records.size());
    assertEquals(record(0, 0, 0, "pod-0"), records.get(0));
    assertEquals(record(1, 1, 19, "pod-19"), records.get(19));
    assertFalse(records.get(20).hasValue(), "a tombstone stays a tombstone");
    try (ExportReader r = ExportReader.open(file)) {
      assertEquals(header(), r.header());
    }
    assertFalse(Files.exists(dir.resolve("sample.svclog.partial")));
  }

  @Test
  void fileStartsWithMagicAndVersionOne() throws IOException {
    byte[] b = Files.readAllBytes(writeSample(1));
    assertArrayEquals(new byte[] {(byte) 0x89, 'S', 'V', 'C', 'L', 'O', 'G', '\n', 0, 0, 0, 1},
        java.util.Arrays.copyOf(b, 12));
  }

  @Test
  void unfinishedExportLeavesNoFile() throws IOException {
    Path file = dir.resolve("never.svclog");
    try (ExportWriter w = ExportWriter.create(file, header())) {
      w.write(record(0, 0, 0, "a"));
    }
    assertFalse(Files.exists(file));
    assertFalse(Files.exists(dir.resolve("never.svclog.partial")));
  }

  @Test
  void truncatedFileIsReportedWithTheRecordWhereItEnds() throws IOException {
    Path file = writeSample(20);
    byte[] b = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(b, b.length - 30));
    String msg = failure(file);
    assertTrue(msg.startsWith(file + ": truncated: the file ends inside "), msg);
    assertTrue(msg.contains("byte offset"), msg);

    // cut exactly between frames: everything read fine, but no trailer
    long cut;
    try (ExportReader r = ExportReader.open(writeSample(20))) {
      for (int i = 0; i < 5; i++) r.next();
      cut = r.position();
    }
    Path file2 = dir.resolve("sample.svclog");
    Files.write(file2, java.util.Arrays.copyOf(Files.readAllBytes(file2), (int) cut));
    assertEquals(file2 + ": truncated: the file ends after record 5 (byte offset " + cut
        + ") without its trailer: the export was cut short", failure(file2));
  }

  @Test
  void flippedByteFailsTheChecksumOfThatRecord() throws IOException {
    Path file = writeSample(20);
    long at;
    try (ExportReader r = ExportReader.open(file)) {
      for (int i = 0; i < 6; i++) r.next();
      at = r.position(); // record 7 starts here
    }
    byte[] b = Files.readAllBytes(file);
    b[(int) at + 20] ^= 0x01;
    Files.write(file, b);
    String msg = failure(file);
    assertTrue(msg.startsWith(file + ": corrupted: record 7 at byte offset " + at + " fails its checksum (CRC32C stored "), msg);
  }

  @Test
  void newerFormatVersionIsRefusedByNumber() throws IOException {
    Path file = writeSample(1);
    byte[] b = Files.readAllBytes(file);
    b[11] = 2;
    Files.write(file, b);
    assertEquals(file + ": written in export format version 2, newer than version 1, the newest this svcctl reads:"
        + " read it with a newer svcctl", failure(file));
  }

  @Test
  void fileThatIsNotAnExportSaysWhatItStartsWith() throws IOException {
    Path file = dir.resolve("pods.yaml");
    Files.writeString(file, "apiVersion: v1\nkind: Pod\n");
    assertEquals(file + ": not a svcplane export file: it starts with bytes 61 70 69 56 65 72 73 69 (\"apiVersi\"),"
        + " not the export magic 89 53 56 43 4C 4F 47 0A (export files are written by `svcctl log export`)", failure(file));
    Files.write(file, new byte[0]);
    assertTrue(failure(file).contains("it starts with nothing (the file is empty)"));
    assertEquals(dir.resolve("missing") + ": no such file", failure(dir.resolve("missing")));
  }

  @Test
  void dataAfterTheTrailerAndAWrongCountAreCorruption() throws IOException {
    Path file = writeSample(3);
    Files.write(file, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
    assertTrue(failure(file).contains("corrupted: unexpected data after the trailer"), failure(file));
  }

  @Test
  void recordsOfAPartitionMustBeInOffsetOrder() throws IOException {
    try (ExportWriter w = ExportWriter.create(dir.resolve("x"), header())) {
      w.write(record(0, 0, 5, "a"));
      var e = assertThrows(IllegalArgumentException.class, () -> w.write(record(0, 0, 5, "b")));
      assertTrue(e.getMessage().contains("offset order"));
    }
  }

  @Test
  void valueBytesArePreservedExactly() throws IOException {
    Path file = dir.resolve("raw.svclog");
    ByteString raw = ByteString.copyFrom(new byte[] {8, 1, 0x12, 0});
    try (ExportWriter w = ExportWriter.create(file, header())) {
      w.write(ExportRecord.newBuilder().setTopic(1).setPartition(0).setOffset(3).setKey("k").setValue(raw).build());
      w.finish();
    }
    assertEquals(raw, readAll(file).get(0).getValue());
    try (ExportReader r = ExportReader.open(file)) {
      r.skipToEnd();
      assertNull(r.next());
    }
  }
}
