package io.svcplane.core.forwarding;

import java.util.Comparator;

/**
 * One endpoint of a service port: where a connection may go. The conditions are EndpointSlice's:
 * ready (takes new connections), serving (answers; ready or terminating-but-ready), terminating.
 */
public record Endpoint(String ip, int port, String nodeName, boolean ready, boolean serving, boolean terminating)
    implements Comparable<Endpoint> {
  private static final Comparator<Endpoint> ORDER =
      Comparator.comparing(Endpoint::ip).thenComparingInt(Endpoint::port);

  /** "ip:port". */
  public String address() {
    return ip + ":" + port;
  }

  @Override
  public int compareTo(Endpoint o) {
    return ORDER.compare(this, o);
  }
}
