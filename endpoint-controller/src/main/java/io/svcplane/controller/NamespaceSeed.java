package io.svcplane.controller;

import io.svcplane.api.v1.Endpoints;
import io.svcplane.core.image.ClusterImage;
import java.util.Map;

/**
 * What a namespace actor starts from: the fold of svcplane.resources up to the group's committed
 * offset (holding only this namespace), and the Endpoints last published for it on
 * svcplane.endpoints (without resourceVersion), by name.
 */
public record NamespaceSeed(ClusterImage resources, Map<String, Endpoints> published) {
  public static final NamespaceSeed EMPTY = new NamespaceSeed(ClusterImage.EMPTY, Map.of());
}
