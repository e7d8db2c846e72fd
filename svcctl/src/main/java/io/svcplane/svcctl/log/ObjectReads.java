package io.svcplane.svcctl.log;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import java.util.List;

/**
 * Where get and describe read objects: the apiserver now, or the cluster as it was at a moment
 * of the log. Failures are gRPC statuses as the apiserver gives them (NOT_FOUND, INVALID_ARGUMENT),
 * so the commands word them the same either way.
 */
public interface ObjectReads {
  /** Objects of a kind in a namespace ("" for all) matching a label selector, by namespace and name. */
  List<Resource> list(Kind kind, String namespace, String selector);

  /** One object; NOT_FOUND if it does not exist. */
  Resource get(Kind kind, String namespace, String name);
}
