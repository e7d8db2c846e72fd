package io.svcplane.core.image;

import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Service;
import java.util.Map;
import java.util.Objects;

/**
 * The namespaced objects of one namespace, as of some point in the log. Immutable: a
 * {@link ClusterDelta} builds a new one and shares every map it did not change.
 */
public final class NamespaceImage {
  public static final NamespaceImage EMPTY =
      new NamespaceImage(Map.of(), Map.of(), Map.of(), Map.of());

  private final Map<String, Pod> pods;
  private final Map<String, Service> services;
  private final Map<String, Endpoints> userEndpoints;
  private final Map<String, Endpoints> endpoints;

  NamespaceImage(
      Map<String, Pod> pods,
      Map<String, Service> services,
      Map<String, Endpoints> userEndpoints,
      Map<String, Endpoints> endpoints) {
    this.pods = pods;
    this.services = services;
    this.userEndpoints = userEndpoints;
    this.endpoints = endpoints;
  }

  /** Pods by name. */
  public Map<String, Pod> pods() {
    return pods;
  }

  /** Services by name. */
  public Map<String, Service> services() {
    return services;
  }

  /** Endpoints as users wrote them through the apiserver (svcplane.resources), by name. */
  public Map<String, Endpoints> userEndpoints() {
    return userEndpoints;
  }

  /**
   * Endpoints as the endpoint controller published them (svcplane.endpoints), by name: what
   * {@code get endpoints}, Watch and the node proxies see.
   */
  public Map<String, Endpoints> endpoints() {
    return endpoints;
  }

  public boolean isEmpty() {
    return pods.isEmpty() && services.isEmpty() && userEndpoints.isEmpty() && endpoints.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NamespaceImage n
        && pods.equals(n.pods)
        && services.equals(n.services)
        && userEndpoints.equals(n.userEndpoints)
        && endpoints.equals(n.endpoints);
  }

  @Override
  public int hashCode() {
    return Objects.hash(pods, services, userEndpoints, endpoints);
  }

  @Override
  public String toString() {
    return "NamespaceImage(pods=" + pods.keySet() + ", services=" + services.keySet()
        + ", userEndpoints=" + userEndpoints.keySet() + ", endpoints=" + endpoints.keySet() + ")";
  }
}
