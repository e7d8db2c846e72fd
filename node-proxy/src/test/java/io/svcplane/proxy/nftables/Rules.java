package io.svcplane.proxy.nftables;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import java.util.List;

/** Builders of forwarding rules for the tests of this package. */
final class Rules {
  private Rules() {}

  static Endpoint ready(String ip, int port, String node) {
    return new Endpoint(ip, port, node, true, true, false);
  }

  static Endpoint notReady(String ip, int port, String node) {
    return new Endpoint(ip, port, node, false, false, false);
  }

  static Endpoint terminating(String ip, int port, String node) {
    return new Endpoint(ip, port, node, false, true, true);
  }

  static ServicePortRule clusterIp(String name, String ip, int port, Endpoint... endpoints) {
    return new ServicePortRule(new ServicePortName("default", name, ""), Protocol.TCP, ip, port, 0, false, false, 0,
        List.of(endpoints));
  }

  static ServicePortRule withProtocol(ServicePortRule r, Protocol p) {
    return new ServicePortRule(r.name(), p, r.clusterIp(), r.port(), r.nodePort(), r.externalLocal(), r.internalLocal(),
        r.affinitySeconds(), r.endpoints());
  }

  static ServicePortRule withNodePort(ServicePortRule r, int nodePort, boolean externalLocal) {
    return new ServicePortRule(r.name(), r.protocol(), r.clusterIp(), r.port(), nodePort, externalLocal, r.internalLocal(),
        r.affinitySeconds(), r.endpoints());
  }

  static ServicePortRule withAffinity(ServicePortRule r, int seconds) {
    return new ServicePortRule(r.name(), r.protocol(), r.clusterIp(), r.port(), r.nodePort(), r.externalLocal(),
        r.internalLocal(), seconds, r.endpoints());
  }

  static ServicePortRule withEndpoints(ServicePortRule r, Endpoint... endpoints) {
    return new ServicePortRule(r.name(), r.protocol(), r.clusterIp(), r.port(), r.nodePort(), r.externalLocal(),
        r.internalLocal(), r.affinitySeconds(), List.of(endpoints));
  }
}
