package io.svcplane.svcctl.log;

import io.svcplane.eventlog.replay.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;

/**
 * One progress line on stderr, rewritten in place: events read, events per second, share done
 * and time left. Ends with a summary line.
 */
final class TerminalProgress implements ProgressListener {
  private final PrintStream err;
  private final String what;
  private final long start = System.nanoTime();
  private long lastPrint;
  private int lastWidth;

  TerminalProgress(PrintStream err, String what) {
    this.err = err;
    this.what = what;
  }

  @Override
  public void progress(long records, double fraction) {
    long now = System.nanoTime();
    if (now - lastPrint < 250_000_000L) return;
    lastPrint = now;
    double seconds = (now - start) / 1e9;
    double rate = seconds > 0 ? records / seconds : 0;
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s: %,d events, %,.0f events/s", what, records, rate));
    if (!Double.isNaN(fraction) && fraction > 0) {
      double left = seconds * (1 - fraction) / fraction;
      line.append(String.format(Locale.ROOT, ", %.0f%%, %s left", fraction * 100, duration(left)));
    }
    print(line.toString());
  }

  @Override
  public void done(long records) {
    double seconds = (System.nanoTime() - start) / 1e9;
    print(String.format(Locale.ROOT, "%s: %,d events in %.1f s (%,.0f events/s)", what, records, seconds,
        seconds > 0 ? records / seconds : 0));
    err.println();
    err.flush();
  }

  private void print(String line) {
    String pad = line.length() < lastWidth ? " ".repeat(lastWidth - line.length()) : "";
    err.print("\r" + line + pad);
    err.flush();
    lastWidth = line.length();
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return (s / 60) + " min " + (s % 60) + " s";
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }
}
