package io.svcplane.eventlog.export;

import io.svcplane.api.v1.Cause;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.replay.Cut;
import io.svcplane.eventlog.replay.ExportFileSource;
import io.svcplane.eventlog.replay.PartitionRef;
import io.svcplane.eventlog.replay.ProgressListener;
import io.svcplane.eventlog.replay.ReplayException;
import io.svcplane.eventlog.replay.SourceRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes an export file into the topics of a Kafka cluster, so a log from elsewhere can be served
 * by an apiserver or replayed here. Kafka gives imported records new offsets, so the importer
 * renumbers what points at offsets: the {@code cause} of every published Endpoints is rewritten
 * to the new place of its resource event. Keys, values and timestamps stay as they were, so time
 * travel answers as it did at the source.
 *
 * <p>Refuses topics that already hold records unless forced (the log would then mix two
 * histories), and checks the whole file before writing anything.
 */
public final class LogImporter {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final KafkaClients clients;

  public LogImporter(KafkaClients clients) {
    this.clients = clients;
  }

  /** What an import did. */
  public record Imported(
      Map<LogTopic, Long> records,
      Map<LogTopic, Integer> partitions,
      boolean createdTopics,
      boolean samePartitions,
      long causesRewritten,
      long causesNotInFile,
      Map<LogTopic, Long> recordsAlreadyThere) {}

  public Imported importFile(Path file, boolean force, ProgressListener progress) throws IOException {
    ExportFileSource source = ExportFileSource.open(file);
    // bad input changes nothing: the whole file is checked before the first record is sent
    source.scan(source.allPartitions(), Cut.END, r -> {}, ProgressListener.NONE);

    Map<LogTopic, Integer> partitions = new HashMap<>();
    Map<LogTopic, Long> existing = new HashMap<>();
    boolean created;
    try (Admin admin = Admin.create(clients.admin())) {
      created = ensureTopics(admin, source, partitions);
      existing.putAll(recordCounts(partitions));
    }
    long already = existing.values().stream().mapToLong(Long::longValue).sum();
    if (already > 0 && !force) {
      throw new ReplayException("the log at " + clients.bootstrapServers() + " is not empty ("
          + existing.get(LogTopic.RESOURCES) + " records in " + LogTopic.RESOURCES.topicName() + ", "
          + existing.get(LogTopic.ENDPOINTS) + " in " + LogTopic.ENDPOINTS.topicName()
          + "): import into an empty log, or give --force to append this history after what is there");
    }
    boolean same = partitions.get(LogTopic.RESOURCES) == source.partitions(LogTopic.RESOURCES)
        && partitions.get(LogTopic.ENDPOINTS) == source.partitions(LogTopic.ENDPOINTS);

    Properties p = clients.producer(null);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 << 10));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "svcplane-import");
    Map<LogTopic, Long> counts = new HashMap<>();
    long[] rewritten = {0};
    long[] missing = {0};
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
      // resource events first: the Endpoints' causes need their new offsets
      OffsetMap offsets = new OffsetMap(source.partitions(LogTopic.RESOURCES));
      counts.put(LogTopic.RESOURCES, send(producer, source, LogTopic.RESOURCES, same, offsets, r -> r.value() == null
          ? null : r.value().toByteArray(), progress));
      counts.put(LogTopic.ENDPOINTS, send(producer, source, LogTopic.ENDPOINTS, same, null, r -> {
        if (r.value() == null) return null;
        ResourceEvent e = r.event();
        if (!e.hasCause()) return r.value().toByteArray();
        Cause c = e.getCause();
        Optional<long[]> moved = offsets.find(c.getPartition(), c.getOffset());
        Cause.Builder nc = c.toBuilder();
        if (moved.isPresent()) {
          nc.setPartition((int) moved.get()[0]).setOffset(moved.get()[1]);
          rewritten[0]++;
        } else {
          // the causing record is not in the file (exported --since): keep key, type and time only
          nc.setOffset(-1);
          missing[0]++;
        }
        return e.toBuilder().setCause(nc).build().toByteArray();
      }, progress));
    }
    return new Imported(counts, partitions, created, same, rewritten[0], missing[0], existing);
  }

  private long send(KafkaProducer<String, byte[]> producer, ExportFileSource source, LogTopic topic, boolean samePartitions,
      OffsetMap offsets, java.util.function.Function<SourceRecord, byte[]> value, ProgressListener progress)
      throws IOException {
    List<PartitionRef> parts = new ArrayList<>();
    for (int i = 0; i < source.partitions(topic); i++) parts.add(new PartitionRef(topic, i));
    AtomicReference<Exception> failure = new AtomicReference<>();
    long[] n = {0};
    source.scan(parts, Cut.END, r -> {
      if (failure.get() != null) return;
      Integer partition = samePartitions ? r.partition() : null;
      var record = new ProducerRecord<>(topic.topicName(), partition, r.timestamp(), r.key(), value.apply(r));
      int sourcePartition = r.partition();
      long sourceOffset = r.offset();
      if (offsets != null) offsets.reserve(sourcePartition, sourceOffset);
      producer.send(record, (md, e) -> {
        if (e != null) failure.compareAndSet(null, e);
        else if (offsets != null) offsets.put(sourcePartition, sourceOffset, md.partition(), md.offset());
      });
      n[0]++;
    }, progress);
    producer.flush();
    if (failure.get() != null) {
      throw new ReplayException("import into " + topic.topicName() + " at " + clients.bootstrapServers()
          + " failed after some records were written: " + failure.get().getMessage(), failure.get());
    }
    return n[0];
  }

  private boolean ensureTopics(Admin admin, ExportFileSource source, Map<LogTopic, Integer> partitions) {
    try {
      Set<String> names = admin.listTopics().names().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (LogTopic t : LogTopic.values()) {
        if (names.contains(t.topicName())) continue;
        long window = source.header().getTopicsList().stream().filter(x -> x.getName().equals(t.topicName()))
            .mapToLong(x -> x.getHistoryWindowMs()).findFirst().orElse(0);
        TopicLayout layout = new TopicLayout(Math.max(1, source.partitions(t)), (short) 1,
            window > 0 ? Duration.ofMillis(window) : TopicLayout.DEFAULT_HISTORY_WINDOW);
        // replication: the broker's default, so a production cluster keeps its own
        missing.add(new NewTopic(t.topicName(), Optional.of(layout.partitions()), Optional.empty())
            .configs(layout.topicConfig()));
      }
      if (!missing.isEmpty()) admin.createTopics(missing).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      Map<String, TopicDescription> d = admin.describeTopics(
          List.of(LogTopic.RESOURCES.topicName(), LogTopic.ENDPOINTS.topicName())).allTopicNames()
          .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      for (LogTopic t : LogTopic.values()) partitions.put(t, d.get(t.topicName()).partitions().size());
      return !missing.isEmpty();
    } catch (ExecutionException e) {
      throw new ReplayException("cannot prepare the topics at " + clients.bootstrapServers() + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new ReplayException("cannot reach Kafka at " + clients.bootstrapServers() + ": no answer within "
          + TIMEOUT.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted", e);
    }
  }

  private Map<LogTopic, Long> recordCounts(Map<LogTopic, Integer> partitions) {
    Map<LogTopic, Long> out = new HashMap<>();
    try (var c = new KafkaConsumer<String, byte[]>(clients.consumer(null), null,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      for (LogTopic t : LogTopic.values()) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < partitions.get(t); i++) tps.add(new TopicPartition(t.topicName(), i));
        Map<TopicPartition, Long> b = c.beginningOffsets(tps, TIMEOUT);
        Map<TopicPartition, Long> e = c.endOffsets(tps, TIMEOUT);
        long n = 0;
        for (TopicPartition tp : tps) n += e.get(tp) - b.get(tp);
        out.put(t, n);
      }
    }
    return out;
  }

  /**
   * Source (partition, offset) of svcplane.resources to its new (partition, offset): sorted
   * parallel arrays per source partition, 20 bytes a record, filled by send callbacks.
   */
  private static final class OffsetMap {
    private final long[][] sourceOffsets;
    private final long[][] targetOffsets;
    private final int[][] targetPartitions;
    private final int[] size;

    OffsetMap(int partitions) {
      sourceOffsets = new long[partitions][16];
      targetOffsets = new long[partitions][16];
      targetPartitions = new int[partitions][16];
      size = new int[partitions];
    }

    /** Called in offset order from the reading thread: makes room and fixes the slot. */
    synchronized void reserve(int p, long sourceOffset) {
      int n = size[p];
      if (n == sourceOffsets[p].length) {
        sourceOffsets[p] = Arrays.copyOf(sourceOffsets[p], n * 2);
        targetOffsets[p] = Arrays.copyOf(targetOffsets[p], n * 2);
        targetPartitions[p] = Arrays.copyOf(targetPartitions[p], n * 2);
      }
      sourceOffsets[p][n] = sourceOffset;
      targetOffsets[p][n] = -1;
      size[p] = n + 1;
    }

    synchronized void put(int p, long sourceOffset, int targetPartition, long targetOffset) {
      int i = Arrays.binarySearch(sourceOffsets[p], 0, size[p], sourceOffset);
      targetOffsets[p][i] = targetOffset;
      targetPartitions[p][i] = targetPartition;
    }

    /** {target partition, target offset} of a source record, if it was imported. */
    synchronized Optional<long[]> find(int p, long sourceOffset) {
      if (p < 0 || p >= size.length) return Optional.empty();
      int i = Arrays.binarySearch(sourceOffsets[p], 0, size[p], sourceOffset);
      if (i < 0 || targetOffsets[p][i] < 0) return Optional.empty();
      return Optional.of(new long[] {targetPartitions[p][i], targetOffsets[p][i]});
    }
  }
}
