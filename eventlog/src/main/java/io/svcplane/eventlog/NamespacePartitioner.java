package io.svcplane.eventlog;

import io.svcplane.core.ObjectKey;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * Maps every key of one namespace to one partition, so that a namespace is totally ordered and a
 * consumer that owns a partition owns whole namespaces. Keys are {@code Kind/namespace/name};
 * cluster-scoped objects (namespace "") share one partition.
 */
public final class NamespacePartitioner implements Partitioner {

  /** The partition of a namespace: murmur2 of its name, as Kafka's default partitioner hashes keys. */
  public static int partitionFor(String namespace, int numPartitions) {
    return Utils.toPositive(Utils.murmur2(namespace.getBytes(StandardCharsets.UTF_8))) % numPartitions;
  }

  @Override
  public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    if (key == null) throw new IllegalArgumentException("svcplane records need a key (Kind/namespace/name)");
    int n = cluster.partitionCountForTopic(topic);
    return partitionFor(ObjectKey.namespaceOfKey(key.toString()), n);
  }

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
