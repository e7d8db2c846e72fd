package io.svcplane.apiserver;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.services.HealthStatusManager;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourcesGrpc;
import io.svcplane.apiserver.auth.ApiSecurity;
import io.svcplane.apiserver.feed.FeedSource;
import io.svcplane.apiserver.feed.NodeWriter;
import io.svcplane.apiserver.feed.ProxyFeedHub;
import io.svcplane.apiserver.feed.ProxyFeedService;
import io.svcplane.apiserver.state.LogFolder;
import io.svcplane.apiserver.state.OwnEvents;
import io.svcplane.apiserver.state.ResumableReadModel;
import io.svcplane.apiserver.write.ProducerFactory;
import io.svcplane.apiserver.write.ResourceWriter;
import io.svcplane.apiserver.write.WriteOp;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.allocation.NodePortRange;
import io.svcplane.core.allocation.ServiceCidr;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.validation.ResourceDefaults;
import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.TopicLayout;
import io.svcplane.eventlog.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apiserver's lifecycle: ensures the topics, fences earlier writers with the same writer id,
 * folds the whole log, and only then serves (health SERVING). {@code start / stop /
 * blockUntilShutdown}; stop turns health NOT_SERVING first, then shuts the server down gracefully.
 * Other gRPC services (the node proxies' ProxyFeed) join through {@link Builder#addService}.
 */
public final class ApiServer {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

  private final Builder config;
  private final HealthStatusManager health = new HealthStatusManager();
  private volatile boolean ready;
  private Server server;
  private LogFolder folder;
  private ResourceWriter writer;
  private ResourceApi api;
  private GracefulDeletions graceful;
  private ProxyFeedHub proxyFeed;
  private ExecutorService heavyCalls;

  private ApiServer(Builder config) {
    this.config = config;
  }

  public static Builder builder(KafkaClients clients) {
    return new Builder(clients);
  }

  public static final class Builder {
    private final KafkaClients clients;
    private ServerBuilder<?> serverBuilder;
    private String bind = "127.0.0.1";
    private int port = 6443;
    private ServiceCidr serviceCidr = ServiceCidr.parse(ServiceCidr.DEFAULT);
    private NodePortRange nodePortRange = NodePortRange.parse(NodePortRange.DEFAULT);
    private TopicLayout layout = TopicLayout.DEFAULT;
    private String writerId = "apiserver-0";
    private int watchWindow = LogFolder.DEFAULT_WINDOW;
    private Clock clock = Clock.systemUTC();
    private java.time.Duration nodeNotReadyGrace = java.time.Duration.ofSeconds(10);
    private ProducerFactory producerFactory = ProducerFactory.KAFKA;
    /** Null: the writer's default. */
    private java.time.Duration gatherAtMost;
    private final List<Function<ApiServer, BindableService>> services = new ArrayList<>();
    private ApiSecurity security = ApiSecurity.insecure();

    private Builder(KafkaClients clients) {
      this.clients = Objects.requireNonNull(clients);
    }

    /** Address to listen on (default 127.0.0.1). Ignored with {@link #serverBuilder}. */
    public Builder bind(String address) {
      this.bind = address;
      return this;
    }

    /** Port to listen on (default 6443; 0 for a free one). Ignored with {@link #serverBuilder}. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Serve on this builder instead (e.g. in-process for tests). */
    public Builder serverBuilder(ServerBuilder<?> builder) {
      this.serverBuilder = builder;
      return this;
    }

    public Builder serviceCidr(ServiceCidr cidr) {
      this.serviceCidr = cidr;
      return this;
    }

    public Builder nodePortRange(NodePortRange range) {
      this.nodePortRange = range;
      return this;
    }

    /** Partitions of the topics when this apiserver creates them (default 6). */
    public Builder partitions(int partitions) {
      this.layout = layout.withPartitions(partitions);
      return this;
    }

    /** The writer identity: apiservers with the same one fence each other (default apiserver-0). */
    public Builder writerId(String writerId) {
      if (writerId == null || writerId.isBlank()) throw new IllegalArgumentException("writer id must not be empty");
      this.writerId = writerId;
      return this;
    }

    /** Records kept in memory for Watch and ProxyFeed resume (default {@value LogFolder#DEFAULT_WINDOW}). */
    public Builder watchWindow(int records) {
      this.watchWindow = records;
      return this;
    }

    /** How long a node may have no ProxyFeed stream before its Node turns NotReady (default 10 s). */
    public Builder nodeNotReadyGrace(java.time.Duration grace) {
      this.nodeNotReadyGrace = grace;
      return this;
    }

    /** Makes the writer's transactional producers (default: Kafka's); tests wrap them to inject failures. */
    public Builder producerFactory(ProducerFactory factory) {
      this.producerFactory = Objects.requireNonNull(factory);
      return this;
    }

    /**
     * Under heavy load, after committing a transaction the writer waits for the clients it just
     * answered to send their next writes, idle for at most as long as that transaction took and
     * never more than this (default 2 ms), so that they go together in the next transaction.
     * Zero turns the wait off.
     */
    public Builder gatherAtMost(java.time.Duration limit) {
      this.gatherAtMost = ResourceWriter.checkGatherAtMost(limit);
      return this;
    }

    /**
     * TLS, authentication and authorization (default: {@link ApiSecurity#insecure()}, for
     * in-process use and tests; the apiserver process is secure unless told otherwise).
     */
    public Builder security(ApiSecurity security) {
      this.security = Objects.requireNonNull(security);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Adds a gRPC service. */
    public Builder addService(BindableService service) {
      services.add(s -> service);
      return this;
    }

    /**
     * Adds a gRPC service made at start, once the read model and the write path exist (the
     * factory may call {@link ApiServer#readModel()} and {@link ApiServer#resources()}).
     */
    public Builder addService(Function<ApiServer, BindableService> factory) {
      services.add(factory);
      return this;
    }

    public ApiServer build() {
      return new ApiServer(this);
    }
  }

  /** Starts and returns once the log is folded and the server serves (health SERVING). */
  public synchronized ApiServer start() throws IOException {
    if (server != null) throw new IllegalStateException("already started");
    try (Admin admin = Admin.create(config.clients.admin())) {
      Topics.ensure(admin, config.layout);
    }
    folder = new LogFolder(config.clients, config.watchWindow);
    writer = new ResourceWriter(config.clients, config.writerId, folder, config.serviceCidr, config.nodePortRange, config.clock,
        config.producerFactory);
    if (config.gatherAtMost != null) writer.gatherAtMost(config.gatherAtMost);
    writer.onFenced(reason -> {
      health.setStatus("", ServingStatus.NOT_SERVING);
      health.setStatus(ResourcesGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    });
    // Without the fold nothing can be read or acknowledged: stop serving.
    folder.onFailure(t -> {
      ready = false;
      health.setStatus("", ServingStatus.NOT_SERVING);
      health.setStatus(ResourcesGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    });
    api = new ResourceApi(folder, writer, () -> ready);
    writer.initTransactions();

    proxyFeed = new ProxyFeedHub(feedSource(folder), nodeWriter(api), config.nodeNotReadyGrace, config.clock);
    api.decorateNodes(proxyFeed::decorate);

    // Node proxies keep their streams alive with pings every 20 s: allow them.
    ApiSecurity security = config.security;
    ServerBuilder<?> sb = config.serverBuilder != null ? config.serverBuilder
        : (security.isInsecure() ? NettyServerBuilder.forAddress(new InetSocketAddress(config.bind, config.port))
            : NettyServerBuilder.forAddress(new InetSocketAddress(config.bind, config.port), security.credentials()))
            .permitKeepAliveTime(10, TimeUnit.SECONDS).permitKeepAliveWithoutCalls(true);
    for (var interceptor : security.interceptors()) sb.intercept(interceptor);
    // Calls run on the transport's threads: see ResourcesService's constructor. The other services
    // do not block either (ProxyFeed hands its sessions to its own executor).
    sb.directExecutor();
    heavyCalls = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "svcplane-api-calls");
      t.setDaemon(true);
      return t;
    });
    sb.addService(new ResourcesService(api, security.authorizer(), heavyCalls))
        .addService(new ProxyFeedService(proxyFeed, () -> ready, security.authorizer()))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .addService(ProtoReflectionService.newInstance());
    for (Function<ApiServer, BindableService> f : config.services) sb.addService(f.apply(this));
    health.setStatus("", ServingStatus.NOT_SERVING);
    health.setStatus(ResourcesGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    server = sb.build().start();

    long t0 = System.nanoTime();
    ClusterImage image = folder.catchUp();
    folder.start();
    writer.start(image);
    log.info("folded the log in {} ms: {}", (System.nanoTime() - t0) / 1_000_000, image.positions());
    ensureDefaultNamespace(image);
    graceful = new GracefulDeletions(writer, config.clock);
    try {
      graceful.start(folder);
    } catch (ResumableReadModel.VersionTooOldException e) {
      throw new IllegalStateException(e);
    }
    proxyFeed.start();
    ready = true;
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(ResourcesGrpc.SERVICE_NAME, ServingStatus.SERVING);
    log.info("apiserver {} serving on port {} (service CIDR {}, node ports {}); {}", config.writerId, port(),
        config.serviceCidr, config.nodePortRange, security);
    if (security.isInsecure() && config.serverBuilder == null) {
      log.warn("INSECURE: the apiserver on {}:{} speaks plaintext and checks nobody: anyone who can connect may read and"
          + " change every object (started with --insecure, or embedded without security)", config.bind, port());
    }
    return this;
  }

  /** Kubernetes always has the default namespace; so does svcplane. */
  private void ensureDefaultNamespace(ClusterImage image) throws IOException {
    ObjectKey key = new ObjectKey(Kind.NAMESPACE, "", ResourceDefaults.DEFAULT_NAMESPACE);
    if (image.get(key).isPresent()) return;
    var ns = Kinds.wrap(Namespace.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(ResourceDefaults.DEFAULT_NAMESPACE)).build());
    try {
      writer.submit(new WriteOp.Create(ns, false)).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof ApiException a && a.code() == io.grpc.Status.Code.ALREADY_EXISTS)) {
        throw new IOException("cannot create the default namespace: " + e.getCause().getMessage(), e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while creating the default namespace", e);
    } catch (TimeoutException e) {
      throw new IOException("creating the default namespace took over 30 s", e);
    }
  }

  /** The port the server listens on (-1 in-process). */
  public int port() {
    return server == null ? -1 : server.getPort();
  }

  public boolean isServing() {
    return ready && !writer.isFenced();
  }

  /** The fold of the log, for other services of this apiserver (e.g. ProxyFeed). */
  public ResumableReadModel readModel() {
    return folder;
  }

  /** The verbs as plain Java, for other services of this apiserver (e.g. ProxyFeed registering Nodes). */
  public ResourceApi resources() {
    return api;
  }

  /** The ProxyFeed's hub: node proxy sessions and what each node has programmed. */
  public ProxyFeedHub proxyFeed() {
    return proxyFeed;
  }

  private static FeedSource feedSource(LogFolder folder) {
    return new FeedSource() {
      @Override
      public ClusterImage image() {
        return folder.image();
      }

      @Override
      public AutoCloseable subscribe(BatchListener listener) {
        return folder.subscribe(listener::onBatch);
      }
    };
  }

  /** Node registration goes through the normal write path, in process. */
  private static NodeWriter nodeWriter(ResourceApi api) {
    return new NodeWriter() {
      @Override
      public Node create(Node node) throws Exception {
        return await(api.create(Kinds.wrap(node), false)).getNode();
      }

      @Override
      public Node updateStatus(Node node) throws Exception {
        return await(api.updateStatus(Kinds.wrap(node), false)).getNode();
      }

      private Resource await(java.util.concurrent.CompletableFuture<io.svcplane.apiserver.write.WriteResult> f) throws Exception {
        try {
          return f.get(30, TimeUnit.SECONDS).object();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof ApiException a && a.code() == io.grpc.Status.Code.ALREADY_EXISTS) {
            throw new NodeWriter.AlreadyExists(a.getMessage());
          }
          throw e.getCause() instanceof Exception x ? x : e;
        }
      }
    };
  }

  /** Counters of the write path (transactions, records per transaction, commit and fold-wait times). */
  public ResourceWriter.Stats writeStats() {
    return writer.stats();
  }

  /** The writer's hand-over of its own events to the fold, which then need not parse them. */
  public OwnEvents ownEvents() {
    return folder.ownEvents();
  }

  /** Write requests waiting for the writer to take them into a transaction, now. */
  public int writesWaiting() {
    return writer.waiting();
  }

  public String writerId() {
    return config.writerId;
  }

  /** Health NOT_SERVING, then a graceful shutdown (5 s, then forced), then the writer and the fold. */
  public synchronized void stop() {
    if (server == null) return;
    ready = false;
    health.enterTerminalState();
    // Streams to node proxies never end by themselves: end them, so shutdown need not wait.
    if (proxyFeed != null) proxyFeed.close();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (graceful != null) graceful.close();
    heavyCalls.shutdownNow();
    writer.close();
    folder.close();
    log.info("apiserver {} stopped", config.writerId);
  }

  public void blockUntilShutdown() throws InterruptedException {
    Server s;
    synchronized (this) {
      s = server;
    }
    if (s != null) s.awaitTermination();
  }
}
