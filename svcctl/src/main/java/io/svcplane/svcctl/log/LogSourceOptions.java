package io.svcplane.svcctl.log;

import io.svcplane.eventlog.KafkaClients;
import io.svcplane.eventlog.export.ExportFormatException;
import io.svcplane.eventlog.replay.ExportFileSource;
import io.svcplane.eventlog.replay.KafkaLogSource;
import io.svcplane.eventlog.replay.LogSource;
import io.svcplane.eventlog.replay.ProgressListener;
import io.svcplane.eventlog.replay.ReplayException;
import io.svcplane.svcctl.CliException;
import io.svcplane.svcctl.Terminal;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the log tools read the log: straight from Kafka ({@code --kafka}, else
 * {@code $SVCPLANE_KAFKA}, else the local cluster's 127.0.0.1:9092), or from an export file with
 * no broker at all ({@code --from-file}). Reading Kafka directly needs no apiserver: a log can be
 * studied while the control plane is down.
 */
public final class LogSourceOptions {
  /** Environment variable with the Kafka bootstrap servers. */
  public static final String KAFKA_ENV = "SVCPLANE_KAFKA";
  /** The local cluster's broker (bin/svcplane up). */
  public static final String DEFAULT_KAFKA = "127.0.0.1:9092";

  @Option(names = "--kafka", paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers to read the log from (default: $" + KAFKA_ENV + ", else " + DEFAULT_KAFKA + ").")
  String kafka;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties (security.protocol, SASL, SSL...) passed to every Kafka client.")
  Path kafkaConfig;

  @Option(names = "--from-file", paramLabel = "FILE",
      description = "Read the log from an export file (svcctl log export) instead of Kafka: no broker needed.")
  Path fromFile;

  @Option(names = "--progress",
      description = "Show progress on stderr (events, events/s, time left); on by default on a terminal.")
  boolean progress;

  public KafkaClients clients(Terminal term) {
    String servers = kafka != null ? kafka : term.env().getOrDefault(KAFKA_ENV, DEFAULT_KAFKA);
    try {
      return KafkaClients.of(servers, kafkaConfig);
    } catch (IllegalArgumentException e) {
      throw new CliException("error: " + e.getMessage());
    }
  }

  /** Opens the export file or connects to Kafka; failures are worded for the user. */
  public LogSource open(Terminal term) {
    return LogErrors.call(() -> fromFile != null
        ? ExportFileSource.open(fromFile)
        : KafkaLogSource.open(clients(term), term.clock()));
  }

  /** A progress line on stderr when it is a terminal or --progress was given; else nothing. */
  public ProgressListener progress(Terminal term, String what) {
    return progress || System.console() != null ? new TerminalProgress(term.err(), what) : ProgressListener.NONE;
  }

  /** Runs a read, turning the replay's and the file's errors into user messages. */
  static final class LogErrors {
    private LogErrors() {}

    interface Read<T> {
      T run() throws IOException;
    }

    static <T> T call(Read<T> read) {
      try {
        return read.run();
      } catch (ReplayException | ExportFormatException | IllegalArgumentException e) {
        throw new CliException("error: " + e.getMessage());
      } catch (IOException e) {
        throw new CliException("error: " + e);
      }
    }
  }
}
