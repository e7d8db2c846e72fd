package io.svcplane.apiserver.write;

import io.svcplane.core.image.LogPositions;
import io.svcplane.core.image.LogTopic;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The records of one transaction: their offsets once the broker appended them, and a future that
 * completes when the transaction committed (the moment its writes may be acknowledged), or fails
 * when it was aborted.
 */
final class PendingBatch {
  private long[] offsets = new long[16];
  private int[] partitions = new int[16];
  private int size;
  final CompletableFuture<Void> committed = new CompletableFuture<>();

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

  void appended(int index, int partition, long offset) {
    partitions[index] = partition;
    offsets[index] = offset;
  }

  /** The record's offset, or -1 before the broker appended it. */
  long offset(int index) {
    return offsets[index];
  }

  int partition(int index) {
    return partitions[index];
  }

  /** Where the fold must be for every record of the batch to be folded. */
  LogPositions target() {
    long[] next = new long[0];
    for (int i = 0; i < size; i++) {
      int p = partitions[i];
      if (p < 0) continue;
      if (p >= next.length) next = Arrays.copyOf(next, p + 1);
      next[p] = Math.max(next[p], offsets[i] + 1);
    }
    return LogPositions.of(next, new long[0]);
  }

  /** {@code base} moved on to cover this batch too. */
  LogPositions coveredBy(LogPositions base) {
    LogPositions p = base;
    LogPositions t = target();
    for (int i = 0; i < t.partitions(LogTopic.RESOURCES); i++) {
      p = p.advance(LogTopic.RESOURCES, i, t.next(LogTopic.RESOURCES, i));
    }
    return p;
  }
}
