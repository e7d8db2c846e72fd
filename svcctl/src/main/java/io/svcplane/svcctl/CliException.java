package io.svcplane.svcctl;

/** A failure already worded for the user: its message is printed to stderr as is, exit code 1. */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CliException(String message) {
    super(message, null, false, false);
  }
}
