package io.svcplane.svcctl.log;

import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.eventlog.replay.HistoryReader;
import io.svcplane.eventlog.replay.LogSource;
import io.svcplane.svcctl.CliException;
import io.svcplane.svcctl.ResourceTypes;
import io.svcplane.svcctl.Svcctl;
import io.svcplane.svcctl.Terminal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code svcctl history KIND/NAME [-n NS]}: every event of one object, oldest first. */
@Command(name = "history", sortOptions = false,
    description = "Show every event of one object in order: time, version, event type and what changed."
        + " For Endpoints, also how the addresses moved and the pod or service event that caused it.%n"
        + "Reads the log from Kafka (--kafka) or an export file (--from-file).")
public final class HistoryCommand implements Callable<Integer> {
  @ParentCommand Svcctl root;

  @Parameters(paramLabel = "TYPE/NAME | TYPE NAME", arity = "1..2")
  List<String> args = new ArrayList<>();

  @Mixin LogSourceOptions source;

  @Override
  public Integer call() {
    List<ResourceTypes.Ref> refs = ResourceTypes.parseArgs(args, "history");
    if (refs.size() != 1 || refs.get(0).name() == null) {
      throw new CliException("error: history shows one object: give TYPE/NAME or TYPE NAME, e.g. svcctl history svc/web");
    }
    ResourceTypes.Ref ref = refs.get(0);
    ObjectKey key = new ObjectKey(ref.kind(), Kinds.isNamespaced(ref.kind()) ? root.namespace() : "", ref.name());
    Terminal term = root.terminal();
    try (LogSource src = source.open(term)) {
      HistoryReader.ObjectHistory h = LogSourceOptions.LogErrors.call(() ->
          new HistoryReader(src).read(key, source.progress(term, "reading history")));
      term.out().print(HistoryPrinter.print(h, src.describe()));
      term.out().flush();
      return 0;
    } catch (IOException e) {
      throw new CliException("error: " + e.getMessage());
    }
  }
}
