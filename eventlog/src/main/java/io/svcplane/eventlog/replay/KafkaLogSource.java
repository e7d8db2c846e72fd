package io.svcplane.eventlog.replay;

import com.google.protobuf.UnsafeByteOperations;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads svcplane's two topics straight from Kafka: committed records only (read_committed), every
 * partition assigned (no consumer group, nothing committed), up to the end the log had when the
 * source was opened. Values stay bytes until a replay parses them.
 */
public final class KafkaLogSource implements LogSource {
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final KafkaClients clients;
  private final Clock clock;
  private final String clusterId;
  private final Map<LogTopic, Integer> partitionCounts = new HashMap<>();
  private final Map<LogTopic, Long> historyWindowMs = new HashMap<>();
  private final Map<LogTopic, Boolean> compacted = new HashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<PartitionRef, Long> begin = new HashMap<>();
  private final Map<PartitionRef, Long> endOffsets = new HashMap<>();
  private final LogPositions end;
  private Optional<HistoryStart> historyStart;

  private KafkaLogSource(KafkaClients clients, Clock clock) {
    this.clients = clients;
    this.clock = clock;
    Properties adminProps = clients.admin();
    adminProps.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(TIMEOUT.toMillis()));
    adminProps.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(TIMEOUT.toMillis()));
    try (Admin admin = Admin.create(adminProps)) {
      clusterId = get(admin.describeCluster().clusterId());
      Map<String, TopicDescription> topics = new HashMap<>();
      for (LogTopic t : LogTopic.values()) {
        try {
          topics.put(t.topicName(), get(admin.describeTopics(List.of(t.topicName())).topicNameValues().get(t.topicName())));
        } catch (ReplayException e) {
          if (e.getCause() instanceof UnknownTopicOrPartitionException) {
            throw new ReplayException("topic " + t.topicName() + " does not exist at " + clients.bootstrapServers()
                + ": no svcplane log there (an apiserver creates it on first start)");
          }
          throw e;
        }
        partitionCounts.put(t, topics.get(t.topicName()).partitions().size());
      }
      List<ConfigResource> resources = new ArrayList<>();
      for (LogTopic t : LogTopic.values()) resources.add(new ConfigResource(ConfigResource.Type.TOPIC, t.topicName()));
      Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all());
      for (LogTopic t : LogTopic.values()) {
        Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.topicName()));
        var lag = c.get("min.compaction.lag.ms");
        var policy = c.get("cleanup.policy");
        historyWindowMs.put(t, lag == null ? 0L : Long.parseLong(lag.value()));
        compacted.put(t, policy != null && policy.value().contains("compact"));
      }
    }
    Properties p = clients.consumer(null);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "svcplane-replay");
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    p.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
    p.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(64 << 20));
    p.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(TIMEOUT.toMillis()));
    // a read of history never waits for new data: an empty fetch means the end, answer at once
    p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
    consumer = new KafkaConsumer<>(p);
    try {
      List<TopicPartition> all = new ArrayList<>();
      for (LogTopic t : LogTopic.values()) {
        for (int i = 0; i < partitionCounts.get(t); i++) all.add(new TopicPartition(t.topicName(), i));
      }
      Map<TopicPartition, Long> b = consumer.beginningOffsets(all, TIMEOUT);
      Map<TopicPartition, Long> e = consumer.endOffsets(all, TIMEOUT);
      LogPositions positions = LogPositions.EMPTY;
      for (TopicPartition tp : all) {
        PartitionRef ref = ref(tp);
        begin.put(ref, b.get(tp));
        endOffsets.put(ref, e.get(tp));
        positions = positions.advance(ref.topic(), ref.partition(), e.get(tp));
      }
      end = positions;
    } catch (RuntimeException ex) {
      consumer.close(Duration.ZERO);
      throw new ReplayException("cannot read the log at " + clients.bootstrapServers() + ": " + ex.getMessage(), ex);
    }
  }

  /** Connects and takes the log's current end as the end of every read. */
  public static KafkaLogSource open(KafkaClients clients, Clock clock) {
    return new KafkaLogSource(clients, clock);
  }

  public String clusterId() {
    return clusterId;
  }

  public String bootstrapServers() {
    return clients.bootstrapServers();
  }

  /** The topic's min.compaction.lag.ms: how long full history is kept. */
  public long historyWindowMs(LogTopic topic) {
    return historyWindowMs.get(topic);
  }

  /** The first offset still in a partition. */
  public long beginning(PartitionRef p) {
    return begin.getOrDefault(p, 0L);
  }

  @Override
  public String describe() {
    return "Kafka at " + clients.bootstrapServers();
  }

  @Override
  public int partitions(LogTopic topic) {
    return partitionCounts.getOrDefault(topic, 0);
  }

  @Override
  public LogPositions end() {
    return end;
  }

  /**
   * The later of the log's first record and, for compacted topics that hold records older than
   * their min.compaction.lag.ms, now minus that lag: before it, compaction may have removed
   * versions that a state needs.
   */
  @Override
  public Optional<HistoryStart> historyStart() {
    if (historyStart != null) return historyStart;
    Map<PartitionRef, SourceRecord> first = firstRecords();
    HistoryStart start = null;
    for (SourceRecord r : first.values()) {
      HistoryStart s = new HistoryStart(Instant.ofEpochMilli(r.timestamp()),
          "the first record of the log, " + r.position());
      if (start == null || s.at().isBefore(start.at())) start = s;
    }
    if (start != null) {
      for (LogTopic t : LogTopic.values()) {
        if (!compacted.get(t)) continue;
        Instant horizon = clock.instant().minusMillis(historyWindowMs.get(t));
        start = start.max(new HistoryStart(horizon, "the compaction horizon of " + t.topicName()
            + ": min.compaction.lag.ms is " + Duration.ofMillis(historyWindowMs.get(t))
            + ", older versions may have been compacted away"));
      }
    }
    historyStart = Optional.ofNullable(start);
    return historyStart;
  }

  private Map<PartitionRef, SourceRecord> firstRecords() {
    Map<TopicPartition, Long> from = new HashMap<>();
    begin.forEach((p, b) -> from.put(tp(p), b));
    return firstRecordsFrom(from);
  }

  /**
   * The first committed record at or after each given offset, for the partitions that have one
   * before their end (transaction markers and aborted records take offsets but are not records).
   */
  private Map<PartitionRef, SourceRecord> firstRecordsFrom(Map<TopicPartition, Long> from) {
    Map<PartitionRef, SourceRecord> first = new HashMap<>();
    Map<TopicPartition, Long> stop = new HashMap<>();
    from.forEach((tp, o) -> {
      long e = endOffsets.get(ref(tp));
      if (o < e) stop.put(tp, e);
    });
    if (stop.isEmpty()) return first;
    consumer.assign(stop.keySet());
    for (TopicPartition tp : stop.keySet()) consumer.seek(tp, from.get(tp));
    Set<TopicPartition> open = new HashSet<>(stop.keySet());
    long deadline = System.nanoTime() + TIMEOUT.toNanos() * 4;
    while (!open.isEmpty()) {
      if (System.nanoTime() > deadline) throw new ReplayException("timed out reading records at " + describe());
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (open.remove(tp)) {
          first.put(ref(tp), toSource(r));
          consumer.pause(List.of(tp));
        }
      }
      open.removeIf(tp -> consumer.position(tp) >= stop.get(tp));
    }
    consumer.resume(consumer.paused());
    return first;
  }

  @Override
  public LogPositions scan(Collection<PartitionRef> partitions, Cut cut, Consumer<SourceRecord> visitor,
      ProgressListener progress) {
    Cut.Tracker tracker = cut.tracker();
    Map<TopicPartition, Long> stop = stopOffsets(partitions, cut);
    Map<TopicPartition, Long> from = new HashMap<>();
    long total = 0;
    List<TopicPartition> toRead = new ArrayList<>();
    for (var e : stop.entrySet()) {
      long b = begin.get(ref(e.getKey()));
      from.put(e.getKey(), b);
      if (e.getValue() > b) {
        toRead.add(e.getKey());
        total += e.getValue() - b;
      }
    }
    consumer.assign(toRead);
    for (TopicPartition tp : toRead) consumer.seek(tp, from.get(tp));
    Set<TopicPartition> open = new HashSet<>(toRead);
    long records = 0;
    long lastReport = System.nanoTime();
    while (!open.isEmpty()) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (r.offset() >= stop.get(tp)) continue;
        LogTopic topic = LogTopic.byTopicName(r.topic());
        if (!tracker.admits(topic, r.partition(), r.offset(), r.timestamp())) continue;
        visitor.accept(toSource(r));
        records++;
      }
      List<TopicPartition> finished = new ArrayList<>();
      for (TopicPartition tp : open) {
        if (consumer.position(tp) >= stop.get(tp)) finished.add(tp);
      }
      if (!finished.isEmpty()) {
        consumer.pause(finished);
        finished.forEach(open::remove);
      }
      if (System.nanoTime() - lastReport > 200_000_000L) {
        lastReport = System.nanoTime();
        long done = 0;
        for (TopicPartition tp : toRead) done += Math.min(consumer.position(tp), stop.get(tp)) - from.get(tp);
        progress.progress(records, total == 0 ? 1.0 : (double) done / total);
      }
    }
    consumer.resume(consumer.paused());
    progress.done(records);
    LogPositions reached = LogPositions.EMPTY;
    for (var e : stop.entrySet()) {
      PartitionRef ref = ref(e.getKey());
      Long excluded = tracker.firstExcluded(ref);
      reached = reached.advance(ref.topic(), ref.partition(), excluded != null ? excluded : e.getValue());
    }
    return reached;
  }

  /**
   * Where a read of every partition up to {@code cut} ends, known before reading: the positions a
   * replay to the cut reaches (an export writes them into its header).
   */
  public LogPositions stopPositions(Cut cut) {
    LogPositions out = LogPositions.EMPTY;
    for (var e : stopOffsets(allPartitions(), cut).entrySet()) {
      PartitionRef ref = ref(e.getKey());
      out = out.advance(ref.topic(), ref.partition(), e.getValue());
    }
    return out;
  }

  /**
   * Where each partition's read ends: the offset of its first record outside the cut, or its end.
   * Kafka's time index finds the first entry stamped after the cut, which may be a transaction
   * marker (stamped at commit); the first real record at or after it is where the cut ends, as a
   * reader of an export file, which holds no markers, finds it too.
   */
  private Map<TopicPartition, Long> stopOffsets(Collection<PartitionRef> partitions, Cut cut) {
    Map<TopicPartition, Long> stop = new HashMap<>();
    Map<TopicPartition, Long> byTime = new HashMap<>();
    for (PartitionRef p : partitions) {
      long s = endOffsets.get(p);
      Long last = cut.lastOffsets().get(p);
      if (last != null) s = Math.min(s, last + 1);
      else if (cut.time() != null) byTime.put(tp(p), cut.timeMillis() + 1);
      stop.put(tp(p), s);
    }
    if (!byTime.isEmpty()) {
      Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(byTime, TIMEOUT);
      found.forEach((tp, ot) -> {
        if (ot != null) stop.merge(tp, ot.offset(), Math::min);
      });
    }
    Map<TopicPartition, Long> cutShort = new HashMap<>();
    stop.forEach((tp, s) -> {
      if (s < endOffsets.get(ref(tp))) cutShort.put(tp, s);
    });
    if (!cutShort.isEmpty()) {
      Map<PartitionRef, SourceRecord> first = firstRecordsFrom(cutShort);
      cutShort.keySet().forEach(tp -> {
        SourceRecord r = first.get(ref(tp));
        stop.put(tp, r != null ? r.offset() : endOffsets.get(ref(tp)));
      });
    }
    return stop;
  }

  @Override
  public Optional<SourceRecord> lastRecordAtOrBefore(PartitionRef partition, long offset) {
    TopicPartition tp = tp(partition);
    long first = begin.get(partition);
    long stop = Math.min(offset + 1, endOffsets.get(partition));
    long step = 64;
    long from = Math.max(first, stop - step);
    while (stop > first) {
      consumer.assign(List.of(tp));
      consumer.seek(tp, from);
      SourceRecord last = null;
      while (consumer.position(tp) < stop) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < stop) last = toSource(r);
        }
      }
      if (last != null) return Optional.of(last);
      if (from == first) break;
      step *= 16;
      stop = from;
      from = Math.max(first, stop - step);
    }
    return Optional.empty();
  }

  private static SourceRecord toSource(ConsumerRecord<String, byte[]> r) {
    return new SourceRecord(LogTopic.byTopicName(r.topic()), r.partition(), r.offset(), r.timestamp(), r.key(),
        r.value() == null ? null : UnsafeByteOperations.unsafeWrap(r.value()), false);
  }

  private static PartitionRef ref(TopicPartition tp) {
    return new PartitionRef(LogTopic.byTopicName(tp.topic()), tp.partition());
  }

  private static TopicPartition tp(PartitionRef p) {
    return new TopicPartition(p.topic().topicName(), p.partition());
  }

  private <T> T get(org.apache.kafka.common.KafkaFuture<T> f) {
    try {
      return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      String why = c instanceof org.apache.kafka.common.errors.TimeoutException
          ? "no answer within " + TIMEOUT.toSeconds() + " s" : c.getMessage();
      throw new ReplayException("cannot reach Kafka at " + clients.bootstrapServers() + ": " + why
          + " (is the cluster up? give --kafka HOST:PORT or set SVCPLANE_KAFKA)", c);
    } catch (TimeoutException e) {
      throw new ReplayException("cannot reach Kafka at " + clients.bootstrapServers() + ": no answer within "
          + TIMEOUT.toSeconds() + " s (is the cluster up? give --kafka HOST:PORT or set SVCPLANE_KAFKA)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted", e);
    }
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
