package io.svcplane.apiserver.write;

import io.svcplane.api.v1.Resource;
import io.svcplane.core.ObjectKey;

/** One write the apiserver was asked for; the writer decides them one by one, in arrival order. */
public sealed interface WriteOp {

  record Create(Resource object, boolean dryRun) implements WriteOp {}

  /** kubectl apply of the whole object: create it, or make the stored one match it. */
  record Apply(Resource object, boolean dryRun) implements WriteOp {}

  /** Replace spec, labels and annotations; status stays as stored. */
  record Update(Resource object, boolean dryRun) implements WriteOp {}

  /** Replace the status; the rest stays as stored. */
  record UpdateStatus(Resource object, boolean dryRun) implements WriteOp {}

  /**
   * @param resourceVersion precondition, or "" for none
   * @param gracePeriodSeconds pods only: 0 deletes at once
   */
  record Delete(ObjectKey key, String resourceVersion, int gracePeriodSeconds, boolean dryRun) implements WriteOp {}

  /** The end of a pod's grace period: delete it if it is still the same terminating pod. */
  record FinishGracefulDelete(ObjectKey key, String uid) implements WriteOp {}
}
