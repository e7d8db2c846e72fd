package io.svcplane.svcctl.log;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the log tools print moments: UTC, milliseconds, so a printed time can be given to --at. */
final class Times {
  private Times() {}

  private static final DateTimeFormatter FULL = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
      .withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

  static String full(Instant t) {
    return t == null ? "<unknown>" : FULL.format(t);
  }

  /** The time of day alone when {@code t} falls on the same UTC day as {@code near}. */
  static String near(Instant t, Instant near) {
    if (t == null) return "<unknown time>";
    return near != null && DAY.format(t).equals(DAY.format(near)) ? CLOCK.format(t) : FULL.format(t);
  }
}
