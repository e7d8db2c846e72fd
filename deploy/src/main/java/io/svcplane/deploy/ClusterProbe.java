package io.svcplane.deploy;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeCondition;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.security.ClientConfig;
import io.svcplane.security.ClientTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The health checks of {@code bin/svcplane}: one process checks every component it is given, the
 * way each one says it is healthy (the broker by its cluster and topic metadata, the apiserver by
 * gRPC health, the controller and proxies by {@code /healthz}, each proxy's Node by its Ready
 * condition and open feed stream in the apiserver), and prints one line per component:
 * {@code NAME ok} or {@code NAME down: WHY}. Exit 0 when all are ok. With {@code --wait} it
 * checks again until all are ok or the time is up. One JVM for all checks: a status costs one start.
 */
@Command(name = "cluster-probe", mixinStandardHelpOptions = true,
    description = "Checks the health of svcplane components; one line per component, exit 0 when all are ok.")
public final class ClusterProbe implements Callable<Integer> {

  @Option(names = "--kafka", paramLabel = "HOST:PORT", description = "Kafka broker: answers cluster metadata.")
  String kafka;

  @Option(names = "--kafka-properties", paramLabel = "FILE",
      description = "Kafka client settings (security.protocol, SASL, SSL, ...) passed through to the admin client.")
  java.nio.file.Path kafkaProperties;

  @Option(names = "--config", paramLabel = "FILE",
      description = "svcctl's configuration (kubeconfig-style: CA, token or client certificate): TLS to the apiserver with"
          + " those credentials. Without it: plaintext (an apiserver started with --insecure).")
  java.nio.file.Path config;

  @Option(names = "--kafka-topics", description = "Also require svcplane's topics with a leader for every partition.")
  boolean kafkaTopics;

  @Option(names = "--apiserver", paramLabel = "HOST:PORT", description = "apiserver: gRPC health SERVING.")
  String apiserver;

  @Option(names = "--http", paramLabel = "NAME=URL", description = "A component whose URL answers 200 (e.g. /healthz).")
  List<String> http = new ArrayList<>();

  @Option(names = "--proxy", paramLabel = "NAME=NODE=URL",
      description = "A node proxy: its /healthz URL answers 200 and (with --apiserver) its Node is Ready with the feed connected.")
  List<String> proxies = new ArrayList<>();

  @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "0",
      description = "Check again until all are ok, for at most this long (default: check once).")
  double waitSeconds;

  @Option(names = "--quiet", description = "Print nothing; only the exit code tells.")
  boolean quiet;

  // Timeouts fit a loaded machine (2 cores, many JVMs): a slow answer is not a dead component.
  private final HttpClient httpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private Admin admin;
  private ManagedChannel channel;

  public static void main(String[] args) {
    // Before the Kafka client's loggers exist: a broker that is down is an answer here, not a warning.
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "off");
    System.exit(new CommandLine(new ClusterProbe()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    long deadline = System.nanoTime() + (long) (waitSeconds * 1e9);
    Map<String, String> result;
    try {
      while (true) {
        result = checkAll();
        boolean allOk = result.values().stream().allMatch(v -> v == null);
        if (allOk || System.nanoTime() >= deadline) break;
        Thread.sleep(250);
      }
    } finally {
      if (admin != null) admin.close(Duration.ofSeconds(1));
      if (channel != null) channel.shutdownNow();
    }
    if (!quiet) {
      result.forEach((name, why) -> System.out.println(name + (why == null ? " ok" : " down: " + why)));
    }
    return result.values().stream().allMatch(v -> v == null) ? 0 : 1;
  }

  /** Component name -> null when healthy, else why not; in the order the flags gave them. */
  private Map<String, String> checkAll() {
    Map<String, String> out = new LinkedHashMap<>();
    if (kafka != null) out.put("kafka", checkKafka());
    Map<String, Node> nodes = null;
    if (apiserver != null) {
      String why = checkApiserver();
      out.put("apiserver", why);
      if (why == null && !proxies.isEmpty()) nodes = listNodes();
    }
    for (String h : http) {
      String[] p = h.split("=", 2);
      if (p.length != 2) throw new CommandLine.ParameterException(new CommandLine(this), "--http: expected NAME=URL, got " + h);
      out.put(p[0], checkHttp(p[1]));
    }
    for (String spec : proxies) {
      String[] p = spec.split("=", 3);
      if (p.length != 3) throw new CommandLine.ParameterException(new CommandLine(this), "--proxy: expected NAME=NODE=URL, got " + spec);
      String why = checkHttp(p[2]);
      if (why == null && apiserver != null) why = nodeProblem(p[1], nodes);
      out.put(p[0], why);
    }
    return out;
  }

  private String checkKafka() {
    try {
      if (admin == null) {
        Properties props = KafkaClients.of(kafka, kafkaProperties).admin();
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8000);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        admin = Admin.create(props);
      }
      var nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(8000)).nodes().get(10, TimeUnit.SECONDS);
      if (nodes.isEmpty()) return "no broker in the cluster metadata";
      if (!kafkaTopics) return null;
      List<String> topics = List.of(LogTopic.RESOURCES.topicName(), LogTopic.ENDPOINTS.topicName());
      Map<String, TopicDescription> described = admin.describeTopics(topics, new DescribeTopicsOptions().timeoutMs(8000))
          .allTopicNames().get(10, TimeUnit.SECONDS);
      for (String t : topics) {
        TopicDescription d = described.get(t);
        if (d == null) return "topic " + t + " does not exist";
        for (TopicPartitionInfo p : d.partitions()) {
          if (p.leader() == null || p.leader().isEmpty()) return "partition " + t + "-" + p.partition() + " has no leader";
        }
      }
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return "no answer from " + kafka + ": " + e.getCause().getMessage();
    } catch (java.util.concurrent.TimeoutException e) {
      return "no answer from " + kafka + " within 10 s";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (RuntimeException e) {
      return e.toString();
    }
  }

  private ManagedChannel channel() {
    if (channel == null) {
      ClientTls tls = ClientTls.plaintext();
      if (config != null) {
        try {
          ClientConfig c = ClientConfig.load(config);
          tls = new ClientTls(true, c.caFile(), c.certFile(), c.keyFile(), c.token());
          channel = NettyChannelBuilder.forTarget(apiserver, tls.credentials()).build();
        } catch (java.io.IOException e) {
          // Said once per check; never the file's content (it holds a token).
          throw new IllegalStateException("--config " + config + ": " + e.getMessage());
        }
      } else {
        channel = NettyChannelBuilder.forTarget(apiserver).usePlaintext().build();
      }
    }
    return channel;
  }

  private String checkApiserver() {
    try {
      ServingStatus s = HealthGrpc.newBlockingStub(channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService("").build()).getStatus();
      return s == ServingStatus.SERVING ? null : "gRPC health " + s;
    } catch (StatusRuntimeException e) {
      return "gRPC health check at " + apiserver + ": " + e.getStatus().getCode()
          + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription());
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
  }

  private Map<String, Node> listNodes() {
    try {
      Map<String, Node> byName = new HashMap<>();
      for (Resource r : ResourcesGrpc.newBlockingStub(channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
          .list(ListRequest.newBuilder().setKind(Kind.NODE).build()).getItemsList()) {
        byName.put(r.getNode().getMetadata().getName(), r.getNode());
      }
      return byName;
    } catch (StatusRuntimeException e) {
      return null;
    }
  }

  private static String nodeProblem(String name, Map<String, Node> nodes) {
    if (nodes == null) return "cannot list Nodes in the apiserver";
    Node n = nodes.get(name);
    if (n == null) return "Node " + name + " is not registered in the apiserver";
    String ready = "Unknown";
    for (NodeCondition c : n.getStatus().getConditionsList()) {
      if (c.getType().equals("Ready")) ready = c.getStatus();
    }
    if (!ready.equals("True")) return "Node " + name + " is Ready=" + ready;
    if (!n.getStatus().getProxy().getConnected()) return "Node " + name + " has no ProxyFeed stream open";
    return null;
  }

  private String checkHttp(String url) {
    try {
      HttpResponse<String> r = httpClient.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? null : url + " answered " + r.statusCode() + ": " + r.body().strip();
    } catch (java.io.IOException e) {
      return "no answer from " + url + (e.getMessage() == null ? "" : ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }
}
