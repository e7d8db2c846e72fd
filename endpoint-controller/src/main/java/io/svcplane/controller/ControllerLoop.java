package io.svcplane.controller;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.LogRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume-transform-produce loop, on its own thread: poll svcplane.resources as a member of
 * the controller group, hand the batch to the actors, and publish their Endpoints changes together
 * with the batch's offsets in one Kafka transaction. Partitions are rebuilt from the log when
 * assigned (inside poll, before any of their records is handed out) and dropped when revoked;
 * both happen only between transactions, since poll is never called with one open.
 */
final class ControllerLoop implements ConsumerRebalanceListener {
  private static final Logger log = LoggerFactory.getLogger(ControllerLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaConsumer<String, ResourceEvent> consumer;
  private final KafkaProducer<String, ResourceEvent> producer;
  private final ActorSystem<ControllerGuardian.Command> actors;
  private final PartitionRebuilder rebuilder;
  private final ControllerMetrics metrics;
  private final Set<TopicPartition> owned = new HashSet<>();
  private volatile boolean running = true;
  private volatile Throwable failure;

  ControllerLoop(
      KafkaConsumer<String, ResourceEvent> consumer,
      KafkaProducer<String, ResourceEvent> producer,
      ActorSystem<ControllerGuardian.Command> actors,
      PartitionRebuilder rebuilder,
      ControllerMetrics metrics) {
    this.consumer = consumer;
    this.producer = producer;
    this.actors = actors;
    this.rebuilder = rebuilder;
    this.metrics = metrics;
  }

  /** Runs until {@link #stop()} or a fatal error; always closes both clients. */
  void run() {
    try {
      // Fences an earlier incarnation of this instance and aborts its open transaction.
      producer.initTransactions();
      consumer.subscribe(List.of(LogTopic.RESOURCES.topicName()), this);
      metrics.state(ControllerMetrics.State.RUNNING);
      while (running) {
        ConsumerRecords<String, ResourceEvent> records;
        try {
          records = consumer.poll(POLL);
        } catch (RecordDeserializationException e) {
          // Not a ResourceEvent: nothing can fold it; skip it rather than stop on it forever.
          log.error("skipping record {} of {}: {}", e.offset(), e.topicPartition(), e.getMessage());
          consumer.seek(e.topicPartition(), e.offset() + 1);
          continue;
        }
        metrics.lag(lag());
        if (!records.isEmpty()) processBatch(records);
      }
      metrics.state(ControllerMetrics.State.STOPPED);
    } catch (WakeupException e) {
      if (running) fail(e);
      else metrics.state(ControllerMetrics.State.STOPPED);
    } catch (Throwable e) {
      fail(e);
    } finally {
      closeClients();
    }
  }

  /** Asks the loop to finish its batch and leave; safe from any thread. */
  void stop() {
    running = false;
    consumer.wakeup();
  }

  Throwable failure() {
    return failure;
  }

  private void fail(Throwable e) {
    failure = e;
    metrics.state(ControllerMetrics.State.FAILED);
    log.error("endpoint controller loop failed: {}", e.toString(), e);
  }

  private void processBatch(ConsumerRecords<String, ResourceEvent> records) throws InterruptedException {
    metrics.batchBegan();
    Map<String, List<LogRecord>> byNamespace = new LinkedHashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<String, ResourceEvent>> rs = records.records(tp);
      for (ConsumerRecord<String, ResourceEvent> r : rs) {
        String ns = r.key() == null ? null : PartitionRebuilder.namespaceOf(r.key());
        // Cluster-scoped objects (nodes, namespaces) make no Endpoints; their offsets still commit.
        if (ns == null || ns.isEmpty()) continue;
        byNamespace.computeIfAbsent(ns, n -> new ArrayList<>())
            .add(new LogRecord(LogTopic.RESOURCES, r.partition(), r.offset(), r.timestamp(), r.key(), r.value()));
      }
      offsets.put(tp, new OffsetAndMetadata(rs.get(rs.size() - 1).offset() + 1));
    }

    long t0 = System.nanoTime();
    BatchCollector.BatchFolded folded = fold(byNamespace);
    long t1 = System.nanoTime();
    metrics.folded(t1 - t0);
    try {
      producer.beginTransaction();
      for (EndpointsChange c : folded.changes()) {
        producer.send(new ProducerRecord<>(LogTopic.ENDPOINTS.topicName(), c.key(), c.event()));
      }
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      producer.commitTransaction();
      metrics.committing(System.nanoTime() - t1);
      metrics.committed(folded.events(), folded.changes().size());
    } catch (ProducerFencedException | FencedInstanceIdException | OutOfOrderSequenceException
        | AuthorizationException | UnsupportedVersionException e) {
      // Another incarnation of this instance took over, or we may not write: nothing to recover.
      throw e;
    } catch (KafkaException e) {
      log.warn("transaction failed, aborting it and rebuilding owned partitions from the log: {}", e.toString());
      producer.abortTransaction();
      metrics.aborted();
      rebuildOwned();
    }
  }

  private BatchCollector.BatchFolded fold(Map<String, List<LogRecord>> byNamespace) throws InterruptedException {
    try {
      return AskPattern.<ControllerGuardian.Command, BatchCollector.BatchFolded>ask(
              actors,
              replyTo -> new ControllerGuardian.FoldBatch(byNamespace, replyTo),
              ASK_TIMEOUT,
              actors.scheduler())
          .toCompletableFuture()
          .get(ASK_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // A namespace actor failed or hangs: its state is unknown, so stop rather than guess.
      throw new IllegalStateException("namespace actors did not fold the batch: " + e, e);
    }
  }

  /**
   * After an aborted transaction the actors are ahead of the log: drop them, rebuild every owned
   * partition from the log, and rewind the consumer to the committed offsets.
   */
  private void rebuildOwned() {
    Set<TopicPartition> parts = new HashSet<>(owned);
    onPartitionsRevoked(parts);
    Map<TopicPartition, OffsetAndMetadata> committed = rebuild(parts);
    for (TopicPartition tp : parts) {
      OffsetAndMetadata o = committed.get(tp);
      if (o != null) consumer.seek(tp, o);
      else consumer.seekToBeginning(List.of(tp));
    }
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) return;
    rebuild(partitions);
  }

  private Map<TopicPartition, OffsetAndMetadata> rebuild(Collection<TopicPartition> partitions) {
    // read_committed: waits while a transaction of the previous owner still holds offsets open.
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions), Duration.ofMinutes(2));
    Map<Integer, Long> until = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = committed.get(tp);
      until.put(tp.partition(), o == null ? 0L : o.offset());
    }
    long t0 = System.nanoTime();
    PartitionRebuilder.Rebuilt rebuilt = rebuilder.rebuild(until);
    rebuilt.partitions().forEach((p, namespaces) -> actors.tell(new ControllerGuardian.Assign(p, namespaces)));
    owned.addAll(partitions);
    metrics.rebuilt(partitions.size(), rebuilt.records());
    metrics.partitions(owned.size());
    log.info("partitions {} assigned: rebuilt {} namespaces from {} records (resources up to offsets {}) in {} ms",
        new java.util.TreeSet<>(until.keySet()), rebuilt.partitions().values().stream().mapToInt(Map::size).sum(),
        rebuilt.records(), until, (System.nanoTime() - t0) / 1_000_000);
    return committed;
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) return;
    Set<Integer> numbers = new HashSet<>();
    partitions.forEach(tp -> numbers.add(tp.partition()));
    actors.tell(new ControllerGuardian.Revoke(numbers));
    owned.removeAll(partitions);
    metrics.partitions(owned.size());
    log.info("partitions {} revoked", numbers);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    // Another member may own them already: drop them, exactly as on revocation.
    onPartitionsRevoked(partitions);
  }

  private long lag() {
    long sum = 0;
    for (TopicPartition tp : owned) sum += consumer.currentLag(tp).orElse(0);
    return sum;
  }

  private void closeClients() {
    try {
      // A static member must say it leaves, or its partitions wait for the session timeout.
      consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(Duration.ofSeconds(10)));
    } catch (RuntimeException e) {
      log.warn("closing the consumer: {}", e.toString());
    }
    try {
      producer.close(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      log.warn("closing the producer: {}", e.toString());
    }
  }
}
