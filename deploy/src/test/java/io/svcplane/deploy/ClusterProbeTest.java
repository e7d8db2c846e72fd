package io.svcplane.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The probe's verdicts on real sockets: a healthy endpoint, an unhealthy one, and nothing listening. */
class ClusterProbeTest {
  private HttpServer server;
  private volatile int status = 200;

  @BeforeEach
  void healthz() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    server.createContext("/healthz", ex -> {
      byte[] body = (status == 200 ? "ok\n" : "starting\n").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private record Run(int exit, String out) {}

  private static Run probe(String... args) {
    PrintStream saved = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      int rc = new CommandLine(new ClusterProbe()).execute(args);
      return new Run(rc, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(saved);
    }
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/healthz";
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void aComponentAnswering200IsOkAndTheExitCodeIsZero() {
    Run r = probe("--http", "endpoint-controller=" + url());
    assertEquals(0, r.exit(), r.out());
    assertEquals("endpoint-controller ok\n", r.out());
  }

  @Test
  void aComponentAnswering503IsDownWithItsReason() {
    status = 503;
    Run r = probe("--http", "endpoint-controller=" + url());
    assertEquals(1, r.exit());
    assertTrue(r.out().startsWith("endpoint-controller down: ") && r.out().contains("answered 503: starting"), r.out());
  }

  @Test
  void nothingListeningIsDownAndOneBadComponentFailsTheWhole() throws Exception {
    int port = closedPort();
    Run r = probe("--http", "a=" + url(), "--http", "b=http://127.0.0.1:" + port + "/healthz",
        "--apiserver", "127.0.0.1:" + closedPort(), "--kafka", "127.0.0.1:" + closedPort());
    assertEquals(1, r.exit(), r.out());
    assertTrue(r.out().contains("a ok\n"), r.out());
    assertTrue(r.out().contains("b down: no answer from http://127.0.0.1:" + port), r.out());
    assertTrue(r.out().contains("apiserver down: gRPC health check at 127.0.0.1:"), r.out());
    assertTrue(r.out().contains("kafka down: "), r.out());
  }

  @Test
  void waitChecksAgainUntilTheComponentTurnsHealthy() throws Exception {
    status = 503;
    Thread healer = new Thread(() -> {
      try {
        Thread.sleep(700);
      } catch (InterruptedException e) {
        return;
      }
      status = 200;
    });
    healer.start();
    Run r = probe("--wait", "30", "--http", "c=" + url());
    healer.join();
    assertEquals(0, r.exit(), r.out());
    assertEquals("c ok\n", r.out());
  }
}
