package io.svcplane.proxy;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.ActorContext;
import com.typesafe.config.ConfigFactory;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.svcplane.proxy.dns.DnsMetrics;
import io.svcplane.proxy.dns.DnsServer;
import io.svcplane.proxy.dns.DnsSettings;
import io.svcplane.proxy.userspace.UserspaceBackend;
import io.svcplane.security.ClientTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One node proxy, embeddable (the main class, tests and benchmarks run it alike): a gRPC channel
 * to the apiserver with keepalive, and an actor system whose guardian is the node's
 * {@link NodeGuardian}.
 */
public final class NodeProxy implements AutoCloseable {
  /**
   * Flags of a node proxy; see {@link NodeProxyMain}. {@code dns} null: no DNS server. {@code tls}:
   * how it reaches the apiserver (TLS with the cluster CA and the node's client certificate;
   * plaintext, also when null, only for an apiserver started with --insecure).
   */
  public record Config(String node, String address, String apiserver, String mode, Path dryRunFile, int threads, DnsSettings dns,
      ClientTls tls) {
    public Config {
      if (threads <= 0) threads = Runtime.getRuntime().availableProcessors();
      if (tls == null) tls = ClientTls.plaintext();
    }

    /** Plaintext to the apiserver (an insecure one, as in-process tests run), no DNS. */
    public Config(String node, String address, String apiserver, String mode, Path dryRunFile, int threads) {
      this(node, address, apiserver, mode, dryRunFile, threads, (DnsSettings) null, null);
    }

    /** Plaintext to the apiserver, with DNS. */
    public Config(String node, String address, String apiserver, String mode, Path dryRunFile, int threads, DnsSettings dns) {
      this(node, address, apiserver, mode, dryRunFile, threads, dns, null);
    }

    /** TLS (or plaintext) as {@code tls} says, no DNS. */
    public Config(String node, String address, String apiserver, String mode, Path dryRunFile, int threads, ClientTls tls) {
      this(node, address, apiserver, mode, dryRunFile, threads, null, tls);
    }
  }

  private final Config config;
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final ManagedChannel channel;
  private final ActorSystem<NodeGuardian.Command> system;
  private final DnsServer dns;

  private NodeProxy(Config config) {
    this.config = config;
    Function<ActorContext<NodeGuardian.Command>, ForwardingBackend> backend = switch (config.mode()) {
      case "userspace" -> ctx -> UserspaceBackend.create(ctx, config.node(), config.address(), config.threads(), metrics);
      case "nftables" -> {
        ForwardingBackend b = Backends.nftables(config.node(), config.address());
        yield ctx -> b;
      }
      case "dry-run" -> {
        if (config.dryRunFile() == null) throw new IllegalArgumentException("--mode dry-run needs --dry-run-file PATH");
        yield ctx -> Backends.dryRun(config.dryRunFile(), config.node());
      }
      default -> throw new IllegalArgumentException(
          "--mode: Unsupported value: \"" + config.mode() + "\": supported values: \"userspace\", \"nftables\", \"dry-run\"");
    };
    // Bound before the feed connects: a port that cannot be had fails the start at once.
    this.dns = config.dns() == null ? null : DnsServer.start(config.dns(), new DnsMetrics());
    if (dns != null) metrics.addSection(dns.metrics()::prometheusText);
    this.channel = NettyChannelBuilder.forTarget(config.apiserver(), credentials(config.tls()))
        .keepAliveTime(20, TimeUnit.SECONDS).keepAliveTimeout(10, TimeUnit.SECONDS).keepAliveWithoutCalls(true)
        .maxInboundMessageSize(256 << 20)
        .build();
    var akkaConfig = ConfigFactory.parseString("akka.loglevel = INFO\nakka.log-dead-letters = off\n"
        + "akka.coordinated-shutdown.exit-jvm = off\nakka.jvm-shutdown-hooks = off").withFallback(ConfigFactory.load());
    this.system = ActorSystem.create(NodeGuardian.create(new NodeGuardian.Settings(
        config.node(), config.address(), channel, backend, metrics, dns == null ? null : dns::publish)), "node-proxy", akkaConfig);
  }

  private static io.grpc.ChannelCredentials credentials(ClientTls tls) {
    try {
      return tls.credentials();
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  public static NodeProxy start(Config config) {
    return new NodeProxy(config);
  }

  public Config config() {
    return config;
  }

  public ProxyMetrics metrics() {
    return metrics;
  }

  /** The node's DNS server, or null when DNS is off. */
  public DnsServer dns() {
    return dns;
  }

  /** Null when healthy: connected or not, the last version it got was programmed. */
  public String health() {
    if (metrics.version().isEmpty()) return "nothing programmed yet";
    return null;
  }

  /** Stops forwarding: listeners close, the stream ends (the apiserver marks the node NotReady after its grace). */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(15).toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Stopping anyway.
    }
    if (dns != null) dns.close();
    channel.shutdown();
    try {
      if (!channel.awaitTermination(3, TimeUnit.SECONDS)) channel.shutdownNow();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    }
  }
}
