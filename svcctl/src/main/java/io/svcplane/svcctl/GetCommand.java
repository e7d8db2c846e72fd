package io.svcplane.svcctl;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListResponse;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.WatchEvent;
import io.svcplane.api.v1.WatchRequest;
import io.svcplane.core.Kinds;
import io.svcplane.svcctl.log.ObjectReads;
import io.svcplane.svcctl.log.TimeTravelOptions;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code svcctl get}: list or fetch objects and print them as kubectl does; {@code -w} follows changes. */
@Command(name = "get", description = "Display one or many resources.%n"
    + "Types: pods (po), services (svc), endpoints (ep), nodes (no), namespaces (ns), all.",
    sortOptions = false)
final class GetCommand implements Callable<Integer> {
  @ParentCommand Svcctl root;

  @Parameters(paramLabel = "TYPE[,TYPE...] [NAME...] | TYPE/NAME...", arity = "0..*")
  List<String> args = new ArrayList<>();

  @Option(names = {"-A", "--all-namespaces"}, description = "List the requested objects across all namespaces.")
  boolean allNamespaces;

  @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR", description = "Label selector, e.g. app=nginx,tier!=db.")
  String selector = "";

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "wide, yaml, json or name.")
  String output = "";

  @Option(names = {"-w", "--watch"}, description = "After listing, watch for changes and print them.")
  boolean watch;

  @Option(names = "--show-labels", description = "Show all labels as the last column.")
  boolean showLabels;

  @Option(names = "--show-kind", description = "Prefix names with their kind even for one kind.")
  boolean showKind;

  @Option(names = "--no-headers", description = "Do not print table headers.")
  boolean noHeaders;

  @Option(names = "--ignore-not-found", description = "Do not report named objects that do not exist.")
  boolean ignoreNotFound;

  @Mixin TimeTravelOptions timeTravel;

  private OutputFormat format;
  private ObjectReads reads;
  private Instant now;

  @Override
  public Integer call() {
    format = OutputFormat.parse(output, true);
    timeTravel.checkUsage();
    if (timeTravel.active() && watch) {
      throw new CliException("error: --watch cannot be combined with --at or --at-offset: the past does not change");
    }
    List<ResourceTypes.Ref> refs = ResourceTypes.parseArgs(args, "get");
    boolean named = refs.get(0).name() != null;
    if (named && !selector.isEmpty()) {
      throw new CliException("error: a label selector (-l) cannot be used together with names");
    }
    if (watch) return watch(refs);
    if (timeTravel.active()) {
      TimeTravelOptions.Moment m = timeTravel.replay(root.terminal());
      reads = m.reads();
      now = m.now();
    } else {
      reads = LiveReads.of(root);
      now = root.now();
    }

    List<Resource> items = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (ResourceTypes.Ref ref : refs) {
      try {
        if (ref.name() == null) {
          items.addAll(reads.list(ref.kind(), listNamespace(ref.kind()), selector));
        } else {
          items.add(reads.get(ref.kind(), root.namespaceFor(ref.kind()), ref.name()));
        }
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND && ignoreNotFound) continue;
        errors.add(root.apiError(e, ApiErrors.Op.of(ref.kind(), ref.name())));
        if (Svcctl.isConnectionFailure(e)) break;
      }
    }
    PrintStream out = root.term.out();
    Set<Kind> kinds = new LinkedHashSet<>();
    refs.forEach(r -> kinds.add(r.kind()));
    if (items.isEmpty() && errors.isEmpty()) {
      if (format == OutputFormat.TABLE || format == OutputFormat.WIDE) {
        root.term.err().println(noResourcesFound(kinds));
      } else if (format != OutputFormat.NAME) {
        out.print(OutputFormat.document(format, items, false));
      }
    } else if (!items.isEmpty()) {
      print(items, kinds.size() > 1, named && refs.size() == 1);
    }
    out.flush();
    for (String e : errors) root.term.err().println(e);
    return errors.isEmpty() ? 0 : 1;
  }

  private String listNamespace(Kind kind) {
    return allNamespaces ? "" : root.namespaceFor(kind);
  }

  private String noResourcesFound(Set<Kind> kinds) {
    boolean anyNamespaced = kinds.stream().anyMatch(Kinds::isNamespaced);
    return allNamespaces || !anyNamespaced ? "No resources found"
        : "No resources found in " + root.namespace() + " namespace.";
  }

  private void print(List<Resource> items, boolean severalKinds, boolean single) {
    PrintStream out = root.term.out();
    switch (format) {
      case NAME -> items.forEach(r -> out.println(OutputFormat.name(r)));
      case YAML, JSON -> out.print(OutputFormat.document(format, items, single));
      default -> {
        // One table per kind, in the order requested, a blank line between tables.
        boolean first = true;
        int i = 0;
        while (i < items.size()) {
          Kind kind = Kinds.kindOf(items.get(i));
          TablePrinter table = newTable(kind, severalKinds);
          while (i < items.size() && Kinds.kindOf(items.get(i)) == kind) table.add(items.get(i++), now);
          if (!first && !noHeaders) out.println();
          first = false;
          table.flushTo(out);
        }
      }
    }
  }

  private TablePrinter newTable(Kind kind, boolean severalKinds) {
    return new TablePrinter(kind, format == OutputFormat.WIDE, allNamespaces, severalKinds || showKind, showLabels, !noHeaders);
  }

  // ----- -w -----

  private int watch(List<ResourceTypes.Ref> refs) {
    Set<Kind> kinds = new LinkedHashSet<>();
    refs.forEach(r -> kinds.add(r.kind()));
    if (kinds.size() > 1) {
      throw new CliException("error: you may only specify a single resource type with --watch");
    }
    Kind kind = refs.get(0).kind();
    Set<String> names = new LinkedHashSet<>();
    refs.forEach(r -> {
      if (r.name() != null) names.add(r.name());
    });
    String ns = listNamespace(kind);
    PrintStream out = root.term.out();
    TablePrinter table = newTable(kind, showKind);
    boolean[] firstDocument = {true};

    ListResponse list;
    try {
      list = root.client().list(kind, ns, selector);
    } catch (StatusRuntimeException e) {
      root.term.err().println(root.apiError(e, ApiErrors.Op.of(kind, null)));
      return 1;
    }
    List<Resource> initial = new ArrayList<>();
    for (Resource r : list.getItemsList()) {
      if (names.isEmpty() || names.contains(Kinds.metadata(r).getName())) initial.add(r);
    }
    for (String n : names) {
      if (initial.stream().noneMatch(r -> Kinds.metadata(r).getName().equals(n))) {
        root.term.err().println("Error from server (NotFound): " + Kinds.plural(kind) + " \"" + n + "\" not found");
        return 1;
      }
    }
    for (Resource r : initial) emit(r, table, out, firstDocument);
    if (!initial.isEmpty()) table.flushTo(out);

    String version = list.getVersion();
    long backoffMillis = 100;
    boolean reportedBreak = false;
    while (!Thread.currentThread().isInterrupted()) {
      WatchRequest req = WatchRequest.newBuilder().setKind(kind).setNamespace(ns).setLabelSelector(selector)
          .setSinceVersion(version).build();
      ApiClient.WatchStream stream = root.client().watch(req);
      try {
        while (true) {
          Object next = stream.queue.take();
          if (next instanceof WatchEvent ev) {
            version = ev.getVersion();
            backoffMillis = 100;
            reportedBreak = false;
            Resource r = ev.getObject();
            if (!names.isEmpty() && !names.contains(Kinds.metadata(r).getName())) continue;
            emit(r, table, out, firstDocument);
            table.flushTo(out);
            continue;
          }
          Throwable error = ((ApiClient.WatchStream.End) next).error();
          if (error == null) break; // the server ended the stream: resume where it left off
          Status status = Status.fromThrowable(error);
          switch (status.getCode()) {
            case OUT_OF_RANGE -> {
              // History before our version is gone: list again, show the current state, go on from there.
              ListResponse again = root.client().list(kind, ns, selector);
              for (Resource r : again.getItemsList()) {
                if (names.isEmpty() || names.contains(Kinds.metadata(r).getName())) emit(r, table, out, firstDocument);
              }
              table.flushTo(out);
              version = again.getVersion();
            }
            case INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, PERMISSION_DENIED, UNAUTHENTICATED -> {
              root.term.err().println(root.apiError(status.asRuntimeException(), ApiErrors.Op.of(kind, null)));
              return 1;
            }
            default -> {
              if (!reportedBreak) {
                root.term.err().println("svcctl: watch stream broken (" + status.getCode() + "), reconnecting to "
                    + root.serverAddress() + " and resuming from the last change seen");
                reportedBreak = true;
              }
              TimeUnit.MILLISECONDS.sleep(backoffMillis);
              backoffMillis = Math.min(backoffMillis * 2, 5000);
            }
          }
          break;
        }
      } catch (InterruptedException e) {
        stream.cancel();
        Thread.currentThread().interrupt();
      } catch (StatusRuntimeException e) {
        // The re-list after OUT_OF_RANGE failed: treat like a broken stream.
        stream.cancel();
      }
    }
    return 0;
  }

  private void emit(Resource r, TablePrinter table, PrintStream out, boolean[] firstDocument) {
    switch (format) {
      case NAME -> out.println(OutputFormat.name(r));
      case YAML -> out.print((firstDocument[0] ? "" : "---\n") + OutputFormat.document(format, List.of(r), true));
      case JSON -> out.print(OutputFormat.document(format, List.of(r), true));
      default -> table.add(r, root.now());
    }
    firstDocument[0] = false;
  }
}
