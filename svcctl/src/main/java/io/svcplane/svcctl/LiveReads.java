package io.svcplane.svcctl;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.svcctl.log.ObjectReads;
import java.util.List;

/** get and describe reading the apiserver now (the other reads replay the log: see --at). */
final class LiveReads implements ObjectReads {
  private final Svcctl root;

  private LiveReads(Svcctl root) {
    this.root = root;
  }

  static ObjectReads of(Svcctl root) {
    return new LiveReads(root);
  }

  @Override
  public List<Resource> list(Kind kind, String namespace, String selector) {
    return root.client().list(kind, namespace, selector).getItemsList();
  }

  @Override
  public Resource get(Kind kind, String namespace, String name) {
    return root.client().get(kind, namespace, name);
  }
}
