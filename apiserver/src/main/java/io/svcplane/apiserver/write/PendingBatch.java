package io.svcplane.apiserver.write;

import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The records of one transaction: their offsets once it committed, and a future that completes
 * when the fold has reached all of them (the moment its writes may be acknowledged).
 */
final class PendingBatch {
  private long[] offsets = new long[16];
  private int[] partitions = new int[16];
  private int size;
  final CompletableFuture<ClusterImage> folded = new CompletableFuture<>();

  int add() {
    if (size == offsets.length) {
      offsets = Arrays.copyOf(offsets, size * 2);
      partitions = Arrays.copyOf(partitions, size * 2);
    }
    offsets[size] = -1;
    partitions[size] = -1;
    return size++;
  }

  int size() {
    return size;
  }

  void committed(int index, int partition, long offset) {
    partitions[index] = partition;
    offsets[index] = offset;
  }

  /** The record's offset, or -1 before the batch committed. */
  long offset(int index) {
    return offsets[index];
  }

  int partition(int index) {
    return partitions[index];
  }

  /** Where the fold must be for every record of the batch to be folded. */
  LogPositions target() {
    LogPositions p = LogPositions.EMPTY;
    for (int i = 0; i < size; i++) p = p.advance(LogTopic.RESOURCES, partitions[i], offsets[i] + 1);
    return p;
  }
}
