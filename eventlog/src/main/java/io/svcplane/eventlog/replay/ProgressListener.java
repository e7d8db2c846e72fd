package io.svcplane.eventlog.replay;

/** Told now and then how far a long read has come, for a progress line on a terminal. */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (records, fraction) -> {};

  /**
   * @param records records read so far
   * @param fraction share of the whole read done, 0 to 1, or NaN if unknown
   */
  void progress(long records, double fraction);

  /** Called once when the read is over. */
  default void done(long records) {}
}
