package io.svcplane.bench;

import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import io.svcplane.eventlog.broker.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

public class RawTxnProbe {
  public static void main(String[] args) throws Exception {
    String bootstrap = args.length > 0 && !args[0].isEmpty() ? args[0] : null;
    EmbeddedKafkaBroker broker = null;
    if (bootstrap == null) {
      broker = EmbeddedKafkaBroker.start(Files.createTempDirectory("probe"));
      bootstrap = broker.bootstrapServers();
    }
    KafkaClients clients = KafkaClients.of(bootstrap);
    try (Admin a = Admin.create(clients.admin())) {
      Topics.ensure(a, TopicLayout.DEFAULT);
      String v = System.getProperty("verify");
      if (v != null) {
        var res = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.BROKER, "");
        a.incrementalAlterConfigs(java.util.Map.of(res, java.util.List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
            new org.apache.kafka.clients.admin.ConfigEntry("transaction.partition.verification.enable", v),
            org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
        System.out.println("set verification " + v);
        Thread.sleep(2000);
      }
    }
    try (Admin a = Admin.create(clients.admin())) {
      System.out.println(a.describeFeatures().featureMetadata().get().finalizedFeatures());
    }
    int k = Integer.getInteger("k", 1);
    java.util.List<KafkaProducer<String, ResourceEvent>> prods = new java.util.ArrayList<>();
    for (int j = 0; j < k; j++) {
      Properties p = clients.producer("probe-" + j);
      for (int i = 1; i + 1 < args.length; i += 2) p.put(args[i], args[i + 1]);
      KafkaProducer<String, ResourceEvent> pr = new KafkaProducer<>(p);
      pr.initTransactions();
      prods.add(pr);
    }
    {
      ResourceEvent ev = ResourceEvent.newBuilder().setWriter("x".repeat(200)).build();
      for (int round = 0; round < 3; round++) {
        int n = 300;
        long t0 = System.nanoTime();
        long max = 0, sendT = 0, commitT = 0;
        for (int i = 0; i < n; i++) {
          long s = System.nanoTime();
          KafkaProducer<String, ResourceEvent> prod = prods.get(i % k);
          prod.beginTransaction();
          prod.send(new ProducerRecord<>("svcplane.resources", "Service/probe/x" + i, ev)).get();
          long s2 = System.nanoTime();
          sendT += s2 - s;
          prod.commitTransaction();
          commitT += System.nanoTime() - s2;
          max = Math.max(max, System.nanoTime() - s);
        }
        long el = System.nanoTime() - t0;
        System.out.printf("1 record/txn: %.2f ms mean, max %.2f ms, %.0f txn/s send %.2f commit %.2f%n", el / 1e6 / n, max / 1e6, n / (el / 1e9), sendT/1e6/n, commitT/1e6/n);
      }
    }
    if (broker != null) broker.close();
    System.exit(0);
  }
}
