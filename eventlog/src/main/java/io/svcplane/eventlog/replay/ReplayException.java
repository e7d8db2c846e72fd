package io.svcplane.eventlog.replay;

/**
 * A replay that cannot answer as asked: a time before the history, an object that never existed,
 * a position beyond the log. The message is for the user as it is; svcctl exits with code 1.
 */
public final class ReplayException extends RuntimeException {
  public ReplayException(String message) {
    super(message);
  }

  public ReplayException(String message, Throwable cause) {
    super(message, cause);
  }
}
