package io.svcplane.bench;

import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the time of one transactional write goes, step by step, on one broker: send (produce
 * request until acknowledged, including the broker's check that the partition is in the
 * transaction), commit (EndTxn), and the wait until a read_committed reader sees the record (commit
 * markers written, then a fetch). Sequential transactions with 1 or 64 records, on one producer
 * and on producers taking turns, so the cost of starting a transaction right after the previous
 * one's commit shows.
 *
 * <p>Options (system properties): {@code -Dbench.kafka=HOST:PORT} (default: a broker of its own
 * in a separate process), {@code -Dbench.seconds=8} per case, {@code -Dbench.producer.NAME=VALUE} (a
 * producer setting, e.g. retry.backoff.ms).
 */
public final class TransactionStepsBench {
  private TransactionStepsBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = Integer.getInteger("bench.seconds", 8);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    String bootstrap = System.getProperty("bench.kafka");
    BrokerProcess brokerProcess = bootstrap == null ? BrokerProcess.start() : null;
    if (brokerProcess != null) bootstrap = brokerProcess.bootstrap();
    KafkaClients clients = KafkaClients.of(bootstrap);
    StringBuilder out = new StringBuilder();
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
      FeatureMetadata f = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS);
      line(out, "# load average " + ApiServerWriteBench.loadAverage() + "; finalized features " + f.finalizedFeatures());
    }

    Reader reader = new Reader(clients);
    reader.start();
    try {
      for (int perTxn : new int[] {1, 64}) {
        for (int producers : new int[] {1, 4}) {
          line(out, run(clients, reader, producers, perTxn, seconds));
        }
      }
    } finally {
      reader.stop();
    }
    line(out, "# load average at end " + ApiServerWriteBench.loadAverage());
    Path file = Path.of("bench", "results", "txn-steps-" + stamp + ".txt");
    Files.createDirectories(file.getParent());
    Files.writeString(file, out.toString());
    System.out.println("raw data: " + file);
    if (brokerProcess != null) brokerProcess.close();
    System.exit(0);
  }

  private static void line(StringBuilder out, String s) {
    System.out.println(s);
    out.append(s).append('\n');
  }

  /** A read_committed reader that notes when it first sees each key. */
  static final class Reader {
    final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, ResourceEvent> consumer;
    private volatile boolean running = true;
    private Thread thread;

    Reader(KafkaClients clients) {
      Properties cp = clients.consumer(null);
      String wait = System.getProperty("bench.fetchMaxWaitMs");
      if (wait != null) cp.put("fetch.max.wait.ms", wait);
      consumer = new KafkaConsumer<>(cp);
      List<TopicPartition> tps = new ArrayList<>();
      consumer.partitionsFor(LogTopic.RESOURCES.topicName()).forEach(i -> tps.add(new TopicPartition(i.topic(), i.partition())));
      consumer.assign(tps);
      consumer.seekToEnd(tps);
      tps.forEach(tp -> consumer.position(tp));
    }

    void start() {
      thread = new Thread(() -> {
        while (running) {
          for (ConsumerRecord<String, ResourceEvent> r : consumer.poll(Duration.ofMillis(100))) {
            seen.putIfAbsent(r.key(), System.nanoTime());
          }
        }
        consumer.close();
      }, "steps-reader");
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }
  }

  static String run(KafkaClients clients, Reader reader, int producers, int perTxn, int seconds) throws Exception {
    List<KafkaProducer<String, ResourceEvent>> ps = new ArrayList<>();
    String tag = "p" + producers + "r" + perTxn + "-" + System.nanoTime();
    for (int k = 0; k < producers; k++) {
      Properties p = clients.producer("steps-" + tag + "-" + k);
      for (String key : System.getProperties().stringPropertyNames()) {
        if (key.startsWith("bench.producer.")) p.put(key.substring("bench.producer.".length()), System.getProperty(key));
      }
      KafkaProducer<String, ResourceEvent> producer = new KafkaProducer<>(p);
      producer.initTransactions();
      ps.add(producer);
    }
    Resource svc = ApiServerWriteBench.sampleService("steps", "x");
    ResourceEvent event = ResourceEvent.newBuilder().setType(EventType.ADDED).setObject(svc).setWriter("bench").build();
    List<long[]> samples = new ArrayList<>();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    int i = 0;
    List<String> lastKeys = new ArrayList<>();
    while (System.nanoTime() < end) {
      KafkaProducer<String, ResourceEvent> p = ps.get(i % producers);
      long t0 = System.nanoTime();
      p.beginTransaction();
      List<Future<?>> fs = new ArrayList<>(perTxn);
      lastKeys.clear();
      for (int r = 0; r < perTxn; r++) {
        // Six namespaces: the records spread over the partitions as the apiserver's do.
        String key = "Service/steps-" + (r % 6) + "/" + tag + "-" + i + "-" + r;
        lastKeys.add(key);
        fs.add(p.send(new ProducerRecord<>(LogTopic.RESOURCES.topicName(), key, event)));
      }
      for (Future<?> f : fs) f.get();
      long t1 = System.nanoTime();
      p.commitTransaction();
      long t2 = System.nanoTime();
      // Wait until the reader has every record of the transaction.
      long deadline = t2 + TimeUnit.SECONDS.toNanos(10);
      long visible = -1;
      while (System.nanoTime() < deadline) {
        long max = 0;
        boolean all = true;
        for (String k : lastKeys) {
          Long at = reader.seen.get(k);
          if (at == null) {
            all = false;
            break;
          }
          max = Math.max(max, at);
        }
        if (all) {
          visible = max;
          break;
        }
        Thread.onSpinWait();
      }
      if (t0 > warm) samples.add(new long[] {t1 - t0, t2 - t1, visible < 0 ? -1 : Math.max(0, visible - t2)});
      i++;
    }
    ps.forEach(KafkaProducer::close);
    return String.format(Locale.ROOT, "%d producer(s) in turn, %2d records/txn, %4d txns: send p50 %6.2f p99 %7.2f | commit p50 %6.2f p99 %7.2f"
        + " | commit->visible p50 %6.2f p99 %7.2f | whole p50 %6.2f ms",
        producers, perTxn, samples.size(), pct(samples, 0, 0.5), pct(samples, 0, 0.99), pct(samples, 1, 0.5), pct(samples, 1, 0.99),
        pct(samples, 2, 0.5), pct(samples, 2, 0.99), pctSum(samples, 0.5));
  }

  static double pct(List<long[]> samples, int col, double p) {
    long[] v = samples.stream().mapToLong(s -> s[col]).sorted().toArray();
    return v.length == 0 ? Double.NaN : v[(int) (p * (v.length - 1))] / 1e6;
  }

  static double pctSum(List<long[]> samples, double p) {
    long[] v = samples.stream().mapToLong(s -> s[0] + s[1] + s[2]).sorted().toArray();
    return v.length == 0 ? Double.NaN : v[(int) (p * (v.length - 1))] / 1e6;
  }
}
