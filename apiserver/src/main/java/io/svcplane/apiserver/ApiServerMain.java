package io.svcplane.apiserver;

import io.svcplane.apiserver.auth.ApiSecurity;
import io.svcplane.core.allocation.NodePortRange;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.security.ServerTls;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code apiserver --kafka HOST:PORT --tls-cert-file F --tls-private-key-file F [--client-ca-file F]
 * [--token-auth-file F] [--authorization-policy-file F] ...}: runs the apiserver until SIGTERM.
 * Secure unless told otherwise: without TLS files it refuses to start, except with
 * {@code --insecure}, which it says loudly.
 */
@Command(name = "apiserver", mixinStandardHelpOptions = true,
    description = "svcplane's apiserver: the gRPC Resources API over the event log in Kafka.")
public final class ApiServerMain implements Callable<Integer> {

  @Option(names = "--kafka", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
  String kafka;

  @Option(names = "--kafka-properties", paramLabel = "FILE",
      description = "Kafka client settings (security, SASL, ...) passed to every client.")
  Path kafkaProperties;

  @Option(names = "--port", defaultValue = "6443", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--service-cidr", defaultValue = ServiceCidr.DEFAULT,
      description = "Range of ClusterIPs (default: ${DEFAULT-VALUE}).")
  String serviceCidr;

  @Option(names = "--node-port-range", defaultValue = NodePortRange.DEFAULT,
      description = "Range of NodePorts, inclusive (default: ${DEFAULT-VALUE}).")
  String nodePortRange;

  @Option(names = "--partitions", defaultValue = "6",
      description = "Partitions of the topics when the apiserver creates them (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--writer-id", defaultValue = "apiserver-0",
      description = "Writer identity (Kafka transactional id): a second apiserver with the same id fences this one"
          + " (default: ${DEFAULT-VALUE}).")
  String writerId;

  @Option(names = "--watch-window", defaultValue = "50000",
      description = "Newest log records kept in memory for Watch resume (default: ${DEFAULT-VALUE}).")
  int watchWindow;

  @Option(names = "--node-not-ready-grace", defaultValue = "10",
      description = "Seconds a node may have no node-proxy stream before its Node turns NotReady (default: ${DEFAULT-VALUE}).")
  double nodeNotReadyGrace;

  @Option(names = "--tls-cert-file", paramLabel = "FILE",
      description = "The apiserver's serving certificate (PEM), with the names and addresses clients use.")
  Path tlsCertFile;

  @Option(names = "--tls-private-key-file", paramLabel = "FILE", description = "Its private key (PEM, PKCS#8).")
  Path tlsKeyFile;

  @Option(names = "--client-ca-file", paramLabel = "FILE",
      description = "CA whose client certificates authenticate users and components: CN = user, O = groups"
          + " (a node proxy: CN=system:node:NAME, O=system:nodes).")
  Path clientCaFile;

  @Option(names = "--token-auth-file", paramLabel = "FILE",
      description = "Static bearer tokens, one user per line: token,user,uid,\"group1,group2\" (read at start).")
  Path tokenAuthFile;

  @Option(names = "--authorization-policy-file", paramLabel = "FILE",
      description = "RBAC policy (YAML: Roles, ClusterRoles, RoleBindings, ClusterRoleBindings; read at start). Without it only"
          + " system:masters and node proxies may do anything.")
  Path policyFile;

  @Option(names = "--insecure",
      description = "For experiments only: plaintext gRPC, no authentication, no authorization; anyone who can connect may"
          + " read and change everything.")
  boolean insecure;

  @Override
  public Integer call() throws Exception {
    ApiSecurity security;
    if (insecure) {
      if (tlsCertFile != null || tlsKeyFile != null || clientCaFile != null || tokenAuthFile != null || policyFile != null) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--insecure turns TLS, authentication and authorization off: it cannot go with --tls-cert-file,"
                + " --tls-private-key-file, --client-ca-file, --token-auth-file or --authorization-policy-file");
      }
      security = ApiSecurity.insecure();
    } else {
      if (tlsCertFile == null || tlsKeyFile == null) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "the apiserver serves TLS: give --tls-cert-file and --tls-private-key-file (and --client-ca-file,"
                + " --token-auth-file, --authorization-policy-file), or --insecure for a plaintext experiment");
      }
      if (clientCaFile == null && tokenAuthFile == null) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "nobody could authenticate: give --client-ca-file, --token-auth-file or both");
      }
      security = ApiSecurity.load(new ServerTls(tlsCertFile, tlsKeyFile, clientCaFile), tokenAuthFile, policyFile);
    }
    ApiServer server = ApiServer.builder(KafkaClients.of(kafka, kafkaProperties))
        .security(security)
        .bind(bind)
        .port(port)
        .serviceCidr(ServiceCidr.parse(serviceCidr))
        .nodePortRange(NodePortRange.parse(nodePortRange))
        .partitions(partitions)
        .writerId(writerId)
        .watchWindow(watchWindow)
        .nodeNotReadyGrace(java.time.Duration.ofMillis((long) (nodeNotReadyGrace * 1000)))
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "apiserver-shutdown"));
    server.start();
    server.blockUntilShutdown();
    return 0;
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new ApiServerMain());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof CommandLine.ParameterException p) {
        cmd.getErr().println("apiserver: " + p.getMessage());
        return 2;
      }
      cmd.getErr().println("apiserver: " + e.getMessage());
      return 1;
    });
    System.exit(cl.execute(args));
  }
}
