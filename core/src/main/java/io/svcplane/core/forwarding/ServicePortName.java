package io.svcplane.core.forwarding;

import java.util.Comparator;

/**
 * One port of one service, the unit a proxy forwards (kube-proxy's ServicePortName).
 *
 * @param port the service port's name; empty for a service's single unnamed port
 */
public record ServicePortName(String namespace, String service, String port) implements Comparable<ServicePortName> {
  private static final Comparator<ServicePortName> ORDER = Comparator.comparing(ServicePortName::namespace)
      .thenComparing(ServicePortName::service).thenComparing(ServicePortName::port);

  /** "namespace/service" of the service this port belongs to. */
  public String serviceKey() {
    return namespace + "/" + service;
  }

  @Override
  public int compareTo(ServicePortName o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return port.isEmpty() ? namespace + "/" + service : namespace + "/" + service + ":" + port;
  }
}
