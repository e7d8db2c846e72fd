package io.svcplane.proxy;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;

/**
 * Builds the backend of a {@code --mode}. The nftables backend lives in its own package and is
 * found by name, so that this module builds and runs without it: it must be
 * {@code io.svcplane.proxy.nftables.NftablesBackend} with a public constructor
 * {@code (String nodeName, String nodeAddress)}.
 */
public final class Backends {
  public static final String NFTABLES_CLASS = "io.svcplane.proxy.nftables.NftablesBackend";

  private Backends() {}

  /** The nftables backend for this node; fails with a clear message when it is not built in. */
  public static ForwardingBackend nftables(String nodeName, String nodeAddress) {
    Class<?> c;
    try {
      c = Class.forName(NFTABLES_CLASS);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("--mode nftables: the nftables backend (" + NFTABLES_CLASS
          + ") is not part of this build; use --mode userspace or dry-run");
    }
    try {
      return (ForwardingBackend) c.getConstructor(String.class, String.class).newInstance(nodeName, nodeAddress);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("--mode nftables: " + e.getCause().getMessage(), e.getCause());
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("--mode nftables: " + NFTABLES_CLASS
          + " must implement ForwardingBackend with a public (String nodeName, String nodeAddress) constructor", e);
    }
  }

  public static ForwardingBackend dryRun(Path file, String nodeName) {
    return new DryRunBackend(file, nodeName);
  }
}
