package io.svcplane.apiserver.write;

import io.svcplane.api.v1.ApplyResult;
import io.svcplane.api.v1.Resource;

/**
 * What a write produced: the object as stored (resourceVersion = the offset of its event), and
 * for Apply whether it was created, configured or left unchanged.
 */
public record WriteResult(Resource object, ApplyResult result) {}
