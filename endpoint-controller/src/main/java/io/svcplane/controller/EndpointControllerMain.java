package io.svcplane.controller;

import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The endpoint controller process. */
@Command(
    name = "endpoint-controller",
    mixinStandardHelpOptions = true,
    description = "Folds Pods and Services of svcplane.resources into Endpoints on svcplane.endpoints, exactly once.")
public final class EndpointControllerMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(EndpointControllerMain.class);

  @Option(names = "--kafka", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9092",
      description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
  String kafka;

  @Option(names = "--instance-id", paramLabel = "ID",
      description = "Stable id of this instance: its static group membership and its transactional id."
          + " A restart with the same id takes its partitions back at once. Default: the host name.")
  String instanceId;

  @Option(names = "--group-id", paramLabel = "ID", defaultValue = EndpointController.DEFAULT_GROUP_ID,
      description = "Consumer group shared by all instances (default: ${DEFAULT-VALUE}).")
  String groupId;

  @Option(names = "--kafka-properties", paramLabel = "FILE",
      description = "Kafka client properties (security, SASL, ...) passed to every client.")
  Path kafkaProperties;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve /healthz and /metrics (Prometheus text) on this port, all interfaces; 0 takes a free"
          + " port. Default: no metrics server.")
  Integer metricsPort;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "" + TopicLayout.DEFAULT_PARTITIONS,
      description = "Partitions of the topics if this process creates them (default: ${DEFAULT-VALUE}).")
  int partitions;

  public static void main(String[] args) {
    System.exit(new CommandLine(new EndpointControllerMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    KafkaClients clients = KafkaClients.of(kafka, kafkaProperties);
    String id = instanceId != null ? instanceId : hostName();
    try (Admin admin = Admin.create(clients.admin())) {
      Topics.ensure(admin, TopicLayout.DEFAULT.withPartitions(partitions));
    }
    ControllerMetrics metrics = new ControllerMetrics();
    MetricsServer http = metricsPort == null ? null : MetricsServer.start(new InetSocketAddress(metricsPort), metrics);
    EndpointController controller = EndpointController.start(new EndpointController.Settings(clients, id, groupId), metrics);
    Thread hook = new Thread(controller::close, "endpoint-controller-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info("endpoint controller ready: instance {}, group {}, {}{}", id, groupId, clients,
        http == null ? "" : ", metrics on port " + http.port());
    Throwable failure = controller.awaitTermination();
    if (http != null) http.close();
    if (failure != null) {
      // Leave the actors to the JVM's exit; the hook's close() would wait for a loop that is gone.
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // already exiting
      }
      controller.close();
      log.error("endpoint controller stopped on error: {}", failure.toString());
      return 1;
    }
    return 0;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      String env = System.getenv("HOSTNAME");
      if (env != null && !env.isBlank()) return env;
      throw new IllegalStateException("cannot tell the host name; give --instance-id", e);
    }
  }
}
