package io.svcplane.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** HTTP {@code /metrics} (Prometheus text) and {@code /healthz} (200 when healthy, else 503 and why). */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;

  /** @param health null when healthy, else the reason it is not */
  public MetricsServer(InetSocketAddress at, ProxyMetrics metrics, Supplier<String> health) throws IOException {
    server = HttpServer.create(at, 16);
    server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.prometheusText()));
    server.createContext("/healthz", ex -> {
      String why = health.get();
      send(ex, why == null ? 200 : 503, "text/plain; charset=utf-8", why == null ? "ok\n" : why + "\n");
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
