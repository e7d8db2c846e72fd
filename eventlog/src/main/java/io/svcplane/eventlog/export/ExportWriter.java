package io.svcplane.eventlog.export;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.util.Timestamps;
import io.svcplane.api.v1.ExportFrame;
import io.svcplane.api.v1.ExportHeader;
import io.svcplane.api.v1.ExportRecord;
import io.svcplane.api.v1.ExportTrailer;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes an export file as a stream: the header, then one frame per record, then the trailer on
 * {@link #finish()}. Memory does not grow with the number of records. A file target is written
 * under a {@code .partial} name and renamed only when finished, so an export that fails never
 * leaves a file that looks complete.
 */
public final class ExportWriter implements Closeable {
  private final OutputStream out;
  private final Path target;
  private final Path partial;
  private final ExportHeader header;
  private final long[] perTopic;
  private final Map<Long, Long> lastOffset = new HashMap<>();
  private final CRC32C crc = new CRC32C();
  private final byte[] lengthAndCrc = new byte[9];
  private long records;
  private long firstTime = Long.MAX_VALUE;
  private long lastTime = Long.MIN_VALUE;
  private long bytes;
  private boolean finished;

  private ExportWriter(OutputStream out, Path target, Path partial, ExportHeader header) throws IOException {
    this.out = out;
    this.target = target;
    this.partial = partial;
    this.header = header;
    this.perTopic = new long[header.getTopicsCount()];
    if (header.getTopicsCount() == 0) throw new IllegalArgumentException("an export needs at least one topic");
    out.write(ExportFormat.MAGIC);
    out.write(new byte[] {0, 0, 0, (byte) ExportFormat.VERSION});
    bytes = ExportFormat.PREFIX_LENGTH;
    frame(ExportFrame.newBuilder().setHeader(header).build());
  }

  /** Writes to {@code file} (through {@code file.partial}, renamed by {@link #finish()}). */
  public static ExportWriter create(Path file, ExportHeader header) throws IOException {
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    OutputStream os = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16);
    try {
      return new ExportWriter(os, file, partial, header);
    } catch (IOException | RuntimeException e) {
      os.close();
      Files.deleteIfExists(partial);
      throw e;
    }
  }

  /** Writes to a stream (e.g. stdout); {@link #close()} closes it. */
  public static ExportWriter to(OutputStream out, ExportHeader header) throws IOException {
    return new ExportWriter(new BufferedOutputStream(out, 1 << 16), null, null, header);
  }

  public ExportHeader header() {
    return header;
  }

  /** Appends one record; records of one partition must come in offset order. */
  public void write(ExportRecord r) throws IOException {
    if (finished) throw new IllegalStateException("export already finished");
    if (r.getTopic() >= perTopic.length) {
      throw new IllegalArgumentException("record topic index " + r.getTopic() + " but the header has "
          + perTopic.length + " topics");
    }
    long tp = ((long) r.getTopic() << 32) | r.getPartition();
    Long prev = lastOffset.put(tp, r.getOffset());
    if (prev != null && prev >= r.getOffset()) {
      throw new IllegalArgumentException("offset " + r.getOffset() + " of " + header.getTopics(r.getTopic()).getName()
          + " partition " + r.getPartition() + " after offset " + prev + ": records of a partition go in offset order");
    }
    frame(ExportFrame.newBuilder().setRecord(r).build());
    records++;
    perTopic[r.getTopic()]++;
    firstTime = Math.min(firstTime, r.getTimestamp());
    lastTime = Math.max(lastTime, r.getTimestamp());
  }

  public long records() {
    return records;
  }

  /** Bytes written so far. */
  public long bytes() {
    return bytes;
  }

  /** Writes the trailer, flushes, and (for a file) gives the file its final name. */
  public ExportTrailer finish() throws IOException {
    if (finished) throw new IllegalStateException("export already finished");
    var t = ExportTrailer.newBuilder().setRecordCount(records);
    for (long n : perTopic) t.addRecordsPerTopic(n);
    if (records > 0) {
      t.setFirstRecordTime(Timestamps.fromMillis(firstTime)).setLastRecordTime(Timestamps.fromMillis(lastTime));
    }
    ExportTrailer trailer = t.build();
    frame(ExportFrame.newBuilder().setTrailer(trailer).build());
    out.flush();
    finished = true;
    out.close();
    if (target != null) Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return trailer;
  }

  private void frame(ExportFrame f) throws IOException {
    byte[] payload = f.toByteArray();
    crc.reset();
    crc.update(payload);
    int crcValue = (int) crc.getValue();
    CodedOutputStream cos = CodedOutputStream.newInstance(lengthAndCrc);
    cos.writeUInt32NoTag(payload.length);
    int n = cos.getTotalBytesWritten();
    lengthAndCrc[n] = (byte) (crcValue >>> 24);
    lengthAndCrc[n + 1] = (byte) (crcValue >>> 16);
    lengthAndCrc[n + 2] = (byte) (crcValue >>> 8);
    lengthAndCrc[n + 3] = (byte) crcValue;
    out.write(lengthAndCrc, 0, n + 4);
    out.write(payload);
    bytes += n + 4 + payload.length;
  }

  /** Without {@link #finish()}, discards the partial file. */
  @Override
  public void close() throws IOException {
    if (finished) return;
    finished = true;
    try {
      out.close();
    } finally {
      if (partial != null) Files.deleteIfExists(partial);
    }
  }
}
