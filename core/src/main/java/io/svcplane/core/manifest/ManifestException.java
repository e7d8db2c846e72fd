package io.svcplane.core.manifest;

/** A manifest that cannot be read: the message says where (document, line) and what is wrong. */
public final class ManifestException extends Exception {
  public ManifestException(String message) {
    super(message);
  }

  public ManifestException(String message, Throwable cause) {
    super(message, cause);
  }
}
