package io.svcplane.svcctl.log;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import io.svcplane.api.v1.ExportHeader;
import io.svcplane.api.v1.ExportTopic;
import io.svcplane.api.v1.ExportTrailer;
import io.svcplane.core.image.LogTopic;
import io.svcplane.eventlog.export.ExportReader;
import io.svcplane.eventlog.export.ExportWriter;
import io.svcplane.eventlog.export.LogExporter;
import io.svcplane.eventlog.export.LogImporter;
import io.svcplane.eventlog.replay.KafkaLogSource;
import io.svcplane.eventlog.replay.ReplayPoint;
import io.svcplane.svcctl.CliException;
import io.svcplane.svcctl.Svcctl;
import io.svcplane.svcctl.Terminal;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code svcctl log export|import|info}: the log to one file and back (docs/log-format.md). */
@Command(name = "log", description = "Export the event log to a file, import one into a Kafka cluster, or inspect one.",
    subcommands = {LogCommand.Export.class, LogCommand.Import.class, LogCommand.Info.class})
public final class LogCommand implements Callable<Integer> {
  @ParentCommand Svcctl root;

  @Override
  public Integer call() {
    CommandLine.usage(this, root.terminal().out());
    return 0;
  }

  private static final String WRITER = "svcctl 0.1.0-SNAPSHOT";

  /** {@code svcctl log export -o FILE [--since TIME] [--until TIME]}. */
  @Command(name = "export", sortOptions = false,
      description = "Write both topics of the log (svcplane.resources and svcplane.endpoints) to one file:"
          + " length-delimited protobuf with a header and a checksum per record (docs/log-format.md).")
  public static final class Export implements Callable<Integer> {
    @ParentCommand LogCommand log;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The file to write, or - for stdout.")
    String output;

    @Option(names = "--since", paramLabel = "TIME",
        description = "Fold the history before TIME into a snapshot of the state then (as log compaction would).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Leave out records after TIME.")
    String until;

    @Mixin LogSourceOptions source;

    @Override
    public Integer call() {
      Terminal term = log.root.terminal();
      if (source.fromFile != null) throw new CliException("error: log export reads Kafka: --from-file does not apply");
      Instant from = since == null ? null : LogSourceOptions.LogErrors.call(() -> ReplayPoint.parseTime(since, term.clock()));
      Instant to = until == null ? null : LogSourceOptions.LogErrors.call(() -> ReplayPoint.parseTime(until, term.clock()));
      boolean toStdout = output.equals("-");
      try (KafkaLogSource src = LogSourceOptions.LogErrors.call(() -> KafkaLogSource.open(source.clients(term), term.clock()))) {
        LogExporter.Exported e = LogSourceOptions.LogErrors.call(() -> new LogExporter(src, term.clock(), WRITER).export(
            from, to, h -> toStdout ? ExportWriter.to(term.out(), h) : ExportWriter.create(Path.of(output), h),
            source.progress(term, "exporting")));
        PrintStream report = toStdout ? term.err() : term.out();
        ExportTrailer t = e.trailer();
        report.printf(Locale.ROOT, "exported %,d records (%,d of %s, %,d of %s%s) from %s to %s: %,d bytes%s%n",
            t.getRecordCount(), t.getRecordsPerTopic(0), LogTopic.RESOURCES.topicName(), t.getRecordsPerTopic(1),
            LogTopic.ENDPOINTS.topicName(),
            e.snapshotRecords() > 0 ? String.format(Locale.ROOT, "; %,d of them the state at --since", e.snapshotRecords()) : "",
            src.describe(), toStdout ? "stdout" : output, e.bytes(),
            t.getRecordCount() == 0 ? "" : ", records stamped " + time(t.getFirstRecordTime()) + " to " + time(t.getLastRecordTime()));
        report.flush();
        return 0;
      }
    }
  }

  /** {@code svcctl log import FILE [--force]}. */
  @Command(name = "import", sortOptions = false,
      description = "Write an export file into the topics of the Kafka cluster given by --kafka. Refuses a log that"
          + " already holds records unless --force. Records get new offsets there; Endpoints causes are renumbered"
          + " to match.")
  public static final class Import implements Callable<Integer> {
    @ParentCommand LogCommand log;

    @Parameters(paramLabel = "FILE") Path file;

    @Option(names = "--force", description = "Append even if the topics already hold records.")
    boolean force;

    @Mixin LogSourceOptions source;

    @Override
    public Integer call() {
      Terminal term = log.root.terminal();
      if (source.fromFile != null) throw new CliException("error: log import takes the file as its argument, not --from-file");
      var clients = source.clients(term);
      LogImporter.Imported r = LogSourceOptions.LogErrors.call(() ->
          new LogImporter(clients).importFile(file, force, source.progress(term, "importing")));
      PrintStream out = term.out();
      out.printf(Locale.ROOT, "imported %,d records into %s (%d partitions) and %,d into %s (%d partitions) at %s%s%n",
          r.records().get(LogTopic.RESOURCES), LogTopic.RESOURCES.topicName(), r.partitions().get(LogTopic.RESOURCES),
          r.records().get(LogTopic.ENDPOINTS), LogTopic.ENDPOINTS.topicName(), r.partitions().get(LogTopic.ENDPOINTS),
          clients.bootstrapServers(), r.createdTopics() ? " (topics created)" : "");
      long before = r.recordsAlreadyThere().values().stream().mapToLong(Long::longValue).sum();
      if (before > 0) out.printf(Locale.ROOT, "appended after the %,d records the topics already held (--force)%n", before);
      if (!r.samePartitions()) {
        out.println("the topics there have other partition counts than the source: records were placed by namespace again");
      }
      out.printf(Locale.ROOT, "records have new offsets there (resourceVersions differ from the source);"
          + " %,d Endpoints causes renumbered to match%s%n", r.causesRewritten(),
          r.causesNotInFile() == 0 ? "" : String.format(Locale.ROOT, ", %,d point at records not in the file", r.causesNotInFile()));
      out.flush();
      return 0;
    }
  }

  /** {@code svcctl log info FILE}: the header and trailer, after checking every record. */
  @Command(name = "info", description = "Check an export file from end to end and show where and when it came from.")
  public static final class Info implements Callable<Integer> {
    @ParentCommand LogCommand log;

    @Parameters(paramLabel = "FILE") Path file;

    @Override
    public Integer call() {
      PrintStream out = log.root.terminal().out();
      ExportHeader h;
      ExportTrailer t;
      long size;
      try (ExportReader r = LogSourceOptions.LogErrors.call(() -> ExportReader.open(file))) {
        LogSourceOptions.LogErrors.call(() -> {
          r.skipToEnd();
          return null;
        });
        h = r.header();
        t = r.trailer();
        size = r.position();
      } catch (java.io.IOException e) {
        throw new CliException("error: " + e.getMessage());
      }
      out.println("File:            " + file + " (" + size + " bytes, export format version 1, every checksum good)");
      out.println("Written by:      " + h.getWriter() + " at " + time(h.getCreated()));
      out.println("Source:          Kafka at " + h.getSourceBootstrapServers()
          + (h.getSourceClusterId().isEmpty() ? "" : " (cluster id " + h.getSourceClusterId() + ")"));
      for (int i = 0; i < h.getTopicsCount(); i++) {
        ExportTopic topic = h.getTopics(i);
        out.printf(Locale.ROOT, "Topic:           %s, %d partitions, %,d records, ends at %s%n", topic.getName(),
            topic.getPartitions(), i < t.getRecordsPerTopicCount() ? t.getRecordsPerTopic(i) : 0,
            topic.getEndOffsetsList());
      }
      out.println("Since:           " + (h.hasSince() ? time(h.getSince()) + " (earlier history folded into a snapshot)" : "the beginning of the log"));
      out.println("Until:           " + (h.hasUntil() ? time(h.getUntil()) : "the end of the log at export"));
      out.println("History from:    " + (h.hasHistoryStart() ? time(h.getHistoryStart()) + " (the earliest moment --at can show)" : "<no records>"));
      out.println("Records:         " + String.format(Locale.ROOT, "%,d", t.getRecordCount())
          + (t.getRecordCount() == 0 ? "" : ", stamped " + time(t.getFirstRecordTime()) + " to " + time(t.getLastRecordTime())));
      out.flush();
      return 0;
    }
  }

  static String time(Timestamp t) {
    return Times.full(Instant.ofEpochMilli(Timestamps.toMillis(t)));
  }
}
