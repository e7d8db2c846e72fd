package io.svcplane.proxy.nftables;

/**
 * Forgets UDP flows that were translated to an endpoint that is gone. A UDP "connection" keeps its
 * conntrack entry, and so its DNAT, as long as datagrams keep coming: without this a client that
 * keeps sending (DNS, QUIC, ...) would talk to a removed endpoint until it pauses for the UDP
 * timeout. kube-proxy deletes the same entries. TCP needs nothing: a removed endpoint resets or
 * times out its connections, and new ones are translated anew.
 */
public interface Conntrack {
  /** Deletes nothing: for tests that only look at the transactions. */
  Conntrack NONE = new Conntrack() {
    @Override
    public void forgetUdp(String destination, int port, String endpointIp) {}
  };

  /**
   * Deletes the UDP entries to {@code destination:port} (any local address when {@code
   * destination} is empty: a NodePort) that were translated to {@code endpointIp}.
   */
  void forgetUdp(String destination, int port, String endpointIp) throws NftException;
}
