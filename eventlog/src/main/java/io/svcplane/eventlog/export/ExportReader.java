package io.svcplane.eventlog.export;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Timestamps;
import io.svcplane.api.v1.ExportFrame;
import io.svcplane.api.v1.ExportHeader;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.ExportTopic;
import io.svcplane.api.v1.ExportTrailer;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads an export file as a stream, checking everything it can: the magic and format version
 * first, then each frame's CRC32C, record order per partition, and at the end the trailer against
 * what was read. Any problem is an {@link ExportFormatException} naming the file, the record
 * number and the byte offset. Memory does not grow with the number of records.
 */
public final class ExportReader implements Closeable {
  private final InputStream in;
  private final String name;
  private final long size;
  private final CRC32C crc = new CRC32C();
  private final byte[] crcBytes = new byte[4];
  private final ExportHeader header;
  private final long[][] lastOffset;
  private final long[] perTopic;
  private long position;
  private long records;
  private long firstTime = Long.MAX_VALUE;
  private long lastTime = Long.MIN_VALUE;
  private ExportTrailer trailer;

  private ExportReader(InputStream in, String name, long size) throws IOException {
    this.in = in;
    this.name = name;
    this.size = size;
    readPrefix();
    ExportFrame first = readFrame("the header");
    if (first == null) throw error("truncated: the file ends after the format version, before the header");
    if (!first.hasHeader()) throw error("corrupted: the first frame (byte offset " + ExportFormat.PREFIX_LENGTH
        + ") is not the header");
    header = first.getHeader();
    if (header.getTopicsCount() == 0) throw error("corrupted: the header names no topic");
    lastOffset = new long[header.getTopicsCount()][];
    for (int t = 0; t < header.getTopicsCount(); t++) {
      ExportTopic topic = header.getTopics(t);
      if (topic.getPartitions() < 1 || topic.getPartitions() > 100_000) {
        throw error("corrupted: the header gives topic " + topic.getName() + " " + topic.getPartitions() + " partitions");
      }
      lastOffset[t] = new long[topic.getPartitions()];
      Arrays.fill(lastOffset[t], -1);
    }
    perTopic = new long[header.getTopicsCount()];
  }

  /** Opens a file and checks its magic, version and header. */
  public static ExportReader open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new ExportFormatException(file + ": no such file" + (Files.isDirectory(file) ? " (it is a directory)" : ""));
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      return new ExportReader(in, file.toString(), Files.size(file));
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** Reads from a stream, e.g. stdin; {@code size} is -1 when unknown. */
  public static ExportReader open(InputStream in, String name, long size) throws IOException {
    return new ExportReader(new BufferedInputStream(in, 1 << 16), name, size);
  }

  public ExportHeader header() {
    return header;
  }

  /** The file's name as messages show it. */
  public String name() {
    return name;
  }

  /** Size of the file in bytes, or -1 if unknown. */
  public long size() {
    return size;
  }

  /** Bytes read so far. */
  public long position() {
    return position;
  }

  /** Records returned so far. */
  public long records() {
    return records;
  }

  /** The trailer, once {@link #next()} has returned null; else null. */
  public ExportTrailer trailer() {
    return trailer;
  }

  /**
   * The next record, or null after the last one, when the trailer has been read and agrees with
   * the records and nothing follows it.
   */
  public ExportRecord next() throws IOException {
    if (trailer != null) return null;
    long at = position;
    String what = "record " + (records + 1);
    ExportFrame f = readFrame(what);
    if (f == null) {
      throw error("truncated: the file ends after record " + records + " (byte offset " + at
          + ") without its trailer: the export was cut short");
    }
    switch (f.getFrameCase()) {
      case RECORD -> {
        ExportRecord r = f.getRecord();
        check(r, what, at);
        records++;
        perTopic[r.getTopic()]++;
        firstTime = Math.min(firstTime, r.getTimestamp());
        lastTime = Math.max(lastTime, r.getTimestamp());
        return r;
      }
      case TRAILER -> {
        checkTrailer(f.getTrailer(), at);
        trailer = f.getTrailer();
        int extra = in.read();
        if (extra != -1) {
          throw error("corrupted: unexpected data after the trailer at byte offset " + position);
        }
        return null;
      }
      case HEADER -> throw error("corrupted: a second header at byte offset " + at + " (after record " + records + ")");
      default -> throw error("corrupted: frame at byte offset " + at + " (" + what + ") holds nothing");
    }
  }

  /** Reads every remaining record, checking them and the trailer. */
  public void skipToEnd() throws IOException {
    while (next() != null) {
      // checked as it is read
    }
  }

  private void check(ExportRecord r, String what, long at) throws ExportFormatException {
    if (r.getTopic() >= header.getTopicsCount()) {
      throw error("corrupted: " + what + " at byte offset " + at + " names topic index " + r.getTopic()
          + " but the header lists " + header.getTopicsCount() + " topics");
    }
    ExportTopic topic = header.getTopics(r.getTopic());
    if (r.getPartition() < 0 || r.getPartition() >= topic.getPartitions()) {
      throw error("corrupted: " + what + " at byte offset " + at + " is in partition " + r.getPartition() + " of "
          + topic.getName() + ", which has " + topic.getPartitions() + " partitions");
    }
    long prev = lastOffset[r.getTopic()][r.getPartition()];
    if (r.getOffset() <= prev) {
      throw error("corrupted: " + what + " at byte offset " + at + " has offset " + r.getOffset() + " of "
          + topic.getName() + " partition " + r.getPartition() + " after offset " + prev
          + ": records of a partition must be in offset order");
    }
    if (r.getPartition() < topic.getEndOffsetsCount() && r.getOffset() >= topic.getEndOffsets(r.getPartition())) {
      throw error("corrupted: " + what + " at byte offset " + at + " has offset " + r.getOffset() + " of "
          + topic.getName() + " partition " + r.getPartition() + ", beyond the export's end offset "
          + topic.getEndOffsets(r.getPartition()));
    }
    lastOffset[r.getTopic()][r.getPartition()] = r.getOffset();
  }

  private void checkTrailer(ExportTrailer t, long at) throws ExportFormatException {
    String where = "the trailer at byte offset " + at;
    if (t.getRecordCount() != records) {
      throw error("corrupted: " + where + " counts " + t.getRecordCount() + " records but the file holds " + records);
    }
    for (int i = 0; i < perTopic.length; i++) {
      long said = i < t.getRecordsPerTopicCount() ? t.getRecordsPerTopic(i) : 0;
      if (said != perTopic[i]) {
        throw error("corrupted: " + where + " counts " + said + " records of " + header.getTopics(i).getName()
            + " but the file holds " + perTopic[i]);
      }
    }
    if (records > 0 && (Timestamps.toMillis(t.getFirstRecordTime()) != firstTime
        || Timestamps.toMillis(t.getLastRecordTime()) != lastTime)) {
      throw error("corrupted: " + where + " gives a time range that differs from the records'");
    }
  }

  private void readPrefix() throws IOException {
    byte[] prefix = in.readNBytes(ExportFormat.PREFIX_LENGTH);
    position = prefix.length;
    int magicBytes = Math.min(prefix.length, ExportFormat.MAGIC.length);
    boolean magicOk = Arrays.equals(prefix, 0, magicBytes, ExportFormat.MAGIC, 0, magicBytes);
    if (!magicOk || prefix.length == 0) {
      throw error("not a svcplane export file: it starts with " + describe(prefix) + ", not the export magic "
          + hex(ExportFormat.MAGIC, ExportFormat.MAGIC.length) + " (export files are written by `svcctl log export`)");
    }
    if (prefix.length < ExportFormat.PREFIX_LENGTH) {
      throw error("truncated: the file ends after " + prefix.length + " bytes, inside the magic and version");
    }
    long version = ((prefix[8] & 0xffL) << 24) | ((prefix[9] & 0xff) << 16) | ((prefix[10] & 0xff) << 8) | (prefix[11] & 0xff);
    if (version > ExportFormat.VERSION) {
      throw error("written in export format version " + version + ", newer than version " + ExportFormat.VERSION
          + ", the newest this svcctl reads: read it with a newer svcctl");
    }
    if (version < 1) throw error("corrupted: format version " + version + " at byte offset 8 does not exist");
  }

  /** One frame, or null if the file ends cleanly before it. */
  private ExportFrame readFrame(String what) throws IOException {
    long at = position;
    int length = 0;
    for (int shift = 0; ; shift += 7) {
      int b = in.read();
      if (b < 0) {
        if (shift == 0) return null;
        throw error("truncated: the file ends inside the length of " + what + " at byte offset " + at);
      }
      position++;
      if (shift == 28 && (b & 0xf0) != 0) {
        throw error("corrupted: " + what + " at byte offset " + at + " has no valid length");
      }
      length |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (length > ExportFormat.MAX_FRAME_BYTES) {
      throw error("corrupted: " + what + " at byte offset " + at + " claims a length of " + length
          + " bytes, more than the " + ExportFormat.MAX_FRAME_BYTES + " a frame may have");
    }
    int n = in.readNBytes(crcBytes, 0, 4);
    position += n;
    if (n < 4) throw cutShort(what, at, length);
    byte[] payload = in.readNBytes(length);
    position += payload.length;
    if (payload.length < length) throw cutShort(what, at, length);
    int stored = ((crcBytes[0] & 0xff) << 24) | ((crcBytes[1] & 0xff) << 16) | ((crcBytes[2] & 0xff) << 8) | (crcBytes[3] & 0xff);
    crc.reset();
    crc.update(payload);
    int computed = (int) crc.getValue();
    if (stored != computed) {
      throw error("corrupted: " + what + " at byte offset " + at + " fails its checksum (CRC32C stored "
          + String.format("%08x", stored) + ", computed " + String.format("%08x", computed) + ")");
    }
    try {
      CodedInputStream cis = CodedInputStream.newInstance(payload);
      cis.enableAliasing(true); // record values stay slices of the frame, not copies
      return ExportFrame.parseFrom(cis);
    } catch (InvalidProtocolBufferException e) {
      throw error("corrupted: " + what + " at byte offset " + at + " is not a valid frame: " + e.getMessage());
    }
  }

  private ExportFormatException cutShort(String what, long at, int length) {
    String claim = size >= 0 && at + length > size
        ? " (its length prefix claims " + length + " bytes; a corrupted length looks the same)" : "";
    return error("truncated: the file ends inside " + what + " at byte offset " + at + claim
        + ": the export was cut short");
  }

  private ExportFormatException error(String message) {
    return new ExportFormatException(name + ": " + message);
  }

  private static String describe(byte[] b) {
    if (b.length == 0) return "nothing (the file is empty)";
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 8); i++) {
      char c = (char) (b[i] & 0xff);
      text.append(c >= 0x20 && c < 0x7f ? c : '.');
    }
    return "bytes " + hex(b, 8) + " (\"" + text + "\")";
  }

  private static String hex(byte[] b, int max) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, max); i++) {
      if (i > 0) s.append(' ');
      s.append(String.format("%02X", b[i] & 0xff));
    }
    return s.toString();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
