package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import io.svcplane.testkit.FreePorts;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code get -w}: the listing, then every change as it happens, surviving a broken stream. */
@ExtendWith({KafkaExtension.class, ApiServerExtension.class})
class WatchTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Clock TEN_DAYS_LATER = Clock.offset(Clock.systemUTC(), Duration.ofDays(10).plusHours(12));

  private static String service(String name) {
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\nspec:\n  ports:\n  - port: 80\n";
  }

  private static String clusterIp(TestApiServer api, String ns, String name) {
    return api.api().get(GetRequest.newBuilder().setKind(Kind.SERVICE).setNamespace(ns).setName(name).build())
        .getService().getSpec().getClusterIp();
  }

  @Test
  void watchPrintsTheListingThenEachChangeMadeAfterItStarted(TestApiServer api) throws Exception {
    Cli cli = new Cli().server(api.address()).clock(TEN_DAYS_LATER);
    cli.run("create", "namespace", "watched");
    cli.runWithStdin(service("before"), "create", "-n", "watched", "-f", "-");
    String ipBefore = clusterIp(api, "watched", "before");

    Cli.Background watch = cli.start("get", "svc", "-w", "-n", "watched");
    watch.awaitOut(o -> o.contains("before"), WAIT);
    cli.runWithStdin(service("after"), "create", "-n", "watched", "-f", "-");
    String ipAfter = clusterIp(api, "watched", "after");
    watch.awaitOut(o -> o.contains("after"), WAIT);
    assertEquals("service/after labeled\n", cli.run("label", "svc", "after", "tier=web", "-n", "watched").out());
    watch.awaitOut(o -> o.lines().filter(l -> l.startsWith("after ")).count() == 2, WAIT);
    cli.run("delete", "svc", "before", "-n", "watched");
    String out = watch.awaitOut(o -> o.lines().filter(l -> l.startsWith("before ")).count() == 2, WAIT);
    assertEquals(0, watch.stop(), "Ctrl-C ends a watch cleanly");

    // Header once, rows aligned across the whole stream; the deleted object's last state last.
    assertEquals(String.format("""
        NAME     TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE
        before   ClusterIP   %-10s   <none>        80/TCP    10d
        after    ClusterIP   %-10s   <none>        80/TCP    10d
        after    ClusterIP   %-10s   <none>        80/TCP    10d
        before   ClusterIP   %-10s   <none>        80/TCP    10d
        """, ipBefore, ipAfter, ipAfter, ipBefore), out);
    assertEquals("", watch.err());
  }

  @Test
  void watchOfANamedObjectShowsOnlyItAndYamlSeparatesDocuments(TestApiServer api) throws Exception {
    Cli cli = new Cli().server(api.address());
    cli.run("create", "namespace", "watched-one");
    cli.runWithStdin(service("one") + "---\n" + service("other"), "create", "-n", "watched-one", "-f", "-");
    Cli.Background watch = cli.start("get", "svc", "one", "-w", "-n", "watched-one", "-o", "name");
    watch.awaitOut(o -> o.equals("service/one\n"), WAIT);
    cli.run("label", "svc", "other", "a=b", "-n", "watched-one");
    cli.run("label", "svc", "one", "a=b", "-n", "watched-one");
    watch.awaitOut(o -> o.equals("service/one\nservice/one\n"), WAIT);
    assertEquals(0, watch.stop());

    Cli.Background yaml = cli.start("get", "svc", "one", "-w", "-n", "watched-one", "-o", "yaml");
    yaml.awaitOut(o -> o.contains("name: one"), WAIT);
    cli.run("label", "svc", "one", "c=d", "-n", "watched-one");
    String out = yaml.awaitOut(o -> o.contains("    c: d\n"), WAIT);
    assertEquals(0, yaml.stop());
    assertEquals(2, out.split("---\n").length, out);
  }

  @Test
  void watchReconnectsAfterTheApiserverRestartsAndResumesFromTheLastChangeSeen(TestKafka kafka) throws Exception {
    int port = FreePorts.loopback();
    TestApiServer first = TestApiServer.start(kafka, port, "svcctl-watch-restart");
    Cli cli = new Cli().server(first.address()).clock(TEN_DAYS_LATER);
    Cli.Background watch;
    try {
      cli.run("create", "namespace", "restarts");
      cli.runWithStdin(service("r1"), "create", "-n", "restarts", "-f", "-");
      watch = cli.start("get", "svc", "-w", "-n", "restarts", "-o", "name");
      watch.awaitOut(o -> o.equals("service/r1\n"), WAIT);
      cli.runWithStdin(service("r2"), "create", "-n", "restarts", "-f", "-");
      watch.awaitOut(o -> o.equals("service/r1\nservice/r2\n"), WAIT);
    } finally {
      first.close();
    }
    TestApiServer second = TestApiServer.start(kafka, port, "svcctl-watch-restart");
    try {
      cli.runWithStdin(service("r3"), "create", "-n", "restarts", "-f", "-");
      // r3 once, and nothing seen before the break printed again.
      String out = watch.awaitOut(o -> o.contains("service/r3"), WAIT);
      assertEquals("service/r1\nservice/r2\nservice/r3\n", out);
      assertEquals(0, watch.stop());
      // The stopping apiserver ends the stream (CANCELLED), then refuses connections (UNAVAILABLE): said once.
      assertTrue(watch.err().matches("svcctl: watch stream broken \\([A-Z_]+\\), reconnecting to " + second.address()
          + " and resuming from the last change seen\n"), watch.err());
    } finally {
      second.close();
    }
  }
}
