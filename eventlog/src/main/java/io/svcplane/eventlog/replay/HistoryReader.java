package io.svcplane.eventlog.replay;

import io.svcplane.api.v1.Cause;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.diff.EndpointsChange;
import io.svcplane.core.diff.FieldChange;
import io.svcplane.core.diff.ObjectDiff;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.NamespacePartitioner;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every event of one object, in order, each with what changed since the object's previous
 * version. For Endpoints, the published ones (svcplane.endpoints) with the resource event that
 * caused each change and how the address set moved, and any the user wrote (svcplane.resources).
 * Reads only the object's namespace partition of each topic (the partition of every cause too).
 */
public final class HistoryReader {
  /** Endpoints changes are shown as address moves and causes; this annotation repeats the cause's time. */
  private static final ObjectDiff ENDPOINTS_DIFF = ObjectDiff.ignoring(p -> p.equals("subsets")
      || p.equals("metadata.annotations[\"" + EndpointsPlanner.LAST_CHANGE_TRIGGER_TIME + "\"]"));
  private static final ObjectDiff DIFF = ObjectDiff.ignoring(p -> false);

  private final LogSource source;

  public HistoryReader(LogSource source) {
    this.source = source;
  }

  /** The resource event that caused an Endpoints change, as found in the log. */
  public record CauseInfo(int partition, long offset, Instant time, String key, EventType type, boolean inLog) {
    /** {@code resources 2:117}. */
    public String position() {
      return offset < 0 ? "not in this log" : "resources " + partition + ":" + offset;
    }
  }

  /**
   * One event of the object.
   *
   * @param previous the object's version before this event in the same topic, or null
   * @param changes field changes from {@code previous} (empty for ADDED)
   * @param addresses for Endpoints: the address set's move; else null
   * @param cause for published Endpoints: what caused them; else null
   */
  public record Entry(
      LogTopic topic, int partition, long offset, Instant time, EventType type, String writer,
      Resource object, Resource previous, List<FieldChange> changes, EndpointsChange addresses,
      CauseInfo cause, boolean snapshot) {

    /** The object's resourceVersion at this event: the record's offset. */
    public String version() {
      return Long.toString(offset);
    }
  }

  /** The history: entries ordered by time, then log position. */
  public record ObjectHistory(ObjectKey key, List<Entry> entries, List<PartitionRef> searched, long recordsRead,
      Optional<HistoryStart> start) {}

  /** Reads the object's history; an object without a single event is a {@link ReplayException}. */
  public ObjectHistory read(ObjectKey key, ProgressListener progress) throws IOException {
    String keyText = key.toString();
    List<PartitionRef> searched = new ArrayList<>();
    long[] read = {0};
    List<SourceRecord> published = new ArrayList<>();
    Set<Long> causeWanted = new TreeSet<>();
    Set<Integer> causePartitions = new TreeSet<>();

    if (key.kind() == Kind.ENDPOINTS && source.partitions(LogTopic.ENDPOINTS) > 0) {
      PartitionRef pe = new PartitionRef(LogTopic.ENDPOINTS,
          NamespacePartitioner.partitionFor(key.namespace(), source.partitions(LogTopic.ENDPOINTS)));
      searched.add(pe);
      source.scan(List.of(pe), Cut.END, r -> {
        read[0]++;
        if (!keyText.equals(r.key()) || r.value() == null) return;
        published.add(r);
        ResourceEvent e = r.event();
        if (e.hasCause() && e.getCause().getOffset() >= 0) {
          causePartitions.add(e.getCause().getPartition());
          causeWanted.add(causeKey(e.getCause().getPartition(), e.getCause().getOffset()));
        }
      }, progress);
    }

    int resourcesPartitions = source.partitions(LogTopic.RESOURCES);
    PartitionRef pr = new PartitionRef(LogTopic.RESOURCES, NamespacePartitioner.partitionFor(key.namespace(), resourcesPartitions));
    Set<PartitionRef> toScan = new TreeSet<>();
    toScan.add(pr);
    for (int p : causePartitions) {
      if (p >= 0 && p < resourcesPartitions) toScan.add(new PartitionRef(LogTopic.RESOURCES, p));
    }
    searched.addAll(toScan);
    List<SourceRecord> written = new ArrayList<>();
    Map<Long, SourceRecord> causes = new HashMap<>();
    source.scan(toScan, Cut.END, r -> {
      read[0]++;
      if (r.partition() == pr.partition() && keyText.equals(r.key()) && r.value() != null) written.add(r);
      long ck = causeKey(r.partition(), r.offset());
      if (causeWanted.contains(ck)) causes.put(ck, r);
    }, progress);

    if (published.isEmpty() && written.isEmpty()) {
      StringBuilder where = new StringBuilder();
      for (PartitionRef p : searched) {
        if (where.length() > 0) where.append(" and ");
        where.append(p.topic().topicName()).append(" partition ").append(p.partition());
      }
      String since = source.historyStart().map(s -> " since " + s.at()).orElse("");
      throw new ReplayException(Kinds.singular(key.kind()) + " \"" + key.name() + "\""
          + (Kinds.isNamespaced(key.kind()) ? " in namespace \"" + key.namespace() + "\"" : "")
          + " never existed in " + source.describe() + ": no event with key " + keyText + " in " + where
          + " (" + read[0] + " records read" + since + ")");
    }

    List<Entry> entries = new ArrayList<>();
    entries.addAll(entries(written, null));
    entries.addAll(entries(published, causes));
    entries.sort(Comparator.comparing(Entry::time).thenComparing(Entry::topic).thenComparingLong(Entry::offset));
    return new ObjectHistory(key, entries, searched, read[0], source.historyStart());
  }

  private static long causeKey(int partition, long offset) {
    return ((long) partition << 48) ^ offset;
  }

  /** Entries of one topic's stream, each diffed against the one before. */
  private static List<Entry> entries(List<SourceRecord> records, Map<Long, SourceRecord> causes) {
    List<Entry> out = new ArrayList<>();
    Resource previous = null;
    for (SourceRecord r : records) {
      ResourceEvent e = r.event();
      Resource object = e.getObject();
      boolean endpoints = object.getObjectCase() == Resource.ObjectCase.ENDPOINTS;
      Resource before = e.getType() == EventType.ADDED ? null : previous;
      List<FieldChange> changes = before == null || before.getObjectCase() != object.getObjectCase()
          ? List.of()
          : (endpoints ? ENDPOINTS_DIFF : DIFF).diff(unwrap(before), unwrap(object));
      EndpointsChange addresses = null;
      if (endpoints) {
        addresses = EndpointsChange.between(
            before == null ? null : before.getEndpoints(),
            e.getType() == EventType.DELETED ? null : object.getEndpoints());
      }
      CauseInfo cause = causes == null || !e.hasCause() ? null : cause(e.getCause(), causes);
      out.add(new Entry(r.topic(), r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()), e.getType(),
          e.getWriter(), object, before, changes, addresses, cause, r.snapshot()));
      previous = e.getType() == EventType.DELETED ? null : object;
    }
    return out;
  }

  /** The cause as the log has it: the resource record's key, type and time where it is there. */
  private static CauseInfo cause(Cause c, Map<Long, SourceRecord> causes) {
    SourceRecord r = c.getOffset() < 0 ? null : causes.get(causeKey(c.getPartition(), c.getOffset()));
    if (r != null && r.value() != null) {
      return new CauseInfo(c.getPartition(), c.getOffset(), Instant.ofEpochMilli(r.timestamp()), r.key(),
          r.event().getType(), true);
    }
    Instant t = c.hasTime() ? Instant.ofEpochSecond(c.getTime().getSeconds(), c.getTime().getNanos()) : null;
    return new CauseInfo(c.getPartition(), c.getOffset(), t, c.getKey(), c.getType(), false);
  }

  private static com.google.protobuf.Message unwrap(Resource r) {
    return switch (r.getObjectCase()) {
      case NAMESPACE -> r.getNamespace();
      case NODE -> r.getNode();
      case POD -> r.getPod();
      case SERVICE -> r.getService();
      case ENDPOINTS -> r.getEndpoints();
      case OBJECT_NOT_SET -> r;
    };
  }
}
