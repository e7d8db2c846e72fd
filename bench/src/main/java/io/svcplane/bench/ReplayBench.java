package io.svcplane.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Cause;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ObjectReference;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import io.svcplane.eventlog.export.ExportWriter;
import io.svcplane.eventlog.export.LogExporter;
import io.svcplane.eventlog.replay.Cut;
import io.svcplane.eventlog.replay.ExportFileSource;
import io.svcplane.eventlog.replay.KafkaLogSource;
import io.svcplane.eventlog.replay.LogSource;
import io.svcplane.eventlog.replay.ProgressListener;
import io.svcplane.eventlog.replay.Replayer;
import io.svcplane.eventlog.testing.KafkaExtension;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Benchmarks svcctl's replay (issue 9), in one run:
 * <ol>
 *   <li>writes N events (default 1,000,000) to the log on a real broker: pods and services of 100
 *       namespaces created, then readiness flips, a quarter of them with an Endpoints change on
 *       svcplane.endpoints, in transactions of 5,000 records (the apiserver group-commits smaller ones);
 *   <li>for R rounds, side by side, from Kafka (the replay's own consumer and settings) and from an
 *       export file of that log: raw reads of every record (values left as bytes; or each parsed
 *       into its ResourceEvent on the reading thread, as a LogTail consumer does), svcctl's replay
 *       into the ClusterImage, and the reference fold that parses and folds every record;
 *   <li>the heap, in fresh JVMs without the broker: the image's retained size (used heap after a
 *       forced GC with the image, minus without it), and the smallest -Xmx (8 MB steps) with which
 *       a JVM replays the file.
 * </ol>
 * Usage: {@code ReplayBench [--kafka HOST:PORT] [--events N] [--rounds R] [--out DIR] [--no-probe]}.
 * Without --kafka it starts the embedded single-node broker in this JVM (a fresh, empty one).
 */
public final class ReplayBench {
  static final int NAMESPACES = 100;
  static final int SERVICES_PER_NAMESPACE = 10;
  static final int PODS_PER_SERVICE = 10;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    if (opts.containsKey("probe")) {
      System.exit(probe(Path.of(opts.get("probe"))));
    }
    if (opts.containsKey("measure")) {
      System.out.println(retainedHeap(Path.of(opts.get("measure"))));
      System.exit(0);
    }
    String bootstrap = opts.containsKey("kafka") ? opts.get("kafka") : KafkaExtension.startOutsideJUnit().bootstrapServers();
    int events = Integer.parseInt(opts.getOrDefault("events", "1000000"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
    Path out = Path.of(opts.getOrDefault("out", "bench/results"));
    Files.createDirectories(out);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    KafkaClients clients = KafkaClients.of(bootstrap);
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }

    long t0 = System.nanoTime();
    long[] written = write(clients, events);
    double writeSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "wrote %,d events (%,d resources, %,d endpoints) in %.1f s%n",
        written[0] + written[1], written[0], written[1], writeSeconds);

    Path file = Files.createTempFile("replay-bench-", ".svclog");
    List<String> lines = new ArrayList<>();
    lines.add("bench=replay");
    lines.add("time=" + Instant.now());
    lines.add("cores=" + Runtime.getRuntime().availableProcessors());
    lines.add("load_average_at_start=" + loadAverage() + " (other processes on the machine)");
    lines.add("max_heap_mb=" + Runtime.getRuntime().maxMemory() / (1 << 20));
    lines.add("broker=" + (opts.containsKey("kafka") ? bootstrap : "embedded in the bench JVM"));
    lines.add("events_written=" + (written[0] + written[1]));
    lines.add("resources_events=" + written[0]);
    lines.add("endpoints_events=" + written[1]);

    long exportStart = System.nanoTime();
    long exported;
    try (KafkaLogSource src = KafkaLogSource.open(clients, Clock.systemUTC())) {
      exported = new LogExporter(src, Clock.systemUTC(), "replay-bench")
          .export(null, null, h -> ExportWriter.create(file, h), ProgressListener.NONE).trailer().getRecordCount();
    }
    double exportSeconds = (System.nanoTime() - exportStart) / 1e9;
    lines.add("records_in_log=" + exported);
    lines.add(String.format(Locale.ROOT, "export_per_s=%.0f", exported / exportSeconds));
    lines.add("export_file_bytes=" + Files.size(file));
    System.out.printf(Locale.ROOT, "exported %,d records to %s (%,d bytes) in %.1f s%n", exported, file, Files.size(file), exportSeconds);

    Map<String, List<Double>> rates = new HashMap<>();
    for (int round = 1; round <= rounds; round++) {
      try (KafkaLogSource src = KafkaLogSource.open(clients, Clock.systemUTC())) {
        measure(rates, "kafka_raw_bytes", round, () -> rawRead(src, false));
        measure(rates, "kafka_raw_events", round, () -> rawRead(src, true));
        measure(rates, "kafka_replay", round, () -> replay(src, false));
        measure(rates, "kafka_replay_every", round, () -> replay(src, true));
      }
      try (ExportFileSource src = ExportFileSource.open(file)) {
        measure(rates, "file_raw_bytes", round, () -> rawRead(src, false));
        measure(rates, "file_raw_events", round, () -> rawRead(src, true));
        measure(rates, "file_replay", round, () -> replay(src, false));
        measure(rates, "file_replay_every", round, () -> replay(src, true));
      }
    }
    for (String k : List.of("kafka_raw_bytes", "kafka_raw_events", "kafka_replay", "kafka_replay_every",
        "file_raw_bytes", "file_raw_events", "file_replay", "file_replay_every")) {
      lines.add(String.format(Locale.ROOT, "%s_per_s=%.0f (rounds: %s)", k, median(rates.get(k)), rates.get(k)));
    }
    for (String src : List.of("kafka", "file")) {
      for (String raw : List.of("raw_events", "raw_bytes")) {
        for (String replay : List.of("replay", "replay_every")) {
          lines.add(String.format(Locale.ROOT, "%s_%s_vs_%s=%.2f", src, replay, raw,
              median(rates.get(src + "_" + replay)) / median(rates.get(src + "_" + raw))));
        }
      }
    }

    // the heap: measured in fresh JVMs without the broker, which would blur it
    String retained = measureInChild(file, 2048);
    lines.add("image_heap=" + retained);
    if (!opts.containsKey("no-probe")) {
      int minXmx = smallestHeap(file);
      lines.add("min_xmx_mb_file_replay=" + minXmx + " (smallest -Xmx, in steps of 8 MB, with which a fresh JVM replays the file)");
    }
    lines.add("load_average_at_end=" + loadAverage());
    Files.deleteIfExists(file);

    Path summary = out.resolve("replay-" + stamp + ".txt");
    Files.writeString(summary, String.join("\n", lines) + "\n");
    System.out.println();
    lines.forEach(System.out::println);
    System.out.println("written to " + summary);
    System.exit(0);
  }

  interface Timed {
    long run() throws Exception;
  }

  private static void measure(Map<String, List<Double>> rates, String name, int round, Timed t) throws Exception {
    long start = System.nanoTime();
    long n = t.run();
    double s = (System.nanoTime() - start) / 1e9;
    double rate = n / s;
    rates.computeIfAbsent(name, k -> new ArrayList<>()).add(Math.rint(rate));
    System.out.printf(Locale.ROOT, "round %d %-13s %,9d records in %6.2f s = %,9.0f records/s%n", round, name, n, s, rate);
  }

  /**
   * Every record of both topics read on the reading thread: key and value bytes touched only, or
   * each value parsed into its ResourceEvent as a consumer with ResourceEventSerde (LogTail) does.
   */
  static long rawRead(LogSource src, boolean parse) throws Exception {
    long[] n = {0, 0};
    src.scan(src.allPartitions(), Cut.END, r -> {
      n[0]++;
      if (parse) n[1] += r.value() == null ? 0 : r.event().getTypeValue();
      else n[1] += r.key().length() + (r.value() == null ? 0 : r.value().size());
    }, ProgressListener.NONE);
    if (n[1] == 0) throw new IllegalStateException("nothing read");
    return n[0];
  }

  /** The replay svcctl does (last record per key, parsed on every core), or the reference fold of every record. */
  static long replay(LogSource src, boolean everyRecord) throws Exception {
    Replayer replayer = new Replayer(src);
    Replayer.Replayed r = everyRecord
        ? replayer.foldEveryRecord(Cut.END, ProgressListener.NONE)
        : replayer.fold(Cut.END, ProgressListener.NONE);
    if (r.image().namespaces().isEmpty()) throw new IllegalStateException("empty image");
    return r.records();
  }

  static long usedAfterGc() throws InterruptedException {
    var memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      TimeUnit.MILLISECONDS.sleep(100); // let reference processing finish; nothing to await here
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** In a fresh JVM: the image's retained heap (used after GC with it, minus without it). */
  static String retainedHeap(Path file) throws Exception {
    long before = usedAfterGc();
    ClusterImage image;
    long records;
    try (ExportFileSource src = ExportFileSource.open(file)) {
      Replayer.Replayed r = new Replayer(src).fold(Cut.END, ProgressListener.NONE);
      image = r.image();
      records = r.records();
    }
    long with = usedAfterGc();
    int objects = 0;
    for (var ns : image.namespaces().values()) objects += ns.pods().size() + ns.services().size() + ns.endpoints().size();
    long peak = 0;
    for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
    }
    image = null;
    long after = usedAfterGc();
    return String.format(Locale.ROOT, "%.1f MB retained by the image of %,d objects from %,d records"
        + " (used heap after GC %.1f MB with it, %.1f MB before the replay, %.1f MB after dropping it;"
        + " sum of heap pool peaks %.0f MB)", (with - after) / 1048576.0, objects, records, with / 1048576.0,
        before / 1048576.0, after / 1048576.0, peak / 1048576.0);
  }

  static String measureInChild(Path file, int xmxMb) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx" + xmxMb + "m", "-XX:+UseSerialGC", "-cp",
        System.getProperty("java.class.path"), ReplayBench.class.getName(), "--measure", file.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    p.waitFor();
    String last = out.lines().reduce((a, b) -> b).orElse("");
    System.out.println("heap: " + last);
    return last;
  }

  /** In a fresh JVM with {@code -Xmx}: 0 if the file replays, else non-zero (an OutOfMemoryError). */
  static int probe(Path file) {
    try (ExportFileSource src = ExportFileSource.open(file)) {
      long n = new Replayer(src).fold(Cut.END, ProgressListener.NONE).records();
      return n > 0 ? 0 : 2;
    } catch (OutOfMemoryError e) {
      return 3;
    } catch (Exception e) {
      e.printStackTrace();
      return 4;
    }
  }

  /** Binary search over -Xmx (8 MB steps) for the smallest heap that replays the file. */
  static int smallestHeap(Path file) throws Exception {
    int lo = 8;
    int hi = 1024;
    if (!replaysWith(hi, file)) return -1;
    while (hi - lo > 8) {
      int mid = (lo + hi) / 2 / 8 * 8;
      if (replaysWith(mid, file)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  static boolean replaysWith(int xmxMb, Path file) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx" + xmxMb + "m", "-XX:+UseSerialGC", "-cp",
        System.getProperty("java.class.path"), ReplayBench.class.getName(), "--probe", file.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    boolean ok = p.waitFor() == 0;
    System.out.printf(Locale.ROOT, "probe -Xmx%dm: %s%n", xmxMb, ok ? "replays" : "fails");
    return ok;
  }

  /** The 1, 5 and 15 minute load averages of the machine (Linux), to judge how quiet it was. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "unknown";
    }
  }

  static double median(List<Double> l) {
    List<Double> s = new ArrayList<>(l);
    s.sort(Double::compare);
    return s.get(s.size() / 2);
  }

  // ----- the log -----------------------------------------------------------------------------

  /** Writes the events; returns {resources, endpoints} counts. */
  static long[] write(KafkaClients clients, int events) throws Exception {
    var props = clients.producer("replay-bench-" + UUID.randomUUID());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 << 10));
    Random rnd = new Random(42);
    long resources = 0;
    long endpoints = 0;
    try (KafkaProducer<String, ResourceEvent> p = new KafkaProducer<>(props)) {
      p.initTransactions();
      int inTx = 0;
      p.beginTransaction();
      List<ProducerRecord<String, ResourceEvent>> batch = new ArrayList<>();
      // creation: every service and pod once
      for (int n = 0; n < NAMESPACES && resources + endpoints < events; n++) {
        for (int s = 0; s < SERVICES_PER_NAMESPACE; s++) {
          batch.add(resource(EventType.ADDED, Kinds.wrap(service(n, s))));
          for (int i = 0; i < PODS_PER_SERVICE; i++) batch.add(resource(EventType.ADDED, Kinds.wrap(pod(n, s, i, true))));
        }
      }
      boolean[][][] ready = new boolean[NAMESPACES][SERVICES_PER_NAMESPACE][PODS_PER_SERVICE];
      for (boolean[][] a : ready) for (boolean[] b : a) java.util.Arrays.fill(b, true);
      long offsetGuess = 0;
      while (resources + endpoints < events) {
        if (batch.isEmpty()) {
          int n = rnd.nextInt(NAMESPACES);
          int s = rnd.nextInt(SERVICES_PER_NAMESPACE);
          int i = rnd.nextInt(PODS_PER_SERVICE);
          ready[n][s][i] = !ready[n][s][i];
          batch.add(resource(EventType.MODIFIED, Kinds.wrap(pod(n, s, i, ready[n][s][i]))));
          if (rnd.nextInt(4) == 0) batch.add(endpointsEvent(n, s, ready[n][s], offsetGuess++));
        }
        for (ProducerRecord<String, ResourceEvent> r : batch) {
          if (resources + endpoints >= events) break;
          p.send(r);
          if (r.topic().equals(LogTopic.RESOURCES.topicName())) resources++;
          else endpoints++;
          if (++inTx == 5000) {
            p.commitTransaction();
            p.beginTransaction();
            inTx = 0;
          }
        }
        batch.clear();
      }
      p.commitTransaction();
    }
    return new long[] {resources, endpoints};
  }

  static ProducerRecord<String, ResourceEvent> resource(EventType type, io.svcplane.api.v1.Resource object) {
    Instant now = Instant.now();
    ResourceEvent e = ResourceEvent.newBuilder().setType(type).setObject(object)
        .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .setWriter("apiserver/bench").build();
    return new ProducerRecord<>(LogTopic.RESOURCES.topicName(), null, now.toEpochMilli(),
        io.svcplane.core.ObjectKey.of(object).toString(), e);
  }

  static ProducerRecord<String, ResourceEvent> endpointsEvent(int n, int s, boolean[] ready, long causeOffset) {
    EndpointSubset.Builder subset = EndpointSubset.newBuilder()
        .addPorts(EndpointPort.newBuilder().setPort(8080).setProtocol("TCP"));
    for (int i = 0; i < PODS_PER_SERVICE; i++) {
      EndpointAddress a = EndpointAddress.newBuilder().setIp(ip(n, s, i)).setNodeName("node-" + (i % 3))
          .setTargetRef(ObjectReference.newBuilder().setKind("Pod").setNamespace(ns(n)).setName(podName(s, i))
              .setUid(UUID.nameUUIDFromBytes((ns(n) + podName(s, i)).getBytes()).toString()))
          .build();
      if (ready[i]) subset.addAddresses(a);
      else subset.addNotReadyAddresses(a);
    }
    Endpoints ep = Endpoints.newBuilder().setApiVersion("v1").setKind("Endpoints")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns(n)).setName("svc-" + s).putLabels("app", "svc-" + s))
        .addSubsets(subset).build();
    Instant now = Instant.now();
    ResourceEvent e = ResourceEvent.newBuilder().setType(EventType.MODIFIED).setObject(Kinds.wrap(ep))
        .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .setWriter("endpoint-controller/bench")
        .setCause(Cause.newBuilder().setTopic(LogTopic.RESOURCES.topicName()).setOffset(causeOffset)
            .setKey("Pod/" + ns(n) + "/" + podName(s, 0)).setType(EventType.MODIFIED))
        .build();
    return new ProducerRecord<>(LogTopic.ENDPOINTS.topicName(), null, now.toEpochMilli(),
        "Endpoints/" + ns(n) + "/svc-" + s, e);
  }

  static String ns(int n) {
    return String.format("bench-ns-%03d", n);
  }

  static String podName(int s, int i) {
    return "svc-" + s + "-pod-" + i;
  }

  static String ip(int n, int s, int i) {
    int k = (n * SERVICES_PER_NAMESPACE + s) * PODS_PER_SERVICE + i;
    return "10.244." + (k / 250) + "." + (k % 250 + 1);
  }

  static Service service(int n, int s) {
    return Service.newBuilder().setApiVersion("v1").setKind("Service")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns(n)).setName("svc-" + s).putLabels("app", "svc-" + s)
            .setUid(UUID.nameUUIDFromBytes((ns(n) + "svc-" + s).getBytes()).toString()))
        .setSpec(ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("10.96." + n + "." + (s + 1))
            .addClusterIps("10.96." + n + "." + (s + 1))
            .setSelector(Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue("svc-" + s).build()))
            .addPorts(ServicePort.newBuilder().setName("http").setPort(80).setProtocol("TCP").setTargetPort("8080")))
        .build();
  }

  static Pod pod(int n, int s, int i, boolean ready) {
    String name = podName(s, i);
    return Pod.newBuilder().setApiVersion("v1").setKind("Pod")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns(n)).setName(name).putLabels("app", "svc-" + s)
            .putLabels("pod-template-hash", "7c9d8f6b5").setUid(UUID.nameUUIDFromBytes((ns(n) + name).getBytes()).toString())
            .setCreationTimestamp(Timestamp.newBuilder().setSeconds(1_795_000_000L)))
        .setSpec(PodSpec.newBuilder().setNodeName("node-" + (i % 3))
            .addContainers(Container.newBuilder().setName("app").setImage("registry.example/app:1.4.2")
                .addPorts(ContainerPort.newBuilder().setName("http").setContainerPort(8080).setProtocol("TCP"))))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip(n, s, i)).setHostIp("127.0.1." + (i % 3 + 1))
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")
                .setLastTransitionTime(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond())))
            .addConditions(PodCondition.newBuilder().setType("PodScheduled").setStatus("True")))
        .build();
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
      String k = a.substring(2);
      if (k.equals("no-probe")) m.put(k, "true");
      else m.put(k, args[++i]);
    }
    return m;
  }
}
