package io.svcplane.core.image;

import com.google.protobuf.InvalidProtocolBufferException;
import io.svcplane.api.v1.CollectionVersion;
import java.util.Arrays;
import java.util.Base64;

/**
 * Where a reader stands in the log: for each partition of each topic, the offset of the next
 * record to read. Its encoded form is the opaque collection version of the API (List, Watch,
 * ProxyFeed). Immutable.
 */
public final class LogPositions {
  public static final LogPositions EMPTY = new LogPositions(new long[0], new long[0]);

  private final long[] resources;
  private final long[] endpoints;

  private LogPositions(long[] resources, long[] endpoints) {
    this.resources = resources;
    this.endpoints = endpoints;
  }

  public static LogPositions of(long[] resources, long[] endpoints) {
    return new LogPositions(resources.clone(), endpoints.clone());
  }

  /** Next offset to read in a partition; 0 for a partition never read. */
  public long next(LogTopic topic, int partition) {
    long[] a = array(topic);
    return partition < a.length ? a[partition] : 0L;
  }

  public int partitions(LogTopic topic) {
    return array(topic).length;
  }

  /** These positions with one partition moved to {@code nextOffset}, if that is further on. */
  public LogPositions advance(LogTopic topic, int partition, long nextOffset) {
    long[] a = array(topic);
    if (partition < a.length && a[partition] >= nextOffset) return this;
    long[] b = Arrays.copyOf(a, Math.max(a.length, partition + 1));
    b[partition] = nextOffset;
    return topic == LogTopic.RESOURCES ? new LogPositions(b, endpoints) : new LogPositions(resources, b);
  }

  /** True if every partition here is at or beyond the same partition in {@code other}. */
  public boolean covers(LogPositions other) {
    for (LogTopic t : LogTopic.values()) {
      for (int p = 0; p < other.partitions(t); p++) {
        if (next(t, p) < other.next(t, p)) return false;
      }
    }
    return true;
  }

  /** Number of records in {@code newer} that these positions have not reached. */
  public long recordsBehind(LogPositions newer) {
    long behind = 0;
    for (LogTopic t : LogTopic.values()) {
      for (int p = 0; p < newer.partitions(t); p++) {
        behind += Math.max(0, newer.next(t, p) - next(t, p));
      }
    }
    return behind;
  }

  public CollectionVersion toProto() {
    var b = CollectionVersion.newBuilder();
    for (long o : resources) b.addResources(o);
    for (long o : endpoints) b.addEndpoints(o);
    return b.build();
  }

  public static LogPositions fromProto(CollectionVersion v) {
    return new LogPositions(
        v.getResourcesList().stream().mapToLong(Long::longValue).toArray(),
        v.getEndpointsList().stream().mapToLong(Long::longValue).toArray());
  }

  /** The opaque version string: base64url (no padding) of the CollectionVersion message. */
  public String encode() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(toProto().toByteArray());
  }

  /**
   * Parses a version string from {@link #encode()}; an empty string is {@link #EMPTY}.
   *
   * @throws IllegalArgumentException naming the value if it is not a version
   */
  public static LogPositions decode(String version) {
    if (version == null || version.isEmpty()) return EMPTY;
    try {
      LogPositions p = fromProto(CollectionVersion.parseFrom(Base64.getUrlDecoder().decode(version)));
      for (LogTopic t : LogTopic.values()) {
        for (int i = 0; i < p.partitions(t); i++) {
          if (p.next(t, i) < 0) throw new IllegalArgumentException("negative offset");
        }
      }
      return p;
    } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("\"" + version + "\" is not a collection version", e);
    }
  }

  private long[] array(LogTopic topic) {
    return topic == LogTopic.RESOURCES ? resources : endpoints;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogPositions p
        && Arrays.equals(trim(resources), trim(p.resources))
        && Arrays.equals(trim(endpoints), trim(p.endpoints));
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(trim(resources)) + Arrays.hashCode(trim(endpoints));
  }

  /** Trailing never-read partitions do not make two positions differ. */
  private static long[] trim(long[] a) {
    int n = a.length;
    while (n > 0 && a[n - 1] == 0) n--;
    return n == a.length ? a : Arrays.copyOf(a, n);
  }

  @Override
  public String toString() {
    return "resources" + Arrays.toString(resources) + " endpoints" + Arrays.toString(endpoints);
  }
}
