package io.svcplane.apiserver.feed;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Service;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.forwarding.ServiceBackends;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.selector.LabelSelector;
import io.svcplane.eventlog.LogRecord;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which services ("namespace/name") a folded batch may have changed for the proxies: the service
 * itself, its published Endpoints, its user-written Endpoints, and pods that are or were
 * terminating-but-ready (the only pods that feed backends directly). Pure; a service listed here
 * may turn out unchanged, which the per-proxy diff then drops.
 */
public final class FeedChanges {
  private FeedChanges() {}

  public static Set<String> servicesTouched(List<LogRecord> records, ClusterImage before, ClusterImage after) {
    Set<String> touched = new LinkedHashSet<>();
    for (LogRecord r : records) {
      if (r.key() == null) continue;
      ObjectKey key;
      try {
        key = ObjectKey.parse(r.key());
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (key.kind() == Kind.SERVICE || key.kind() == Kind.ENDPOINTS) {
        touched.add(key.namespace() + "/" + key.name());
      } else if (key.kind() == Kind.POD && r.topic() == LogTopic.RESOURCES) {
        Pod was = before.namespace(key.namespace()).pods().get(key.name());
        Pod is = after.namespace(key.namespace()).pods().get(key.name());
        if (!terminating(was) && !terminating(is)) continue;
        addSelecting(after, key.namespace(), was, touched);
        addSelecting(after, key.namespace(), is, touched);
        addSelecting(before, key.namespace(), was, touched);
      }
    }
    return touched;
  }

  private static boolean terminating(Pod p) {
    return p != null && ServiceBackends.isTerminatingButReady(p);
  }

  private static void addSelecting(ClusterImage image, String namespace, Pod pod, Set<String> out) {
    if (pod == null) return;
    for (Service s : image.namespace(namespace).services().values()) {
      var sel = LabelSelector.ofService(s);
      if (sel.isPresent() && sel.get().matches(pod.getMetadata().getLabelsMap())) {
        out.add(namespace + "/" + s.getMetadata().getName());
      }
    }
  }
}
