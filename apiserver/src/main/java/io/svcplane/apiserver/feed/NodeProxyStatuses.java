package io.svcplane.apiserver.feed;

import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeProxyStatus;
import io.svcplane.core.image.LogPositions;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per node, what its proxy has programmed, from the ProxyFeed's ACKs and NACKs. Kept in memory
 * only (it is live state, not history): the apiserver adds it to Node objects as
 * {@code status.proxy} when it serves them.
 */
public final class NodeProxyStatuses {
  private static final class Entry {
    int sessions;
    String mode = "";
    String programmedVersion = "";
    String lastError = "";
    Instant lastAck;
    Instant behindSince;
  }

  private final Map<String, Entry> nodes = new ConcurrentHashMap<>();
  private final Clock clock;

  public NodeProxyStatuses(Clock clock) {
    this.clock = clock;
  }

  void connected(String node, String mode) {
    nodes.compute(node, (k, e) -> {
      if (e == null) e = new Entry();
      e.sessions++;
      e.mode = mode;
      return e;
    });
  }

  void disconnected(String node) {
    nodes.computeIfPresent(node, (k, e) -> {
      e.sessions = Math.max(0, e.sessions - 1);
      return e;
    });
  }

  /** The proxy is behind from now on, unless it already was (the oldest un-ACKed event counts). */
  void behind(String node) {
    nodes.computeIfPresent(node, (k, e) -> {
      if (e.behindSince == null) e.behindSince = clock.instant();
      return e;
    });
  }

  void acked(String node, String version, boolean caughtUp) {
    nodes.computeIfPresent(node, (k, e) -> {
      e.programmedVersion = version;
      e.lastAck = clock.instant();
      e.lastError = "";
      if (caughtUp) e.behindSince = null;
      return e;
    });
  }

  void nacked(String node, String error) {
    nodes.computeIfPresent(node, (k, e) -> {
      e.lastError = error;
      return e;
    });
  }

  public boolean isConnected(String node) {
    Entry e = nodes.get(node);
    return e != null && e.sessions > 0;
  }

  /** The proxy status of one node as of the log position {@code newest}. */
  public NodeProxyStatus statusOf(String node, LogPositions newest) {
    Entry e = nodes.get(node);
    if (e == null) return NodeProxyStatus.getDefaultInstance();
    synchronized (e) {
      var b = NodeProxyStatus.newBuilder().setConnected(e.sessions > 0).setMode(e.mode)
          .setProgrammedVersion(e.programmedVersion).setLastError(e.lastError);
      LogPositions programmed;
      try {
        programmed = LogPositions.decode(e.programmedVersion);
      } catch (IllegalArgumentException bad) {
        programmed = LogPositions.EMPTY;
      }
      b.setLagEvents(programmed.recordsBehind(newest));
      if (e.behindSince != null) {
        b.setLagSeconds(Math.max(0, (clock.millis() - e.behindSince.toEpochMilli()) / 1000.0));
      }
      if (e.lastAck != null) {
        b.setLastAckTime(Timestamp.newBuilder().setSeconds(e.lastAck.getEpochSecond()).setNanos(e.lastAck.getNano()));
      }
      return b.build();
    }
  }

  /** {@code node} with its live proxy status filled in (as of {@code newest}). */
  public Node decorate(Node node, LogPositions newest) {
    // A node whose proxy never reported in this apiserver's life has no proxy status at all.
    if (!nodes.containsKey(node.getMetadata().getName())) return node;
    var status = node.getStatus().toBuilder().setProxy(statusOf(node.getMetadata().getName(), newest));
    return node.toBuilder().setStatus(status).build();
  }
}
