package io.svcplane.apiserver.feed;

import io.svcplane.api.v1.Node;

/**
 * How the ProxyFeed writes Node objects: through the apiserver's normal write path, so that
 * registration and readiness changes are events in the log like any other write.
 */
public interface NodeWriter {
  /** Creates the node; throws {@link AlreadyExists} if it exists, or another exception if the write fails. */
  Node create(Node node) throws Exception;

  /** The node to create exists already. */
  final class AlreadyExists extends Exception {
    public AlreadyExists(String message) {
      super(message);
    }
  }

  /** Replaces the status of an existing node; throws if it does not exist or the write fails. */
  Node updateStatus(Node node) throws Exception;
}
