package io.svcplane.svcctl.log;

import io.svcplane.eventlog.replay.LogSource;
import io.svcplane.eventlog.replay.ReplayPoint;
import io.svcplane.eventlog.replay.Replayer;
import io.svcplane.svcctl.CliException;
import io.svcplane.svcctl.Terminal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --at TIME} / {@code --at-offset [TOPIC:]P:O} for get and describe: answer from the log
 * replayed to that moment instead of the apiserver, with the same output a live command printed
 * then (ages are counted from that moment).
 */
public final class TimeTravelOptions {
  @Option(names = "--at", paramLabel = "TIME",
      description = "Show the cluster as it was at TIME: 2026-11-26T10:42:00Z, or a duration ago such as -5m, -1h30m.")
  String at;

  @Option(names = "--at-offset", paramLabel = "[TOPIC:]P:O",
      description = "Show the cluster right after the record at offset O of partition P (of svcplane.resources,"
          + " or TOPIC resources/endpoints); repeatable, one per partition.")
  List<String> atOffsets = new ArrayList<>();

  @Mixin LogSourceOptions source;

  /** True if the command should read the past rather than the apiserver. */
  public boolean active() {
    return at != null || !atOffsets.isEmpty();
  }

  /** Without --at, --from-file and --kafka mean nothing: say so rather than ignore them. */
  public void checkUsage() {
    if (!active() && (source.fromFile != null || source.kafka != null)) {
      throw new CliException("error: --from-file and --kafka read the log: give --at TIME or --at-offset P:O too");
    }
  }

  /** The moment replayed: objects and the instant ages count from. */
  public record Moment(ObjectReads reads, Instant now) {}

  /** Replays the log to the requested moment. */
  public Moment replay(Terminal term) {
    ReplayPoint point = LogSourceOptions.LogErrors.call(() -> ReplayPoint.of(at, atOffsets, term.clock()));
    try (LogSource src = source.open(term)) {
      Replayer.Replayed r = LogSourceOptions.LogErrors.call(() ->
          new Replayer(src).fold(point, source.progress(term, "replaying")));
      Instant now = r.cut().time() != null ? r.cut().time() : term.clock().instant();
      return new Moment(new ImageReads(r.image()), now);
    } catch (java.io.IOException e) {
      throw new CliException("error: " + e.getMessage());
    }
  }
}
