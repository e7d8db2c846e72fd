package io.svcplane.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The controller as its own process, killed with SIGKILL in the middle of a churn and restarted:
 * afterwards every service's last Endpoints are the planner's answer for the final pods, and no
 * Endpoints event appears twice for the same input.
 */
@ExtendWith(KafkaExtension.class)
class CrashRecoveryTest {
  static final int SERVICES = 200;
  static final int CHANGES = 10_000;
  static final int PER_TRANSACTION = 50;

  static Process startController(String bootstrap, String instanceId, Path logFile) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = List.of(java, "-Xmx384m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        EndpointControllerMain.class.getName(),
        "--kafka", bootstrap, "--instance-id", instanceId);
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
  }

  @Test
  void controllerKilledMidChurnResumesWithNothingLostAndNothingDoubled(TestKafka kafka) throws Exception {
    KafkaClients clients = KafkaClients.of(kafka.bootstrapServers());
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT);
    }
    String run = UUID.randomUUID().toString().substring(0, 6);
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < 4; i++) namespaces.add("crash-" + run + "-" + i);
    Churn churn = new Churn(42, namespaces, SERVICES / namespaces.size(), 6);
    Path logFile = Files.createDirectories(Path.of("target")).resolve("crash-test-controller-" + run + ".log");
    String instance = "crash-" + run;

    try (ResourceWriter writer = new ResourceWriter(clients); EndpointsWatcher watcher = new EndpointsWatcher(clients)) {
      churn.writeServices(writer);
      Process first = startController(kafka.bootstrapServers(), instance, logFile);
      Process second = null;
      try {
        // Produce the churn on a thread while the controller folds it; kill the controller once
        // it has published Endpoints for a good part of it.
        AtomicInteger produced = new AtomicInteger();
        // The second half of the churn waits for the kill, so that the kill lands mid-churn
        // however long the waits below take on a loaded machine.
        CountDownLatch killed = new CountDownLatch(1);
        Thread producer = new Thread(() -> {
          for (int done = 0; done < CHANGES; done += PER_TRANSACTION) {
            if (done == CHANGES / 2) TwoInstancesTest.awaitLatch(killed);
            churn.record(writer.writeAll(churn.next(PER_TRANSACTION)));
            produced.addAndGet(PER_TRANSACTION);
          }
        }, "churn");
        long t0 = System.nanoTime();
        awaitPublished(watcher, namespaces, SERVICES, Duration.ofSeconds(120));
        log("services published", t0);
        producer.start();
        // Mid-churn: half the changes written, and the controller busy publishing for them.
        awaitPublished(watcher, namespaces, SERVICES + 300, Duration.ofSeconds(120));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (produced.get() < CHANGES / 2 && System.nanoTime() < deadline) watcher.poll(Duration.ofMillis(20));
        log("killing at " + produced.get() + " changes and " + count(watcher, namespaces) + " Endpoints events", t0);
        first.destroyForcibly();
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        int producedAtKill = produced.get();
        killed.countDown();
        assertEquals(137, first.exitValue(), "killed by SIGKILL");

        second = startController(kafka.bootstrapServers(), instance, logFile);
        log("restarted", t0);
        producer.join(TimeUnit.MINUTES.toMillis(2));
        assertTrue(!producer.isAlive(), "the churn was written");
        log("churn written", t0);
        churn.awaitCommitted(clients, EndpointController.DEFAULT_GROUP_ID, Duration.ofSeconds(180));
        log("churn committed by the controller", t0);

        int checked = churn.verify(watcher);
        assertTrue(checked > SERVICES, "checked " + checked + " Endpoints events");
        System.out.printf("crash test: killed after %d of %d changes; %d Endpoints events checked%n",
            producedAtKill, CHANGES, checked);
      } finally {
        first.destroyForcibly();
        if (second != null) {
          second.destroy(); // SIGTERM: graceful, leaves the group for the next test
          if (!second.waitFor(30, TimeUnit.SECONDS)) second.destroyForcibly();
        }
      }
      String log = Files.readString(logFile);
      assertTrue(log.contains("rebuilt"), "the restarted controller rebuilt its partitions:\n" + log);
    }
  }

  static void log(String what, long t0) {
    System.out.printf("crash test: %s after %d ms%n", what, (System.nanoTime() - t0) / 1_000_000);
  }

  /** Waits until the watcher has read at least {@code n} Endpoints events of these namespaces. */
  static void awaitPublished(EndpointsWatcher watcher, List<String> namespaces, int n, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (count(watcher, namespaces) < n) {
      if (System.nanoTime() > deadline) throw new AssertionError("fewer than " + n + " Endpoints events within " + within);
      watcher.poll(Duration.ofMillis(20));
    }
  }

  static int count(EndpointsWatcher watcher, List<String> namespaces) {
    int n = 0;
    for (var e : watcher.all().entrySet()) {
      for (String ns : namespaces) {
        if (e.getKey().startsWith("Endpoints/" + ns + "/")) n += e.getValue().size();
      }
    }
    return n;
  }

}
