package io.svcplane.svcctl;

/** A failure already worded for the user: its message is printed to stderr as is, exit code 1. */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CliException(String message) {
    super(message, null, false, false);
  }
}
