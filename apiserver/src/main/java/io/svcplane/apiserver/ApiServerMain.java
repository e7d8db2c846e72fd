package io.svcplane.apiserver;

import io.svcplane.core.allocation.NodePortRange;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.eventlog.KafkaClients;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code apiserver --kafka HOST:PORT [--port 6443] ...}: runs the apiserver until SIGTERM. */
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

  @Override
  public Integer call() throws Exception {
    ApiServer server = ApiServer.builder(KafkaClients.of(kafka, kafkaProperties))
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
      cmd.getErr().println("apiserver: " + e.getMessage());
      return 1;
    });
    System.exit(cl.execute(args));
  }
}
