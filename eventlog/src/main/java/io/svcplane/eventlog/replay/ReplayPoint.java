package io.svcplane.eventlog.replay;

import io.svcplane.core.image.LogTopic;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The moment a user asks for, as given on the command line: {@code --at TIME} or
 * {@code --at-offset [TOPIC:]PARTITION:OFFSET} (repeatable). Parsing only; {@link Replayer#resolve}
 * turns it into a {@link Cut} against a log.
 *
 * <p>TIME is an RFC 3339 time ({@code 2026-11-26T10:42:00Z}, {@code 2026-11-26T11:42:00+01:00},
 * fractions allowed), {@code now}, or a duration before now: {@code -5m}, {@code -90s},
 * {@code -1h30m}, {@code -2d} (units ms, s, m, h, d).
 *
 * <p>A position is {@code P:O} (partition P of svcplane.resources, up to and including offset O),
 * or {@code resources:P:O} / {@code endpoints:P:O} (also with the full topic name).
 */
public record ReplayPoint(Instant time, Map<PartitionRef, Long> offsets) {
  private static final Pattern RELATIVE = Pattern.compile("-((?:\\d+(?:ms|s|m|h|d))+)");
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern POSITION = Pattern.compile("(?:([a-z.]+):)?(\\d+):(\\d+)");

  public static final ReplayPoint END = new ReplayPoint(null, Map.of());

  public boolean isEnd() {
    return time == null && offsets.isEmpty();
  }

  /** Parses --at; relative times count back from {@code clock}'s now. */
  public static Instant parseTime(String text, Clock clock) {
    String t = text.strip();
    if (t.equals("now")) return clock.instant();
    Matcher rel = RELATIVE.matcher(t);
    if (rel.matches()) {
      Duration d = Duration.ZERO;
      Matcher part = PART.matcher(rel.group(1));
      while (part.find()) {
        long n = Long.parseLong(part.group(1));
        d = d.plus(switch (part.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        });
      }
      return clock.instant().minus(d);
    }
    try {
      return OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      String hint = t.matches("\\d{4}-\\d{2}-\\d{2}T[0-9:.]+") ? " (it has no time zone: add Z for UTC)" : "";
      throw new IllegalArgumentException("--at \"" + text + "\": not a time" + hint
          + ": use an RFC 3339 time such as 2026-11-26T10:42:00Z, now, or a duration before now such as -5m"
          + " (units ms, s, m, h, d)");
    }
  }

  /** Parses one --at-offset value. */
  public static Map.Entry<PartitionRef, Long> parsePosition(String text) {
    Matcher m = POSITION.matcher(text.strip());
    LogTopic topic = null;
    if (m.matches()) {
      String name = m.group(1);
      if (name == null || name.equals("resources") || name.equals(LogTopic.RESOURCES.topicName())) topic = LogTopic.RESOURCES;
      else if (name.equals("endpoints") || name.equals(LogTopic.ENDPOINTS.topicName())) topic = LogTopic.ENDPOINTS;
    }
    if (topic == null) {
      throw new IllegalArgumentException("--at-offset \"" + text + "\": not a log position: use PARTITION:OFFSET"
          + " (of svcplane.resources, e.g. 2:117) or TOPIC:PARTITION:OFFSET with TOPIC resources or endpoints");
    }
    try {
      return Map.entry(new PartitionRef(topic, Integer.parseInt(m.group(2))), Long.parseLong(m.group(3)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--at-offset \"" + text + "\": partition or offset out of range");
    }
  }

  /** The point for the options given: at most one of --at and --at-offset (which may repeat). */
  public static ReplayPoint of(String at, List<String> atOffsets, Clock clock) {
    boolean hasOffsets = atOffsets != null && !atOffsets.isEmpty();
    if (at != null && hasOffsets) {
      throw new IllegalArgumentException("--at and --at-offset: give one or the other");
    }
    if (at != null) return new ReplayPoint(parseTime(at, clock), Map.of());
    if (!hasOffsets) return END;
    Map<PartitionRef, Long> offsets = new LinkedHashMap<>();
    for (String s : atOffsets) {
      var e = parsePosition(s);
      if (offsets.put(e.getKey(), e.getValue()) != null) {
        throw new IllegalArgumentException("--at-offset names " + e.getKey() + " twice");
      }
    }
    return new ReplayPoint(null, offsets);
  }
}
