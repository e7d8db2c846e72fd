package io.svcplane.svcctl.log;

import io.grpc.Status;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.selector.LabelSelector;
import java.util.ArrayList;
import java.util.List;

/** Reads from a replayed image exactly as the apiserver reads from its own fold. */
public final class ImageReads implements ObjectReads {
  private final ClusterImage image;

  public ImageReads(ClusterImage image) {
    this.image = image;
  }

  public ClusterImage image() {
    return image;
  }

  @Override
  public List<Resource> list(Kind kind, String namespace, String selector) {
    LabelSelector s;
    try {
      s = LabelSelector.parse(selector);
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription("unable to parse requirement: " + e.getMessage()).asRuntimeException();
    }
    List<Resource> out = new ArrayList<>();
    for (Resource r : image.list(kind, Kinds.isNamespaced(kind) ? namespace : "", r -> s.matches(Kinds.metadata(r).getLabelsMap()))) {
      out.add(Kinds.withTypeMeta(r));
    }
    return out;
  }

  @Override
  public Resource get(Kind kind, String namespace, String name) {
    String ns = Kinds.isNamespaced(kind) && namespace.isEmpty() ? "default" : namespace;
    ObjectKey key = new ObjectKey(kind, ns, name);
    return image.get(key).map(Kinds::withTypeMeta).orElseThrow(() ->
        Status.NOT_FOUND.withDescription(Kinds.plural(kind) + " \"" + name + "\" not found").asRuntimeException());
  }
}
