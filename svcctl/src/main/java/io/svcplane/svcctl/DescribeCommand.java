package io.svcplane.svcctl;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.svcctl.log.ObjectReads;
import io.svcplane.svcctl.log.TimeTravelOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code svcctl describe}: kubectl's detailed view. As in kubectl, a NAME that matches no object
 * exactly describes every object whose name starts with it.
 */
@Command(name = "describe", description = "Show details of a resource or group of resources.", sortOptions = false)
final class DescribeCommand implements Callable<Integer> {
  @ParentCommand Svcctl root;

  @Parameters(paramLabel = "TYPE [NAME_PREFIX...] | TYPE/NAME...", arity = "0..*")
  List<String> args = new ArrayList<>();

  @Option(names = {"-A", "--all-namespaces"}, description = "Describe objects across all namespaces.")
  boolean allNamespaces;

  @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR", description = "Label selector, e.g. app=nginx.")
  String selector = "";

  @Mixin TimeTravelOptions timeTravel;

  private ObjectReads reads;
  private Instant now;

  @Override
  public Integer call() {
    List<ResourceTypes.Ref> refs = ResourceTypes.parseArgs(args, "describe");
    timeTravel.checkUsage();
    if (timeTravel.active()) {
      TimeTravelOptions.Moment m = timeTravel.replay(root.terminal());
      reads = m.reads();
      now = m.now();
    } else {
      reads = LiveReads.of(root);
      now = root.now();
    }
    List<Resource> objects = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    Set<Kind> kinds = new LinkedHashSet<>();
    for (ResourceTypes.Ref ref : refs) {
      kinds.add(ref.kind());
      try {
        objects.addAll(find(ref));
      } catch (StatusRuntimeException e) {
        errors.add(root.apiError(e, ApiErrors.Op.of(ref.kind(), ref.name())));
        if (Svcctl.isConnectionFailure(e)) break;
      }
    }
    StringBuilder out = new StringBuilder();
    try {
      for (Resource r : objects) {
        if (out.length() > 0) out.append("\n\n");
        out.append(describe(r));
      }
    } catch (StatusRuntimeException e) {
      errors.add(root.apiError(e, ApiErrors.Op.of(null, null)));
    }
    root.term.out().print(out);
    root.term.out().flush();
    if (objects.isEmpty() && errors.isEmpty()) {
      boolean namespaced = kinds.stream().anyMatch(Kinds::isNamespaced);
      root.term.err().println(allNamespaces || !namespaced ? "No resources found"
          : "No resources found in " + root.namespace() + " namespace.");
    }
    errors.forEach(root.term.err()::println);
    return errors.isEmpty() ? 0 : 1;
  }

  private List<Resource> find(ResourceTypes.Ref ref) {
    Kind kind = ref.kind();
    String ns = allNamespaces ? "" : root.namespaceFor(kind);
    if (ref.name() == null) return reads.list(kind, ns, selector);
    try {
      return List.of(reads.get(kind, root.namespaceFor(kind), ref.name()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) throw e;
      List<Resource> prefixed = new ArrayList<>();
      for (Resource r : reads.list(kind, root.namespaceFor(kind), selector)) {
        if (Kinds.metadata(r).getName().startsWith(ref.name())) prefixed.add(r);
      }
      if (prefixed.isEmpty()) throw e;
      return prefixed;
    }
  }

  private String describe(Resource r) {
    var meta = Kinds.metadata(r);
    return switch (r.getObjectCase()) {
      case SERVICE -> Describers.service(r.getService(), endpointsOf(meta.getNamespace(), meta.getName()));
      case ENDPOINTS -> Describers.endpoints(r.getEndpoints());
      case POD -> Describers.pod(r.getPod(), now, root.term.zone());
      case NODE -> Describers.node(r.getNode(), podsOn(meta.getName()), now, root.term.zone());
      case NAMESPACE -> Describers.namespace(r.getNamespace());
      case OBJECT_NOT_SET -> "";
    };
  }

  private Endpoints endpointsOf(String namespace, String name) {
    try {
      return reads.get(Kind.ENDPOINTS, namespace, name).getEndpoints();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return null;
      throw e;
    }
  }

  /** kubectl lists a node's non-terminated pods (field selector spec.nodeName); svcplane filters here. */
  private List<Pod> podsOn(String node) {
    List<Pod> pods = new ArrayList<>();
    for (Resource r : reads.list(Kind.POD, "", "")) {
      Pod p = r.getPod();
      String phase = p.getStatus().getPhase();
      if (p.getSpec().getNodeName().equals(node) && !phase.equals("Succeeded") && !phase.equals("Failed")) pods.add(p);
    }
    return pods;
  }
}
