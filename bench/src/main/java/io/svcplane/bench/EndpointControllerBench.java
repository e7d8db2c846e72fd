package io.svcplane.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.controller.EndpointController;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import io.svcplane.eventlog.testing.KafkaExtension;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Benchmarks the endpoint controller on a real broker, in one run:
 * <ol>
 *   <li>throughput: N pod events preloaded into svcplane.resources; the raw read_committed consume
 *       rate of that topic, then the rate at which a fresh controller group folds them exactly once
 *       (fold, plan, publish Endpoints and commit offsets in transactions); the ratio is the figure;
 *   <li>latency: with the controller caught up, pod changes at a fixed rate (group-committed every
 *       10 ms, as the apiserver does), each flipping a pod's readiness in a different service; for
 *       each, resource-event commit to the moment its Endpoints event is readable (read_committed).
 * </ol>
 * Usage: {@code EndpointControllerBench [--kafka HOST:PORT | --broker in-jvm] [--events N] [--rate R] [--seconds S]
 * [--out DIR]}. Without --kafka it starts a single-node broker in its own JVM (with {@code --broker in-jvm},
 * the embedded one in this JVM); CPU figures add the broker process's CPU to this JVM's.
 */
public final class EndpointControllerBench {
  static final int NAMESPACES = 60;
  static final int SERVICES_PER_NAMESPACE = 10;
  static final int PODS_PER_SERVICE = 10;

  /** The broker's own process, or null when the bench was given one or runs it in this JVM. */
  static BrokerProcess broker;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    String bootstrap;
    // The broker runs in its own JVM, as it does in a cluster: its heap and GC pauses stay out of
    // the controller's process (sharing one JVM put 20-30 ms G1 pauses into the latency tail).
    if (opts.containsKey("kafka")) {
      bootstrap = opts.get("kafka");
    } else if ("in-jvm".equals(opts.get("broker"))) {
      bootstrap = KafkaExtension.startOutsideJUnit().bootstrapServers();
    } else {
      broker = BrokerProcess.start();
      bootstrap = broker.bootstrap();
    }
    int events = Integer.parseInt(opts.getOrDefault("events", "200000"));
    int rate = Integer.parseInt(opts.getOrDefault("rate", "1000"));
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
    Path out = Path.of(opts.getOrDefault("out", "bench/results"));
    Files.createDirectories(out);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    String run = "bench-" + UUID.randomUUID().toString().substring(0, 6);

    KafkaClients clients = KafkaClients.of(bootstrap);
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
    Workload w = new Workload(run);
    System.out.printf("load average at start: %.1f on %d cores%n",
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());
    System.out.printf("endpoint-controller bench: broker %s, %d namespaces x %d services x %d pods, %d pod events%n",
        bootstrap, NAMESPACES, SERVICES_PER_NAMESPACE, PODS_PER_SERVICE, events);

    // --- preload ---------------------------------------------------------------------------------
    long t = System.nanoTime();
    long written;
    try (KafkaProducer<String, ResourceEvent> p = new KafkaProducer<>(clients.producer(run + "-loader"))) {
      p.initTransactions();
      written = w.writeServices(p) + w.writeChurn(p, events, 500);
    }
    double produceSeconds = (System.nanoTime() - t) / 1e9;
    System.out.printf("preloaded %d events in %.1f s (%.0f/s, transactions of 500)%n", written, produceSeconds, written / produceSeconds);

    // --- raw read_committed consume of the same topic ------------------------------------------------
    RawPass cold = rawConsume(clients);
    System.out.printf("raw read_committed consume (cold JVM): %.0f records/s%n", cold.rate());

    // --- a first controller folds them (a cold JVM: JIT compilation included) ------------------------
    String group = run + "-group";
    EndpointController.Settings settings = new EndpointController.Settings(clients, run + "-ec", group);
    EndpointController first = EndpointController.start(settings);
    Fold coldFold;
    try {
      coldFold = awaitFold(first, written, System.nanoTime());
    } finally {
      first.close();
    }
    System.out.printf("controller, cold JVM: folded %d events exactly once in %.2f s: %.0f events/s (%d transactions)%n",
        coldFold.events(), coldFold.seconds(), coldFold.rate(), coldFold.transactions());

    // --- the measured round: as many events again, folded by a restarted controller -------------------
    try (KafkaProducer<String, ResourceEvent> p = new KafkaProducer<>(clients.producer(run + "-loader"))) {
      p.initTransactions();
      w.writeChurn(p, events, 500);
    }
    RawPass raw = rawConsume(clients);
    System.out.printf("raw read_committed consume (warm): %.0f records/s over %d records; %.1f us of CPU per record (bench JVM + broker)%n",
        raw.rate(), raw.records(), raw.cpuPerRecord() / 1000);
    long startNanos = System.nanoTime();
    EndpointController controller = EndpointController.start(settings);
    try {
      Fold f = awaitFold(controller, events, startNanos);
      var m = controller.metrics();
      double foldRate = f.rate();
      System.out.printf("controller, warm JVM, after rebuilding %d records: folded %d events exactly once in %.2f s:"
              + " %.0f events/s (%d transactions, %d Endpoints events; %.2f s including start, group join and rebuild)%n",
          m.rebuiltRecords(), f.events(), f.seconds(), foldRate, f.transactions(), f.published(), f.wallSeconds());
      System.out.printf("  of which: waiting for the actors %.2f s, publishing and committing %.2f s, the rest polling%n",
          m.foldNanos() / 1e9, m.commitNanos() / 1e9);
      System.out.printf("RATIO fold/raw = %.2f (wall clock)%n", foldRate / raw.rate());
      System.out.printf("CPU per event (bench JVM + broker): fold %.1f us, raw consume %.1f us: CPU ratio %.2f%n",
          f.cpuPerEvent() / 1000, raw.cpuPerRecord() / 1000, raw.cpuPerRecord() / f.cpuPerEvent());
      double rawRate = raw.rate();
      double rawCpuPerEvent = raw.cpuPerRecord();
      double foldCpuPerEvent = f.cpuPerEvent();

      // --- latency at a fixed rate ---------------------------------------------------------------
      // By default the controller of this phase runs as deployed: its own JVM with bin/svcplane's
      // flags (SerialGC, 256 MB), taking over the group from the one above. In this JVM its
      // garbage shares a 2 GB G1 heap with the bench's (young pauses of 14-53 ms).
      boolean ownProcess = !"in-jvm".equals(opts.getOrDefault("latency-controller", "process"));
      // A controller in a fresh JVM is still being compiled: warm it up longer, unmeasured.
      int warmupSeconds = Integer.parseInt(opts.getOrDefault("latency-warmup", ownProcess ? "60" : "2"));
      Process controllerProcess = null;
      if (ownProcess) {
        controller.close();
        controllerProcess = startControllerProcess(bootstrap, run + "-ec", group);
      }
      System.out.printf("latency phase: controller %s, %d s of unmeasured warm-up%n", ownProcess
          ? "in its own JVM (-Xmx256m -XX:+UseSerialGC, as bin/svcplane runs it)" : "in the bench JVM", warmupSeconds);
      long[] latencies;
      try {
        latencies = latency(clients, w, rate, seconds, warmupSeconds);
      } finally {
        if (controllerProcess != null) {
          controllerProcess.destroy();
          controllerProcess.waitFor(30, TimeUnit.SECONDS);
        }
      }
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      double p50 = percentile(sorted, 50) / 1e6;
      double p99 = percentile(sorted, 99) / 1e6;
      double max = sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6;
      System.out.printf("latency resource commit -> Endpoints readable at %d changes/s over %d s: %d samples,"
          + " p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", rate, seconds, sorted.length, p50, p99, max);

      Path csv = out.resolve("endpoint-controller-latency-" + stamp + ".csv");
      try (PrintWriter pw = new PrintWriter(Files.newBufferedWriter(csv))) {
        pw.println("sample,latency_ns");
        for (int i = 0; i < latencies.length; i++) pw.println(i + "," + latencies[i]);
      }
      Path summary = out.resolve("endpoint-controller-" + stamp + ".txt");
      Files.writeString(summary, String.join("\n",
          "bench=endpoint-controller",
          "time=" + Instant.now(),
          "cores=" + Runtime.getRuntime().availableProcessors(),
          "broker=" + (opts.containsKey("kafka") ? bootstrap : broker != null ? "own process" : "embedded in the bench JVM"),
          "events=" + f.events(),
          "raw_consume_per_s=" + Math.round(rawRate),
          "fold_per_s=" + Math.round(foldRate),
          "ratio=" + String.format("%.3f", foldRate / rawRate),
          "cold_raw_consume_per_s=" + Math.round(cold.rate()),
          "cold_fold_per_s=" + Math.round(coldFold.rate()),
          "load_average_at_end=" + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
          "raw_cpu_us_per_event=" + String.format("%.2f", rawCpuPerEvent / 1000),
          "fold_cpu_us_per_event=" + String.format("%.2f", foldCpuPerEvent / 1000),
          "cpu_ratio=" + String.format("%.3f", rawCpuPerEvent / foldCpuPerEvent),
          "transactions=" + f.transactions(),
          "endpoints_events=" + f.published(),
          "latency_controller=" + (ownProcess ? "own process" : "bench JVM"),
          "latency_rate_per_s=" + rate,
          "latency_samples=" + sorted.length,
          "latency_p50_ms=" + String.format("%.3f", p50),
          "latency_p99_ms=" + String.format("%.3f", p99),
          "latency_max_ms=" + String.format("%.3f", max),
          "latency_csv=" + csv.getFileName(), ""));
      System.out.println("raw data: " + csv + ", summary: " + summary);
    } finally {
      controller.close();
    }
    if (broker != null) broker.close();
    System.exit(0);
  }

  /**
   * The endpoint controller's main class in a JVM of its own, with the flags bin/svcplane starts
   * it with, in consumer group {@code group} (it resumes where the bench's controller stopped).
   */
  static Process startControllerProcess(String bootstrap, String instanceId, String group) throws Exception {
    Path log = Files.createTempFile("svcplane-bench-controller-", ".log");
    List<String> flags = new ArrayList<>(List.of("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:-UsePerfData",
        "-XX:+ExitOnOutOfMemoryError"));
    flags.addAll(OwnJvm.extraFlags("bench.controllerJvmArgs"));
    Process p = OwnJvm.start(flags, log, "io.svcplane.controller.EndpointControllerMain", List.of("--kafka", bootstrap,
        "--instance-id", instanceId, "--group-id", group, "--metrics-port",
        Integer.toString(io.svcplane.testkit.FreePorts.loopback())));
    System.out.println("controller process log: " + log);
    return p;
  }

  /** CPU time of this JVM (clients, controller) plus the broker's own process, in nanoseconds. */
  static long benchCpuNanos() {
    return processCpuNanos() + (broker == null ? 0 : Math.max(0, broker.cpuNanos()));
  }

  /** CPU time of this whole JVM, in nanoseconds. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  record RawPass(long records, double rate, double cpuPerRecord) {}

  record Fold(long events, double seconds, double rate, double cpuPerEvent, long transactions, long published,
      double wallSeconds) {}

  /** One pass over svcplane.resources from the beginning, read_committed. */
  static RawPass rawConsume(KafkaClients clients) {
    long cpu = benchCpuNanos();
    long t = System.nanoTime();
    long n = consumeAll(clients);
    double seconds = (System.nanoTime() - t) / 1e9;
    return new RawPass(n, n / seconds, (benchCpuNanos() - cpu) / (double) n);
  }

  /** Waits until the controller has folded {@code expected} events; times from its first batch. */
  static Fold awaitFold(EndpointController c, long expected, long startNanos) throws Exception {
    long cpuAtFirstBatch = 0;
    var m = c.metrics();
    while (m.eventsFolded() < expected) {
      if (!c.isRunning()) throw new IllegalStateException("controller stopped", c.awaitTermination());
      if (cpuAtFirstBatch == 0 && m.firstBatchNanos() != 0) cpuAtFirstBatch = benchCpuNanos();
      Thread.sleep(2);
    }
    double cpuPerEvent = (benchCpuNanos() - cpuAtFirstBatch) / (double) m.eventsFolded();
    double seconds = (m.lastCommitNanos() - m.firstBatchNanos()) / 1e9;
    return new Fold(m.eventsFolded(), seconds, m.eventsFolded() / seconds, cpuPerEvent, m.transactions(),
        m.endpointsPublished(), (m.lastCommitNanos() - startNanos) / 1e9);
  }

  static long consumeAll(KafkaClients clients) {
    try (KafkaConsumer<String, ResourceEvent> c = new KafkaConsumer<>(clients.consumer(null))) {
      List<TopicPartition> parts = partitions(c);
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long n = 0;
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, ResourceEvent> r : c.poll(Duration.ofMillis(100))) {
          if (r.value() != null) n++;
        }
      }
      return n;
    }
  }

  static List<TopicPartition> partitions(KafkaConsumer<?, ?> c) {
    String topic = LogTopic.RESOURCES.topicName();
    return c.partitionsFor(topic, Duration.ofSeconds(30)).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  /**
   * Writes {@code rate} readiness flips per second for {@code seconds}, group-committed every
   * 10 ms, and measures for each its commit to its Endpoints event being readable. The first
   * {@code warmupSeconds} are warm-up and not counted.
   */
  static long[] latency(KafkaClients clients, Workload w, int rate, int seconds, int warmupSeconds) throws Exception {
    Map<Long, Long> committedAt = new ConcurrentHashMap<>();
    List<Long> samples = new ArrayList<>();
    try (KafkaConsumer<String, ResourceEvent> endpoints = new KafkaConsumer<>(endpointsConsumer(clients));
        KafkaProducer<String, ResourceEvent> p = new KafkaProducer<>(clients.producer(w.run + "-latency"))) {
      p.initTransactions();
      String topic = LogTopic.ENDPOINTS.topicName();
      List<TopicPartition> parts = endpoints.partitionsFor(topic).stream().map(x -> new TopicPartition(topic, x.partition())).toList();
      endpoints.assign(parts);
      endpoints.seekToEnd(parts);
      parts.forEach(endpoints::position);

      // First one change per namespace (every partition), until the controller has answered them
      // all: it is caught up (a controller that just took over rebuilds its state first).
      long probeStart = System.nanoTime();
      java.util.Set<Long> unanswered = new java.util.HashSet<>();
      p.beginTransaction();
      List<Future<RecordMetadata>> probeSent = new ArrayList<>();
      for (int i = 0; i < NAMESPACES; i++) {
        ResourceEvent e = w.flip(i);
        probeSent.add(p.send(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), ObjectKey.of(e.getObject()).toString(), e)));
      }
      p.commitTransaction();
      for (Future<RecordMetadata> f : probeSent) unanswered.add(id(f.get().partition(), f.get().offset()));
      long probeDeadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (!unanswered.isEmpty()) {
        if (System.nanoTime() > probeDeadline) throw new IllegalStateException("the controller did not answer within 120 s");
        for (ConsumerRecord<String, ResourceEvent> r : endpoints.poll(Duration.ofMillis(50))) {
          unanswered.remove(id(r.value().getCause().getPartition(), r.value().getCause().getOffset()));
        }
      }
      System.out.printf("controller caught up (a change in every namespace answered) after %.1f s%n",
          (System.nanoTime() - probeStart) / 1e9);

      long warmup = (long) warmupSeconds * rate;
      long total = (long) (seconds + warmupSeconds) * rate;
      Thread writer = new Thread(() -> {
        long begin = System.nanoTime();
        long sent = 0;
        while (sent < total) {
          long due = Math.min(total, (System.nanoTime() - begin) * rate / 1_000_000_000L);
          if (due > sent) {
            List<ResourceEvent> batch = new ArrayList<>();
            for (long i = sent; i < due; i++) batch.add(w.flip((int) i));
            p.beginTransaction();
            List<Future<RecordMetadata>> fs = new ArrayList<>();
            for (ResourceEvent e : batch) {
              fs.add(p.send(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), ObjectKey.of(e.getObject()).toString(), e)));
            }
            p.commitTransaction();
            long now = System.nanoTime();
            for (int i = 0; i < fs.size(); i++) {
              try {
                RecordMetadata md = fs.get(i).get();
                if (sent + i >= warmup) committedAt.put(id(md.partition(), md.offset()), now);
              } catch (Exception ex) {
                throw new IllegalStateException(ex);
              }
            }
            sent = due;
          }
          try {
            Thread.sleep(10);
          } catch (InterruptedException ex) {
            return;
          }
        }
      }, "latency-writer");
      writer.start();
      Map<Long, Long> seenAt = new HashMap<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(seconds + warmupSeconds + 30).toNanos();
      // Until every measured change was seen (seenAt also holds the warm-up's: its size says nothing).
      while (System.nanoTime() < deadline && (writer.isAlive() || !seenAt.keySet().containsAll(committedAt.keySet()))) {
        for (ConsumerRecord<String, ResourceEvent> r : endpoints.poll(Duration.ofMillis(5))) {
          long now = System.nanoTime();
          var cause = r.value().getCause();
          seenAt.put(id(cause.getPartition(), cause.getOffset()), now);
        }
      }
      writer.join();
      committedAt.forEach((id, at) -> {
        Long seen = seenAt.get(id);
        if (seen != null) samples.add(Math.max(0, seen - at));
      });
      if (samples.size() < committedAt.size()) {
        System.out.printf("warning: %d of %d changes had no Endpoints event seen%n", committedAt.size() - samples.size(), committedAt.size());
      }
    }
    return samples.stream().mapToLong(Long::longValue).toArray();
  }

  static java.util.Properties endpointsConsumer(KafkaClients clients) {
    java.util.Properties props = clients.consumer(null);
    props.put("fetch.max.wait.ms", "100");
    return props;
  }

  static long id(int partition, long offset) {
    return ((long) partition << 48) | offset;
  }

  static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) return 0;
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --option value, got " + args[i]);
      m.put(args[i].substring(2), args[i + 1]);
    }
    return m;
  }

  /** The benchmark's namespaces, services and pods, and the events that change them. */
  static final class Workload {
    final String run;
    final Pod[][][] pods = new Pod[NAMESPACES][SERVICES_PER_NAMESPACE][PODS_PER_SERVICE];

    Workload(String run) {
      this.run = run;
    }

    String ns(int i) {
      return run + "-" + i;
    }

    long writeServices(KafkaProducer<String, ResourceEvent> p) {
      List<ResourceEvent> events = new ArrayList<>();
      for (int n = 0; n < NAMESPACES; n++) {
        for (int s = 0; s < SERVICES_PER_NAMESPACE; s++) {
          Service svc = Service.newBuilder()
              .setMetadata(ObjectMeta.newBuilder().setNamespace(ns(n)).setName("svc-" + s).setUid(UUID.randomUUID().toString()))
              .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("10.96." + n + "." + (s + 1))
                  .setSelector(Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue("svc-" + s).build()))
                  .addPorts(ServicePort.newBuilder().setName("http").setPort(80).setTargetPort("web").setProtocol("TCP")))
              .build();
          events.add(event(EventType.ADDED, Kinds.wrap(svc)));
        }
      }
      send(p, events);
      return events.size();
    }

    /** {@code n} pod events: first every pod is added, then readiness flips, round robin. */
    long writeChurn(KafkaProducer<String, ResourceEvent> p, int n, int perTransaction) {
      List<ResourceEvent> batch = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        batch.add(flip(i));
        if (batch.size() == perTransaction) {
          send(p, batch);
          batch.clear();
        }
      }
      send(p, batch);
      return n;
    }

    /** The i-th change: adds pod i on the first round, then flips its readiness. */
    ResourceEvent flip(int i) {
      int perRound = NAMESPACES * SERVICES_PER_NAMESPACE * PODS_PER_SERVICE;
      int k = i % perRound;
      // Consecutive changes go to different namespaces and services.
      int n = k % NAMESPACES;
      int s = (k / NAMESPACES) % SERVICES_PER_NAMESPACE;
      int q = k / (NAMESPACES * SERVICES_PER_NAMESPACE);
      Pod current = pods[n][s][q];
      Pod next;
      EventType type;
      if (current == null) {
        type = EventType.ADDED;
        next = Pod.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace(ns(n)).setName("svc-" + s + "-pod-" + q)
                .setUid(UUID.randomUUID().toString()).putLabels("app", "svc-" + s))
            .setSpec(PodSpec.newBuilder().setNodeName("node-" + (q % 3))
                .addContainers(io.svcplane.api.v1.Container.newBuilder().setName("c")
                    .addPorts(ContainerPort.newBuilder().setName("web").setContainerPort(8080))))
            .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp("10.244." + n + "." + (s * PODS_PER_SERVICE + q + 1))
                .addConditions(PodCondition.newBuilder().setType("Ready").setStatus("True")))
            .build();
      } else {
        type = EventType.MODIFIED;
        boolean ready = "True".equals(current.getStatus().getConditions(0).getStatus());
        Pod.Builder b = current.toBuilder();
        b.getStatusBuilder().setConditions(0, PodCondition.newBuilder().setType("Ready").setStatus(ready ? "False" : "True"));
        next = b.build();
      }
      pods[n][s][q] = next;
      return event(type, Kinds.wrap(next));
    }

    static ResourceEvent event(EventType type, Resource object) {
      Instant now = Instant.now();
      return ResourceEvent.newBuilder().setType(type).setObject(object)
          .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
          .setWriter("apiserver/bench").build();
    }

    static void send(KafkaProducer<String, ResourceEvent> p, List<ResourceEvent> events) {
      if (events.isEmpty()) return;
      p.beginTransaction();
      for (ResourceEvent e : events) {
        p.send(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), ObjectKey.of(e.getObject()).toString(), e));
      }
      p.commitTransaction();
    }
  }
}
