package io.svcplane.eventlog.replay;

import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.diff.EndpointsChange;
import io.svcplane.core.diff.FieldChange;
import io.svcplane.core.diff.ObjectDiff;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Checks the Endpoints recorded on svcplane.endpoints against what core's
 * {@link EndpointsPlanner} computes from the recorded resource events: the controller's work,
 * done again offline.
 *
 * <p>Alignment is by cause. Each recorded Endpoints event names the resource record that caused
 * it; the planner is run on the fold of that record's partition up to and including it (the
 * controller may fold a whole batch first, but the cause is the last record of the batch that
 * touched the service, so the service's pods and spec are the same there). Its subsets and labels
 * (and for user-written Endpoints, the annotations) must equal the recorded ones; a DELETED event
 * must meet no desired Endpoints. Then, at the last cause of each partition (the point the
 * controller has provably reached), every service's last recorded Endpoints must equal the
 * planner's: this catches changes the controller never published. Resource events after that
 * point are not judged: the controller may not have reached them.
 */
public final class EndpointsVerifier {
  private static final ObjectDiff DIFF = ObjectDiff.ignoring(p -> false);

  private final LogSource source;
  private final Predicate<String> namespaces;

  /** @param namespaces which namespaces to check (all: {@code ns -> true}) */
  public EndpointsVerifier(LogSource source, Predicate<String> namespaces) {
    this.source = source;
    this.namespaces = namespaces;
  }

  /** One disagreement between the log and the planner. */
  public record Divergence(
      ObjectKey endpoints, Instant time, String recordedAt, String causedBy, String what,
      List<String> details) {}

  /**
   * The outcome.
   *
   * @param checkedEvents recorded Endpoints events compared with the planner at their cause
   * @param uncheckedEvents recorded events whose cause is not in the log (compacted, exported
   *     --since, or no cause at all)
   * @param resourceEvents resource events folded
   * @param servicesAtEnd services compared at the last cause of their partition
   * @param notReached resource events after the last cause of their partition (not judged)
   * @param divergences every disagreement, earliest first
   */
  public record Result(long checkedEvents, long uncheckedEvents, long resourceEvents, long servicesAtEnd,
      long notReached, int partitions, List<Divergence> divergences) {
    public boolean clean() {
      return divergences.isEmpty();
    }
  }

  /**
   * A recorded Endpoints event, waiting for its cause. Only its bytes are kept (a log has many):
   * the event is parsed again when its cause comes.
   */
  private record Recorded(SourceRecord record, ObjectKey key, long causeOffset, boolean deleted) {
    Endpoints endpoints() {
      return record.event().getObject().getEndpoints();
    }
  }

  /** The replay of one resources partition. */
  private final class PartitionCheck {
    final int partition;
    final List<Recorded> byCause;
    final long horizon;
    int next;
    ClusterImage image = ClusterImage.EMPTY;
    ClusterDelta delta = new ClusterDelta(ClusterImage.EMPTY);
    boolean dirty;
    boolean endChecked;
    final Map<ObjectKey, Endpoints> recorded = new HashMap<>();
    SourceRecord lastCause;

    PartitionCheck(int partition, List<Recorded> records) {
      this.partition = partition;
      records.sort(Comparator.comparingLong(Recorded::causeOffset).thenComparingLong(r -> r.record.offset()));
      this.byCause = records;
      this.horizon = records.isEmpty() ? -1 : records.get(records.size() - 1).causeOffset;
    }

    void onResource(SourceRecord r) {
      // causes that point between the records present (compacted away): not judged
      while (next < byCause.size() && byCause.get(next).causeOffset < r.offset()) skip(byCause.get(next++));
      if (!endChecked && horizon >= 0 && horizon < r.offset()) checkEnd();
      if (endChecked) {
        notReached++;
        return;
      }
      if (r.value() == null) delta.advance(LogTopic.RESOURCES, partition, r.offset() + 1);
      else delta.replay(LogTopic.RESOURCES, partition, r.offset(), r.event());
      resourceEvents++;
      dirty = true;
      boolean hasCause = false;
      while (next < byCause.size() && byCause.get(next).causeOffset == r.offset()) {
        hasCause = true;
        check(byCause.get(next++), r);
      }
      if (hasCause) lastCause = r;
      if (r.offset() == horizon) checkEnd();
    }

    void finish() {
      while (next < byCause.size()) skip(byCause.get(next++));
      if (!endChecked && horizon >= 0) checkEnd();
    }

    private ClusterImage current() {
      if (dirty) {
        image = delta.apply();
        delta = new ClusterDelta(image);
        dirty = false;
      }
      return image;
    }

    private void skip(Recorded rec) {
      unchecked++;
      remember(rec);
    }

    private void remember(Recorded rec) {
      if (rec.deleted) recorded.remove(rec.key);
      else recorded.put(rec.key, rec.endpoints());
    }

    private void check(Recorded rec, SourceRecord cause) {
      checked++;
      NamespaceImage ns = current().namespace(rec.key.namespace());
      Optional<Endpoints> desired = desired(ns, rec.key.name(), Optional.ofNullable(recorded.get(rec.key)));
      Optional<Endpoints> actual = rec.deleted ? Optional.empty() : Optional.of(rec.endpoints());
      compare(rec.key, desired, actual, Instant.ofEpochMilli(rec.record.timestamp()), Instant.ofEpochMilli(cause.timestamp()),
          rec.record.position(), describe(cause));
      remember(rec);
    }

    /** At the last cause: every service of the partition's namespaces, recorded vs planned. */
    private void checkEnd() {
      endChecked = true;
      ClusterImage img = current();
      Set<ObjectKey> keys = new TreeSet<>(recorded.keySet());
      img.namespaces().forEach((name, ns) -> {
        if (!namespaces.test(name)) return;
        ns.services().keySet().forEach(s -> keys.add(new ObjectKey(Kind.ENDPOINTS, name, s)));
      });
      String at = lastCause == null ? "the end of the log" : "the last recorded cause, " + lastCause.position();
      for (ObjectKey k : keys) {
        servicesAtEnd++;
        NamespaceImage ns = img.namespace(k.namespace());
        Optional<Endpoints> previous = Optional.ofNullable(recorded.get(k));
        Instant t = lastCause == null ? Instant.MAX : Instant.ofEpochMilli(lastCause.timestamp());
        compare(k, desired(ns, k.name(), previous), previous, lastCause == null ? null : t, t,
            "the last recorded Endpoints (as of " + at + ")", null);
      }
    }
  }

  private long checked;
  private long unchecked;
  private long resourceEvents;
  private long servicesAtEnd;
  private long notReached;
  /** Divergences with the time of the resource event they are judged at: log order across partitions. */
  private record Found(Instant causeTime, long sequence, Divergence divergence) {}

  private final List<Found> divergences = new ArrayList<>();

  public Result verify(ProgressListener progress) throws IOException {
    int partitions = source.partitions(LogTopic.RESOURCES);
    Map<Integer, List<Recorded>> byPartition = new TreeMap<>();
    for (int p = 0; p < partitions; p++) byPartition.put(p, new ArrayList<>());
    List<PartitionRef> endpointsPartitions = new ArrayList<>();
    for (int p = 0; p < source.partitions(LogTopic.ENDPOINTS); p++) endpointsPartitions.add(new PartitionRef(LogTopic.ENDPOINTS, p));
    source.scan(endpointsPartitions, Cut.END, r -> {
      if (r.value() == null) return;
      ResourceEvent e = r.event();
      if (e.getObject().getObjectCase() != Resource.ObjectCase.ENDPOINTS) return;
      ObjectKey key = ObjectKey.of(e.getObject());
      if (!namespaces.test(key.namespace())) return;
      if (!e.hasCause() || e.getCause().getOffset() < 0
          || !byPartition.containsKey(e.getCause().getPartition())) {
        unchecked++;
        return;
      }
      byPartition.get(e.getCause().getPartition())
          .add(new Recorded(r, key, e.getCause().getOffset(), e.getType() == EventType.DELETED));
    }, ProgressListener.NONE);

    Map<Integer, PartitionCheck> checks = new HashMap<>();
    byPartition.forEach((p, recs) -> checks.put(p, new PartitionCheck(p, recs)));
    List<PartitionRef> resourcePartitions = new ArrayList<>();
    for (int p = 0; p < partitions; p++) resourcePartitions.add(new PartitionRef(LogTopic.RESOURCES, p));
    source.scan(resourcePartitions, Cut.END, r -> {
      if (r.key() != null && !r.key().isEmpty() && !namespaces.test(namespaceOf(r.key()))) return;
      checks.get(r.partition()).onResource(r);
    }, progress);
    checks.values().forEach(PartitionCheck::finish);
    divergences.sort(Comparator.comparing(Found::causeTime).thenComparingLong(Found::sequence));
    return new Result(checked, unchecked, resourceEvents, servicesAtEnd, notReached, partitions,
        divergences.stream().map(Found::divergence).toList());
  }

  private static String namespaceOf(String key) {
    try {
      return ObjectKey.namespaceOfKey(key);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private static Optional<Endpoints> desired(NamespaceImage ns, String name, Optional<Endpoints> previous) {
    Service service = ns.services().get(name);
    return EndpointsPlanner.desired(Optional.ofNullable(service), ns.pods().values(),
        Optional.ofNullable(ns.userEndpoints().get(name)), previous, null);
  }

  private void compare(ObjectKey key, Optional<Endpoints> desired, Optional<Endpoints> actual, Instant time,
      Instant causeTime, String recordedAt, String causedBy) {
    Optional<Endpoints> d = desired.map(EndpointsVerifier::comparable);
    Optional<Endpoints> a = actual.map(EndpointsVerifier::comparable);
    if (d.equals(a)) return;
    List<String> details = new ArrayList<>();
    String what;
    if (d.isEmpty()) {
      what = "recorded Endpoints where the planner wants none";
      details.add("recorded: " + EndpointsChange.backends(a.get()));
    } else if (a.isEmpty()) {
      what = "no Endpoints recorded where the planner wants " + EndpointsChange.backends(d.get());
    } else {
      what = "recorded Endpoints differ from the planner's";
      EndpointsChange move = EndpointsChange.between(a.get(), d.get());
      if (!move.isEmpty()) details.add("planner vs recorded addresses: " + move);
      for (FieldChange c : DIFF.diff(a.get(), d.get())) {
        if (!c.path().startsWith("subsets")) details.add("recorded -> planner: " + c);
      }
      if (details.isEmpty()) details.add("address order or subset layout differs");
    }
    divergences.add(new Found(causeTime, divergences.size(), new Divergence(key, time, recordedAt, causedBy, what, details)));
  }

  /** What the planner decides on: subsets, labels, and annotations other than the trigger time. */
  private static Endpoints comparable(Endpoints e) {
    ObjectMeta m = e.getMetadata();
    ObjectMeta.Builder meta = ObjectMeta.newBuilder().setName(m.getName()).setNamespace(m.getNamespace())
        .putAllLabels(m.getLabelsMap()).putAllAnnotations(m.getAnnotationsMap())
        .removeAnnotations(EndpointsPlanner.LAST_CHANGE_TRIGGER_TIME);
    return Endpoints.newBuilder().setMetadata(meta).addAllSubsets(e.getSubsetsList()).build();
  }

  private static String describe(SourceRecord cause) {
    String type = cause.value() == null ? "tombstone" : cause.event().getType().name();
    return cause.key() + " " + type + " at " + Instant.ofEpochMilli(cause.timestamp()) + " (" + cause.position() + ")";
  }
}
