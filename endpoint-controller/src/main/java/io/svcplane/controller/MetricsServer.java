package io.svcplane.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A tiny HTTP endpoint: {@code /healthz} answers 200 "ok" while the Kafka loop runs and 503 with
 * its state otherwise (starting, stopped, failed); {@code /metrics} serves Prometheus text.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Listens on {@code address}; port 0 takes a free port (see {@link #port()}). */
  public static MetricsServer start(InetSocketAddress address, ControllerMetrics metrics) throws IOException {
    HttpServer server = HttpServer.create(address, 16);
    server.createContext("/healthz", ex -> {
      boolean up = metrics.state() == ControllerMetrics.State.RUNNING;
      respond(ex, up ? 200 : 503, up ? "ok\n" : metrics.state().name().toLowerCase() + "\n", "text/plain");
    });
    server.createContext("/metrics", ex ->
        respond(ex, 200, metrics.prometheusText(), "text/plain; version=0.0.4; charset=utf-8"));
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "metrics-http");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return new MetricsServer(server);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange ex, int status, String body, String type) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
