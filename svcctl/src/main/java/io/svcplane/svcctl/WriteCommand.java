package io.svcplane.svcctl;

import io.svcplane.api.v1.Resource;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** create and apply: -o to print the stored objects, --dry-run to check without writing. */
abstract class WriteCommand extends ManifestCommand {
  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "yaml, json or name: print the stored objects.")
  String output = "";

  @Option(names = "--dry-run", arity = "0..1", fallbackValue = "client", paramLabel = "none|server|client",
      description = "server: validate, default and allocate on the server but write nothing; client: only read the manifests.")
  String dryRun = "none";

  private final List<Resource> printed = new ArrayList<>();
  private OutputFormat format;

  /** Sends one object; returns the stored object and kubectl's past participle for it. */
  record Outcome(Resource stored, String done) {}

  abstract Outcome send(Resource r, boolean serverDryRun);

  @Override
  public Integer call() {
    checkOptions();
    return super.call();
  }

  void checkOptions() {
    format = OutputFormat.parse(output, false);
    if (!List.of("none", "server", "client").contains(dryRun)) {
      throw new CliException("error: Invalid dry-run value (" + dryRun + "). Must be \"none\", \"server\", or \"client\".");
    }
  }

  @Override
  String act(Resource r, String source) {
    Outcome o = dryRun.equals("client") ? new Outcome(r, clientDryRunWord()) : send(r, dryRun.equals("server"));
    String suffix = switch (dryRun) {
      case "server" -> " (server dry run)";
      case "client" -> " (dry run)";
      default -> "";
    };
    return switch (format) {
      case NAME -> OutputFormat.name(o.stored());
      case YAML, JSON -> {
        printed.add(o.stored());
        yield null;
      }
      default -> OutputFormat.name(o.stored()) + " " + o.done() + suffix;
    };
  }

  String clientDryRunWord() {
    return "created";
  }

  @Override
  void finish() {
    if (!printed.isEmpty()) root.term.out().print(OutputFormat.document(format, printed, true));
  }
}
