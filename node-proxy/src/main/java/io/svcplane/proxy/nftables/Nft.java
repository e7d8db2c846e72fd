package io.svcplane.proxy.nftables;

/** Runs nft. The applier's only contact with the kernel, so tests can record what it sends. */
public interface Nft {
  /** Applies {@code script} as one transaction ({@code nft -f -}): all of it or nothing. */
  void apply(String script) throws NftException;

  /** Runs {@code nft args...} and returns its output, e.g. {@code list table ip svcplane}. */
  String run(String... args) throws NftException;
}
