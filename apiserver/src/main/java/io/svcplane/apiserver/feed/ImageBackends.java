package io.svcplane.apiserver.feed;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.Service;
import io.svcplane.core.forwarding.ServiceBackends;
import io.svcplane.core.image.ClusterImage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One image with the backends of its services, derived once and shared by every proxy session
 * (ServiceBackends scans the namespace's pods; sessions of many nodes ask for the same services).
 */
public final class ImageBackends {
  private final ClusterImage image;
  private final Map<String, List<Backend>> memo = new ConcurrentHashMap<>();

  public ImageBackends(ClusterImage image) {
    this.image = image;
  }

  public ClusterImage image() {
    return image;
  }

  /** The service "namespace/name", or null when the image has none of that name. */
  public Service service(String key) {
    int slash = key.indexOf('/');
    return image.namespace(key.substring(0, slash)).services().get(key.substring(slash + 1));
  }

  public List<Backend> backends(String key, Service service) {
    return memo.computeIfAbsent(key, k -> ServiceBackends.of(image, service));
  }

  public String version() {
    return image.positions().encode();
  }
}
