package io.svcplane.apiserver.state;

import io.svcplane.api.v1.Resource;
import io.svcplane.core.ObjectKey;
import io.svcplane.eventlog.LogRecord;

/**
 * A record as the fold saw it: the record, the key of its object, and the object's state just
 * before it in the same view (svcplane.resources' written objects, or the published Endpoints of
 * svcplane.endpoints). Watch needs the previous state to tell when an object starts or stops
 * matching a label selector.
 *
 * @param key the object's key, or null when the record names no object
 * @param previous the object before this record (resourceVersion set), or null if it did not exist
 * @param current the object after this record (resourceVersion set), or null if it is gone
 */
public record FoldedRecord(LogRecord record, ObjectKey key, Resource previous, Resource current) {}
