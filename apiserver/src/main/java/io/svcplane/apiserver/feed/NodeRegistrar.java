package io.svcplane.apiserver.feed;

import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeAddress;
import io.svcplane.api.v1.NodeCondition;
import io.svcplane.api.v1.NodeStatus;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.core.image.ClusterImage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each Node's registration and Ready condition in step with its proxy's ProxyFeed stream,
 * writing through the normal write path and only on transitions: a proxy that says hello makes
 * its Node exist with its InternalIP and Ready=True; a node with no stream for the grace period
 * turns Ready=Unknown (NotReady). One thread reconciles one node at a time and retries failed
 * writes with backoff until the node's state converges.
 */
public final class NodeRegistrar implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeRegistrar.class);
  static final String READY = "Ready";

  private final Supplier<ClusterImage> image;
  private final NodeWriter writer;
  private final NodeProxyStatuses statuses;
  private final Duration grace;
  private final Clock clock;
  private final ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-registrar");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, String> addresses = new ConcurrentHashMap<>();
  private final Map<String, String> modes = new ConcurrentHashMap<>();
  private final Map<String, Instant> goneSince = new ConcurrentHashMap<>();
  private final Map<String, Node> lastWritten = new ConcurrentHashMap<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();

  public NodeRegistrar(Supplier<ClusterImage> image, NodeWriter writer, NodeProxyStatuses statuses, Duration grace, Clock clock) {
    this.image = image;
    this.writer = writer;
    this.statuses = statuses;
    this.grace = grace;
    this.clock = clock;
  }

  /**
   * After a (re)start nobody is connected yet: nodes the log says are Ready turn NotReady unless
   * their proxy comes back within the grace period.
   */
  public void start() {
    Instant now = clock.instant();
    for (Node n : image.get().nodes().values()) {
      String name = n.getMetadata().getName();
      if (isReady(n)) {
        goneSince.putIfAbsent(name, now);
        exec.schedule(() -> reconcile(name), grace.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  void connected(String node, String address, String mode) {
    addresses.put(node, address);
    modes.put(node, mode);
    goneSince.remove(node);
    exec.execute(() -> reconcile(node));
  }

  void disconnected(String node) {
    if (statuses.isConnected(node)) return;
    goneSince.put(node, clock.instant());
    exec.schedule(() -> reconcile(node), grace.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void reconcile(String node) {
    try {
      Node current = latest(node);
      if (statuses.isConnected(node)) {
        String address = addresses.get(node);
        if (current != null && isReady(current) && hasInternalIp(current, address)) return;
        write(current, withReady(current, node, address, "True", "ProxyConnected",
            "node proxy connected (mode " + modes.getOrDefault(node, "") + ")"));
      } else {
        Instant since = goneSince.get(node);
        if (since == null || current == null || !isReady(current)) return;
        long left = since.plus(grace).toEpochMilli() - clock.millis();
        if (left > 0) {
          exec.schedule(() -> reconcile(node), left, TimeUnit.MILLISECONDS);
          return;
        }
        write(current, withReady(current, node, null, "Unknown", "ProxyDisconnected",
            "node proxy has had no ProxyFeed stream for " + grace.toMillis() / 1000.0 + "s"));
      }
      failures.remove(node);
    } catch (Exception e) {
      int n = failures.merge(node, 1, Integer::sum);
      long backoff = Math.min(5000, 100L << Math.min(n, 6));
      log.warn("writing node {} failed (attempt {}), retrying in {} ms: {}", node, n, backoff, e.toString());
      exec.schedule(() -> reconcile(node), backoff, TimeUnit.MILLISECONDS);
    }
  }

  private void write(Node current, Node desired) throws Exception {
    Node written;
    if (current == null) {
      try {
        written = writer.create(desired);
      } catch (NodeWriter.AlreadyExists e) {
        written = writer.updateStatus(desired);
      }
      // Create may drop the status (as Kubernetes does for most kinds): set it explicitly then.
      if (!desired.getStatus().getConditionsList().equals(written.getStatus().getConditionsList())) {
        written = writer.updateStatus(desired);
      }
    } else {
      written = writer.updateStatus(desired);
    }
    lastWritten.put(desired.getMetadata().getName(), written);
    log.info("node {}: Ready={} ({})", desired.getMetadata().getName(),
        readyCondition(desired).map(NodeCondition::getStatus).orElse("?"),
        readyCondition(desired).map(NodeCondition::getReason).orElse(""));
  }

  /** The newer of the image's node and the one this registrar last wrote (the fold may lag). */
  private Node latest(String node) {
    Node fromImage = image.get().nodes().get(node);
    Node written = lastWritten.get(node);
    if (written == null) return fromImage;
    if (fromImage == null) return written;
    return version(written) > version(fromImage) ? written : fromImage;
  }

  private static long version(Node n) {
    try {
      return Long.parseLong(n.getMetadata().getResourceVersion());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private Node withReady(Node current, String name, String address, String status, String reason, String message) {
    Instant now = clock.instant();
    Timestamp ts = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    NodeStatus.Builder st = current == null ? NodeStatus.newBuilder() : current.getStatus().toBuilder();
    st.clearProxy();
    if (address != null) {
      var others = st.getAddressesList().stream().filter(a -> !"InternalIP".equals(a.getType())).toList();
      st.clearAddresses().addAddresses(NodeAddress.newBuilder().setType("InternalIP").setAddress(address)).addAllAddresses(others);
    }
    var conditions = st.getConditionsList().stream().filter(c -> !READY.equals(c.getType())).toList();
    Optional<NodeCondition> was = current == null ? Optional.empty() : readyCondition(current);
    Timestamp transition = was.filter(c -> c.getStatus().equals(status)).map(NodeCondition::getLastTransitionTime).orElse(ts);
    st.clearConditions().addConditions(NodeCondition.newBuilder().setType(READY).setStatus(status).setReason(reason)
        .setMessage(message).setLastHeartbeatTime(ts).setLastTransitionTime(transition)).addAllConditions(conditions);
    return Node.newBuilder().setApiVersion("v1").setKind("Node")
        .setMetadata(ObjectMeta.newBuilder().setName(name)).setStatus(st).build();
  }

  static Optional<NodeCondition> readyCondition(Node n) {
    return n.getStatus().getConditionsList().stream().filter(c -> READY.equals(c.getType())).findFirst();
  }

  static boolean isReady(Node n) {
    return readyCondition(n).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static boolean hasInternalIp(Node n, String address) {
    return n.getStatus().getAddressesList().stream()
        .anyMatch(a -> "InternalIP".equals(a.getType()) && a.getAddress().equals(address));
  }

  @Override
  public void close() {
    exec.shutdownNow();
  }
}
