package io.svcplane.proxy.nftables;

/** nft refused a transaction or could not be run; the message carries nft's own error. */
public final class NftException extends Exception {
  public NftException(String message) {
    super(message);
  }

  public NftException(String message, Throwable cause) {
    super(message, cause);
  }
}
