package io.svcplane.controller;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.eventlog.KafkaClients;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One endpoint controller instance: the actors, the Kafka loop on its own thread, and their
 * lifecycle ({@link #start}, {@link #close}, {@link #awaitTermination}). Instances sharing a group
 * id share the partitions of svcplane.resources; an instance id names the instance for the group
 * (static membership: a restart takes its partitions back at once) and for its transactions (a
 * restart fences the crashed incarnation and aborts its open transaction).
 */
public final class EndpointController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EndpointController.class);

  /** At most this many records per poll batch (and so per transaction). */
  static final int MAX_BATCH_RECORDS = 20_000;
  /** Bytes one fetch may bring per partition: enough for a full batch over a few partitions. */
  static final int FETCH_BYTES_PER_PARTITION = 4 << 20;

  /** The consumer group of every endpoint controller instance. */
  public static final String DEFAULT_GROUP_ID = "svcplane-endpoint-controller";

  /**
   * How an instance connects and identifies itself.
   *
   * @param clients Kafka client settings (bootstrap, pass-through properties)
   * @param instanceId this instance's stable id (e.g. the host name); unique among live instances
   * @param groupId the consumer group shared by all instances
   */
  public record Settings(KafkaClients clients, String instanceId, String groupId) {
    public Settings {
      if (instanceId == null || instanceId.isBlank()) throw new IllegalArgumentException("instance id must not be empty");
    }

    public Settings(KafkaClients clients, String instanceId) {
      this(clients, instanceId, DEFAULT_GROUP_ID);
    }

    /** The writer recorded on every Endpoints event. */
    public String writer() {
      return "endpoint-controller/" + instanceId;
    }

    public String transactionalId() {
      return groupId + "/" + instanceId;
    }

    Properties consumerProperties() {
      Properties p = clients.consumer(groupId);
      p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, "endpoint-controller-" + instanceId);
      // The classic group protocol with cooperative rebalancing: partitions that stay put keep
      // folding during a rebalance; the session timeout is the client's to choose.
      p.putIfAbsent(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
      p.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
      p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
      p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "2000");
      // A controller that is behind folds its backlog in few large batches: each batch costs one
      // transaction (several broker round trips on the loop's one thread) and one plan per
      // service it touches, whatever its size. One fetch must be able to fill a poll, hence the
      // larger per-partition fetch. A caught-up controller still gets small batches: poll returns
      // what has arrived.
      p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(MAX_BATCH_RECORDS));
      p.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(FETCH_BYTES_PER_PARTITION));
      return p;
    }

    Properties producerProperties() {
      Properties p = clients.producer(transactionalId());
      p.put(ProducerConfig.CLIENT_ID_CONFIG, "endpoint-controller-" + instanceId);
      // A crashed instance that does not come back blocks its partitions' readers for this long.
      p.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000");
      return p;
    }
  }

  private final Settings settings;
  private final ControllerMetrics metrics;
  private final ActorSystem<ControllerGuardian.Command> actors;
  private final ControllerLoop loop;
  private final Thread thread;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private EndpointController(Settings settings, ControllerMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
    this.actors = ActorSystem.create(ControllerGuardian.create(settings.writer(), metrics), "endpoint-controller", akkaConfig());
    KafkaConsumer<String, ResourceEvent> consumer = null;
    try {
      consumer = new KafkaConsumer<>(settings.consumerProperties());
      KafkaProducer<String, ResourceEvent> producer = new KafkaProducer<>(settings.producerProperties());
      this.loop = new ControllerLoop(consumer, producer, actors, new PartitionRebuilder(settings.clients()), metrics);
    } catch (RuntimeException e) {
      if (consumer != null) consumer.close();
      actors.terminate();
      throw e;
    }
    this.thread = new Thread(loop::run, "endpoint-controller-kafka");
  }

  /** Starts an instance; it joins the group and rebuilds its partitions before publishing. */
  public static EndpointController start(Settings settings) {
    return start(settings, new ControllerMetrics());
  }

  public static EndpointController start(Settings settings, ControllerMetrics metrics) {
    EndpointController c = new EndpointController(settings, metrics);
    c.thread.start();
    log.info("endpoint controller {} started: group {}, {}", settings.instanceId(), settings.groupId(), settings.clients());
    return c;
  }

  public Settings settings() {
    return settings;
  }

  public ControllerMetrics metrics() {
    return metrics;
  }

  /** The namespaces this instance currently holds actors for. */
  public Set<String> namespaces() {
    return ask(replyTo -> new ControllerGuardian.GetNamespaces(replyTo));
  }

  /** The Endpoints this instance last published for a namespace it holds, by name. */
  public Map<String, Endpoints> published(String namespace) {
    return ask(replyTo -> new ControllerGuardian.GetPublished(namespace, replyTo));
  }

  private <T> T ask(akka.japi.function.Function<akka.actor.typed.ActorRef<T>, ControllerGuardian.Command> message) {
    try {
      return AskPattern.ask(actors, message, Duration.ofSeconds(10), actors.scheduler())
          .toCompletableFuture().get(11, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("asking the controller's actors: " + e, e);
    }
  }

  /** Waits until the loop ends (stop or fatal error); returns its failure, or null. */
  public Throwable awaitTermination() throws InterruptedException {
    thread.join();
    return loop.failure();
  }

  public boolean isRunning() {
    return thread.isAlive();
  }

  /**
   * Graceful stop: the loop finishes the batch in hand, commits it, leaves the group (so the
   * partitions move at once) and closes its clients; then the actors stop.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    loop.stop();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    actors.terminate();
    try {
      actors.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("actor system did not terminate in time: {}", e.toString());
    }
    log.info("endpoint controller {} stopped", settings.instanceId());
  }

  /** Akka settings in code, so jars that bring their own application.conf cannot change them. */
  private static Config akkaConfig() {
    return ConfigFactory.parseString(String.join("\n",
            "akka.loggers = [\"akka.event.slf4j.Slf4jLogger\"]",
            "akka.logging-filter = \"akka.event.slf4j.Slf4jLoggingFilter\"",
            "akka.loglevel = INFO",
            "akka.log-dead-letters = off",
            "akka.log-dead-letters-during-shutdown = off",
            "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off"))
        .withFallback(ConfigFactory.load());
  }
}
