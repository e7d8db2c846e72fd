package io.svcplane.svcctl.log;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.core.manifest.Manifests;
import io.svcplane.eventlog.replay.EndpointsVerifier;
import io.svcplane.eventlog.replay.LogSource;
import io.svcplane.eventlog.replay.ReplayPoint;
import io.svcplane.eventlog.replay.Replayer;
import io.svcplane.svcctl.CliException;
import io.svcplane.svcctl.Svcctl;
import io.svcplane.svcctl.Terminal;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code svcctl replay}: fold the log to a moment and summarize the cluster then (or print every
 * object with -o yaml|json); with {@code --verify}, check every Endpoints the controller recorded
 * against core's endpoints planner run over the recorded resource events.
 */
@Command(name = "replay", sortOptions = false,
    description = "Replay the log to a moment (default: its end) and summarize the cluster then.%n"
        + "--verify: run the endpoints planner over the recorded resource events and compare its Endpoints"
        + " with the recorded ones; prints the first divergence or one line of counts (exit 1 on a divergence).")
public final class ReplayCommand implements Callable<Integer> {
  @ParentCommand Svcctl root;

  @Mixin TimeTravelOptions point;

  @Option(names = "--verify", description = "Check the recorded Endpoints against the endpoints planner.")
  boolean verify;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "yaml or json: every object at that moment.")
  String output = "";

  @Override
  public Integer call() {
    Terminal term = root.terminal();
    Predicate<String> namespaces = root.namespaceGiven() ? root.namespace()::equals : ns -> true;
    if (verify) {
      if (point.active()) {
        throw new CliException("error: --verify checks the whole log: it cannot be combined with --at or --at-offset");
      }
      return verify(term, namespaces);
    }
    if (!output.isEmpty() && !output.equals("yaml") && !output.equals("json")) {
      throw new CliException("error: unable to match a printer suitable for the output format \"" + output
          + "\", allowed formats are: json,yaml");
    }
    ReplayPoint at = LogSourceOptions.LogErrors.call(() -> ReplayPoint.of(point.at, point.atOffsets, term.clock()));
    try (LogSource src = point.source.open(term)) {
      Replayer.Replayed r = LogSourceOptions.LogErrors.call(() ->
          new Replayer(src).fold(at, point.source.progress(term, "replaying")));
      if (output.isEmpty()) summary(term.out(), src, r, namespaces);
      else term.out().print(objects(r.image(), root.namespaceGiven() ? namespaces : null, output.equals("yaml")));
      term.out().flush();
      return 0;
    } catch (IOException e) {
      throw new CliException("error: " + e.getMessage());
    }
  }

  private int verify(Terminal term, Predicate<String> namespaces) {
    try (LogSource src = point.source.open(term)) {
      EndpointsVerifier.Result r = LogSourceOptions.LogErrors.call(() ->
          new EndpointsVerifier(src, namespaces).verify(point.source.progress(term, "verifying")));
      PrintStream out = term.out();
      String scope = root.namespaceGiven() ? " in namespace " + root.namespace() : "";
      if (r.clean()) {
        out.printf(Locale.ROOT, "verify: all %,d recorded Endpoints events%s agree with the endpoints planner"
                + " (%,d resource events in %d partitions of %s; %,d Endpoints compared at the last recorded cause;"
                + " %,d events not checked, their cause not in the log; %,d later resource events not yet reached)%n",
            r.checkedEvents(), scope, r.resourceEvents(), r.partitions(), src.describe(), r.servicesAtEnd(),
            r.uncheckedEvents(), r.notReached());
        out.flush();
        return 0;
      }
      EndpointsVerifier.Divergence d = r.divergences().get(0);
      out.println("verify: Endpoints " + d.endpoints().namespace() + "/" + d.endpoints().name() + " diverge from the endpoints planner");
      out.println("  " + d.what());
      out.println("  recorded: " + d.recordedAt() + (d.time() == null ? "" : " at " + Times.full(d.time())));
      if (d.causedBy() != null) out.println("  caused by " + d.causedBy());
      for (String line : d.details()) out.println("  " + line);
      out.printf(Locale.ROOT, "%,d divergence%s in all, the first shown (%,d recorded Endpoints events checked%s, %s)%n",
          r.divergences().size(), r.divergences().size() == 1 ? "" : "s", r.checkedEvents(), scope, src.describe());
      out.flush();
      return 1;
    } catch (IOException e) {
      throw new CliException("error: " + e.getMessage());
    }
  }

  private static void summary(PrintStream out, LogSource src, Replayer.Replayed r, Predicate<String> namespaces) {
    ClusterImage image = r.image();
    String to = r.cut().isEnd() ? "its end" : r.cut().lastOffsets().isEmpty()
        ? Times.full(r.cut().time()) : "after " + r.cut() + " (" + Times.full(r.cut().time()) + ")";
    out.printf(Locale.ROOT, "Replayed %,d records of %s to %s.%n", r.records(), src.describe(), to);
    Map<String, NamespaceImage> shown = new TreeMap<>();
    image.namespaces().forEach((n, ns) -> {
      if (namespaces.test(n)) shown.put(n, ns);
    });
    if (shown.isEmpty()) {
      out.println("No namespaced objects" + (namespaces.test("") ? "." : " in that namespace."));
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NAMESPACE", "PODS", "SERVICES", "ENDPOINTS"});
      shown.forEach((n, ns) -> rows.add(new String[] {n, Integer.toString(ns.pods().size()),
          Integer.toString(ns.services().size()), Integer.toString(ns.endpoints().size())}));
      int[] w = new int[4];
      for (String[] row : rows) for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], row[i].length());
      for (String[] row : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < 4; i++) line.append(row[i]).append(" ".repeat(w[i] - row[i].length() + 3));
        out.println(line.toString().stripTrailing());
      }
    }
    out.printf(Locale.ROOT, "Nodes: %d, Namespace objects: %d%n", image.nodes().size(), image.namespaceObjects().size());
    StringBuilder pos = new StringBuilder("Positions:");
    for (LogTopic t : LogTopic.values()) {
      pos.append(' ').append(t == LogTopic.RESOURCES ? "resources" : "endpoints");
      for (int p = 0; p < image.positions().partitions(t); p++) {
        pos.append(p == 0 ? " " : ",").append(p).append(':').append(image.positions().next(t, p));
      }
    }
    out.println(pos + " (next offset per partition)");
    out.println("Collection version: " + image.positions().encode());
  }

  /** Every object, or with -n (namespaces not null) that namespace's objects only. */
  private static String objects(ClusterImage image, Predicate<String> namespaces, boolean yaml) {
    List<Resource> items = new ArrayList<>();
    for (Kind k : List.of(Kind.NAMESPACE, Kind.NODE, Kind.POD, Kind.SERVICE, Kind.ENDPOINTS)) {
      if (namespaces != null && !Kinds.isNamespaced(k)) continue;
      for (Resource r : image.list(k, "", x -> true)) {
        if (namespaces == null || namespaces.test(Kinds.metadata(r).getNamespace())) items.add(Kinds.withTypeMeta(r));
      }
    }
    return yaml ? Manifests.toYamlList(items) : Manifests.toJsonList(items);
  }
}
