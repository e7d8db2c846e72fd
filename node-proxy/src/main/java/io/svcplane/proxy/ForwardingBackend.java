package io.svcplane.proxy;

import io.svcplane.core.forwarding.ForwardingTable;

/**
 * A way of forwarding traffic on this node: userspace (Netty), nftables, dry-run. The node proxy
 * hands it the node's whole desired {@link ForwardingTable} after every feed update it folds; the
 * backend makes forwarding reflect it and decides itself how much to touch (diff against what it
 * last applied with {@link ForwardingTable#changedFrom}, or a full resync after a failure).
 *
 * <p>Calls come one at a time from one thread (never concurrently), so an implementation needs no
 * locking of its own state. A call may block (e.g. run {@code nft -f}); the proxy runs it off its
 * actors' threads.
 */
public interface ForwardingBackend extends AutoCloseable {

  /** The mode name the proxy reports to the apiserver: "userspace", "nftables", "dry-run". */
  String mode();

  /**
   * Makes forwarding reflect {@code desired}. Returns when it does: the proxy ACKs the feed
   * version after that. Throws if it could not; the proxy then NACKs the version with the
   * exception's message, and calls {@code apply} again with the next table (which the backend
   * should treat as a full resync).
   */
  void apply(ForwardingTable desired) throws Exception;

  /**
   * Stops forwarding of this backend and releases what it holds (listeners, rules it installed).
   * Called once, at shutdown.
   */
  @Override
  void close();
}
