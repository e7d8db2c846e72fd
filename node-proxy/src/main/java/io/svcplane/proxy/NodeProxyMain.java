package io.svcplane.proxy;

import io.svcplane.proxy.dns.DnsSettings;
import io.svcplane.security.ClientTls;
import io.svcplane.security.TlsDiagnosis;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The node-proxy process: one node's proxy, until SIGTERM (or SIGINT) stops it gracefully. */
@Command(name = "node-proxy", mixinStandardHelpOptions = true,
    description = "Programs forwarding for one node from the apiserver's ProxyFeed.")
public final class NodeProxyMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(NodeProxyMain.class);

  @Option(names = "--node", required = true, description = "Name of this node (its Node object).")
  String node;

  @Option(names = "--address", required = true, description = "The node's address: its InternalIP, where NodePorts listen (e.g. 127.0.1.1).")
  String address;

  @Option(names = "--apiserver", defaultValue = "127.0.0.1:6443", description = "apiserver gRPC HOST:PORT (default: ${DEFAULT-VALUE}).")
  String apiserver;

  @Option(names = "--mode", defaultValue = "userspace", description = "userspace, nftables or dry-run (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(names = "--dry-run-file", description = "With --mode dry-run: where to write the desired forwarding table (JSON).")
  Path dryRunFile;

  @Option(names = "--metrics-port", defaultValue = "10249",
      description = "HTTP port for /metrics (Prometheus text) and /healthz on --metrics-address; 0 picks a free one, -1 turns it off (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--metrics-address", description = "Address for the metrics port (default: --address).")
  String metricsAddress;

  @Option(names = "--threads", defaultValue = "0", description = "Event loops of the userspace data path and of the DNS server (default: one per core; DNS at most 4).")
  int threads;

  @Option(names = "--dns-port",
      description = "UDP and TCP port of the node's DNS server for the cluster's names; 0 turns DNS off (default: 53 when this"
          + " process may listen there, else no DNS, with a warning).")
  Integer dnsPort;

  @Option(names = "--dns-address", description = "Address of the DNS server (default: --address).")
  String dnsAddress;

  @Option(names = "--cluster-domain", defaultValue = DnsSettings.DEFAULT_CLUSTER_DOMAIN,
      description = "The cluster's DNS domain: services are SVC.NS.svc.DOMAIN (default: ${DEFAULT-VALUE}).")
  String clusterDomain;

  @Option(names = "--dns-ttl", defaultValue = "5", description = "TTL in seconds of every DNS answer, and of negative answers (default: ${DEFAULT-VALUE}).")
  long dnsTtl;

  @Option(names = "--dns-upstream", description = "HOST:PORT (HOST an IP address) to forward names outside the cluster to; without it they are REFUSED.")
  String dnsUpstream;

  @Option(names = "--ca-file", paramLabel = "FILE", description = "CA that signed the apiserver's certificate (PEM): TLS to the apiserver.")
  Path caFile;

  @Option(names = "--cert-file", paramLabel = "FILE",
      description = "This node's client certificate (PEM; CN=system:node:NODE, O=system:nodes): the apiserver lets it speak for NODE only.")
  Path certFile;

  @Option(names = "--key-file", paramLabel = "FILE", description = "Its private key (PEM).")
  Path keyFile;

  @Option(names = "--insecure", description = "Plaintext to an apiserver started with --insecure (experiments only).")
  boolean insecure;

  @Override
  public Integer call() throws Exception {
    ClientTls tls;
    if (insecure) {
      if (caFile != null || certFile != null || keyFile != null) {
        System.err.println("node-proxy: --insecure speaks plaintext: it cannot go with --ca-file, --cert-file or --key-file");
        return 2;
      }
      tls = ClientTls.plaintext();
      log.warn("INSECURE: talking plaintext to the apiserver at {} (--insecure): anyone on the path can read and change what"
          + " this node forwards", apiserver);
      int colon = apiserver.lastIndexOf(':');
      if (colon > 0 && TlsDiagnosis.speaksTls(apiserver.substring(0, colon), Integer.parseInt(apiserver.substring(colon + 1)),
          java.time.Duration.ofSeconds(2))) {
        log.warn("the apiserver at {} wants TLS: with --insecure this proxy cannot reach it; give --ca-file, --cert-file and"
            + " --key-file instead", apiserver);
      }
    } else {
      if (caFile == null || certFile == null || keyFile == null) {
        System.err.println("node-proxy: the apiserver is reached over TLS with this node's certificate: give --ca-file,"
            + " --cert-file and --key-file (or --insecure for an apiserver started with --insecure)");
        return 2;
      }
      tls = ClientTls.of(caFile, certFile, keyFile);
    }
    NodeProxy proxy;
    try {
      DnsSettings dns = dnsSettings(DnsSettings::mayListen, System.err);
      proxy = NodeProxy.start(new NodeProxy.Config(node, address, apiserver, mode, dryRunFile, threads, dns, tls));
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("node-proxy: " + e.getMessage());
      return 2;
    }
    MetricsServer metrics = null;
    if (metricsPort >= 0) {
      metrics = new MetricsServer(new InetSocketAddress(metricsAddress == null ? address : metricsAddress, metricsPort),
          proxy.metrics(), proxy::health);
    }
    System.out.println("node-proxy " + node + " (" + mode + ") started; apiserver " + apiserver + " " + tls.describe()
        + (metrics != null ? "; metrics on :" + metrics.port() : "")
        + (proxy.dns() != null ? "; DNS for " + proxy.dns().settings().clusterDomain() + " on "
            + proxy.dns().settings().address().getHostAddress() + ":" + proxy.dns().settings().port() : "; DNS off"));
    CountDownLatch stopped = new CountDownLatch(1);
    MetricsServer m = metrics;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("node-proxy " + node + ": stopping");
      if (m != null) m.close();
      proxy.close();
      stopped.countDown();
    }, "node-proxy-stop"));
    stopped.await();
    return 0;
  }

  /**
   * The DNS flags checked; null for no DNS. Without --dns-port the port is 53 when
   * {@code mayListen} says this process may bind it, else DNS is off and {@code err} says why and
   * which flag to give: a proxy run by a user never fails for want of a privileged port. A port
   * given explicitly is used as given (and fails the start if it cannot be bound).
   */
  DnsSettings dnsSettings(BiPredicate<InetAddress, Integer> mayListen, PrintStream err) {
    if (dnsPort != null && (dnsPort < 0 || dnsPort > 65535)) {
      throw new IllegalArgumentException("--dns-port: Invalid value: " + dnsPort + ": must be between 0 and 65535, inclusive (0 turns DNS off)");
    }
    if (dnsPort != null && dnsPort == 0) return null;
    int port = dnsPort == null ? DnsSettings.DEFAULT_PORT : dnsPort;
    DnsSettings dns = DnsSettings.parse(dnsAddress == null ? address : dnsAddress, port, clusterDomain, dnsTtl, dnsUpstream, threads);
    if (dnsPort == null && !mayListen.test(dns.address(), port)) {
      err.println("node-proxy: DNS off: this process may not listen on " + dns.address().getHostAddress() + ":" + port
          + " (a privileged port: it needs root, CAP_NET_BIND_SERVICE or sysctl net.ipv4.ip_unprivileged_port_start=" + port
          + "); give another with --dns-port, or --dns-port 0 to silence this");
      return null;
    }
    return dns;
  }

  public static void main(String[] args) {
    int rc = new CommandLine(new NodeProxyMain()).execute(args);
    if (rc != 0) System.exit(rc);
  }
}
