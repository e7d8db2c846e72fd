package io.svcplane.svcctl;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code svcctl delete}: by manifest ({@code -f}), by name, by selector or {@code --all}. Pods
 * deleted with a grace period get a deletionTimestamp first; like kubectl, svcctl then waits
 * until they are gone (unless {@code --wait=false}).
 */
@Command(name = "delete", description = "Delete resources by manifests, names or label selector.", sortOptions = false)
final class DeleteCommand extends ManifestCommand {
  @Parameters(paramLabel = "TYPE [NAME...] | TYPE/NAME...", arity = "0..*")
  List<String> args = new ArrayList<>();

  @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR", description = "Delete the objects matching this label selector.")
  String selector = "";

  @Option(names = "--all", description = "Delete every object of the type in the namespace.")
  boolean all;

  @Option(names = "--grace-period", paramLabel = "SECONDS", defaultValue = "-1",
      description = "Pods: seconds before the pod goes away; -1 (default) uses the pod's terminationGracePeriodSeconds, 0 deletes at once.")
  int gracePeriod;

  @Option(names = "--now", description = "Pods: delete at once (same as --grace-period=0 here).")
  boolean now;

  @Option(names = "--wait", arity = "0..1", fallbackValue = "true", defaultValue = "true",
      description = "Wait until deleted pods are gone (default: true).")
  boolean waitForGone;

  @Option(names = "--ignore-not-found", description = "Treat objects that do not exist as deleted.")
  boolean ignoreNotFound;

  @Override
  String verb() {
    return "delete";
  }

  @Override
  String verbing() {
    return "deleting";
  }

  @Override
  public Integer call() {
    if (!files.isEmpty()) {
      if (!args.isEmpty()) throw new CliException("error: cannot use -f together with resource arguments");
      return super.call();
    }
    if (args.isEmpty()) {
      throw new CliException("error: You must provide one or more resources by argument or filename.");
    }
    List<ResourceTypes.Ref> refs = ResourceTypes.parseArgs(args, "delete");
    boolean named = refs.get(0).name() != null;
    if (!named && !all && selector.isEmpty()) {
      throw new CliException("error: resource(s) were provided, but no name was specified");
    }
    List<String> errors = new ArrayList<>();
    List<Resource> targets = new ArrayList<>();
    for (ResourceTypes.Ref ref : refs) {
      if (ref.name() != null) {
        targets.add(stub(ref.kind(), ref.name()));
        continue;
      }
      try {
        targets.addAll(root.client().list(ref.kind(), root.namespaceFor(ref.kind()), selector).getItemsList());
      } catch (StatusRuntimeException e) {
        errors.add(root.apiError(e, ApiErrors.Op.of(ref.kind(), null)));
        if (Svcctl.isConnectionFailure(e)) break;
      }
    }
    if (targets.isEmpty() && errors.isEmpty() && !named) {
      root.term.out().println("No resources found"); // kubectl delete says it on stdout
      return 0;
    }
    for (Resource r : targets) {
      try {
        String line = act(r, null);
        if (line != null) {
          root.term.out().println(line);
          root.term.out().flush();
        }
      } catch (StatusRuntimeException e) {
        errors.add(root.apiError(e, ApiErrors.Op.of(Kinds.kindOf(r), Kinds.metadata(r).getName())));
        if (Svcctl.isConnectionFailure(e)) break;
      } catch (CliException e) {
        errors.add(e.getMessage());
      }
    }
    errors.forEach(root.term.err()::println);
    return errors.isEmpty() ? 0 : 1;
  }

  private Resource stub(Kind kind, String name) {
    var meta = io.svcplane.api.v1.ObjectMeta.newBuilder().setName(name).setNamespace(root.namespaceFor(kind)).build();
    return switch (kind) {
      case POD -> Kinds.wrap(io.svcplane.api.v1.Pod.newBuilder().setMetadata(meta).build());
      case SERVICE -> Kinds.wrap(io.svcplane.api.v1.Service.newBuilder().setMetadata(meta).build());
      case ENDPOINTS -> Kinds.wrap(io.svcplane.api.v1.Endpoints.newBuilder().setMetadata(meta).build());
      case NODE -> Kinds.wrap(io.svcplane.api.v1.Node.newBuilder().setMetadata(meta).build());
      case NAMESPACE -> Kinds.wrap(io.svcplane.api.v1.Namespace.newBuilder().setMetadata(meta).build());
      default -> throw new IllegalArgumentException("no kind " + kind);
    };
  }

  @Override
  String act(Resource r, String source) {
    Kind kind = Kinds.kindOf(r);
    var meta = Kinds.metadata(r);
    String ns = Kinds.isNamespaced(kind) ? meta.getNamespace() : "";
    int grace = now ? 0 : gracePeriod;
    if (kind == Kind.POD && grace < 0) grace = podGracePeriod(r, ns, meta.getName());
    if (grace < 0) grace = 0;
    Resource last;
    try {
      last = root.client().delete(kind, ns, meta.getName(), grace);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND && ignoreNotFound) return null;
      throw e;
    }
    String line = Kinds.singular(kind) + " \"" + meta.getName() + "\" deleted";
    if (kind == Kind.POD && Kinds.metadata(last).hasDeletionTimestamp() && waitForGone) {
      root.term.out().println(line);
      root.term.out().flush();
      waitUntilGone(kind, ns, meta.getName(), grace);
      return null;
    }
    return line;
  }

  /** kubectl's -1: the pod's own terminationGracePeriodSeconds (from the manifest, else the server). */
  private int podGracePeriod(Resource r, String ns, String name) {
    if (r.getPod().hasSpec()) return r.getPod().getSpec().getTerminationGracePeriodSeconds();
    try {
      return root.client().get(Kind.POD, ns, name).getPod().getSpec().getTerminationGracePeriodSeconds();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) throw e;
      return 0;
    }
  }

  private void waitUntilGone(Kind kind, String ns, String name, int grace) {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(grace + 60L));
    while (Instant.now().isBefore(deadline)) {
      try {
        root.client().get(kind, ns, name);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return;
        throw e;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new CliException("error: timed out waiting for " + Kinds.singular(kind) + " \"" + name + "\" to be deleted");
  }
}
