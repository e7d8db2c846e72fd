package io.svcplane.svcctl;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.selector.LabelSelector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code svcctl label TYPE NAME k=v k2-}: read-modify-write of the labels with the object's
 * resourceVersion as precondition, retried when someone else wrote in between.
 */
@Command(name = "label", description = "Update the labels on a resource: KEY=VALUE adds or sets, KEY- removes.", sortOptions = false)
final class LabelCommand implements Callable<Integer> {
  @ParentCommand Svcctl root;

  @Parameters(paramLabel = "TYPE NAME... KEY=VALUE... KEY-...", arity = "0..*")
  List<String> args = new ArrayList<>();

  @Option(names = "--overwrite", description = "Allow changing labels that already have a value.")
  boolean overwrite;

  @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR", description = "Label the objects matching this selector.")
  String selector = "";

  @Option(names = "--all", description = "Label every object of the type in the namespace.")
  boolean all;

  @Override
  public Integer call() {
    List<String> resourceArgs = new ArrayList<>();
    Map<String, String> add = new LinkedHashMap<>();
    List<String> remove = new ArrayList<>();
    boolean labelsStarted = false;
    for (String a : args) {
      boolean isLabel = a.contains("=") || (a.endsWith("-") && !a.contains("/"));
      if (!isLabel && !labelsStarted) {
        resourceArgs.add(a);
        continue;
      }
      labelsStarted = true;
      parseLabel(a, add, remove);
    }
    if (add.isEmpty() && remove.isEmpty()) throw new CliException("error: at least one label update is required");
    for (String k : remove) {
      if (add.containsKey(k)) throw new CliException("error: can not both modify and remove a label in the same command");
    }
    List<ResourceTypes.Ref> refs = ResourceTypes.parseArgs(resourceArgs, "label");
    boolean named = refs.get(0).name() != null;
    if (!named && !all && selector.isEmpty()) {
      throw new CliException("error: resource(s) were provided, but no name was specified");
    }
    List<String> errors = new ArrayList<>();
    List<ResourceTypes.Ref> targets = new ArrayList<>();
    for (ResourceTypes.Ref ref : refs) {
      if (ref.name() != null) {
        targets.add(ref);
        continue;
      }
      try {
        for (Resource r : root.client().list(ref.kind(), root.namespaceFor(ref.kind()), selector).getItemsList()) {
          targets.add(new ResourceTypes.Ref(ref.kind(), Kinds.metadata(r).getName()));
        }
      } catch (StatusRuntimeException e) {
        errors.add(root.apiError(e, ApiErrors.Op.of(ref.kind(), null)));
      }
    }
    for (ResourceTypes.Ref t : targets) {
      try {
        root.term.out().println(label(t, add, remove));
        root.term.out().flush();
      } catch (StatusRuntimeException e) {
        errors.add(root.apiError(e, ApiErrors.Op.of(t.kind(), t.name())));
        if (Svcctl.isConnectionFailure(e)) break;
      } catch (CliException e) {
        errors.add(e.getMessage());
      }
    }
    errors.forEach(root.term.err()::println);
    return errors.isEmpty() ? 0 : 1;
  }

  private static void parseLabel(String a, Map<String, String> add, List<String> remove) {
    int eq = a.indexOf('=');
    if (eq < 0) {
      String key = a.substring(0, a.length() - 1);
      if (key.isEmpty() || LabelSelector.checkKey(key) != null) throw new CliException("error: invalid label spec: " + a);
      remove.add(key);
      return;
    }
    String key = a.substring(0, eq);
    String value = a.substring(eq + 1);
    String keyError = LabelSelector.checkKey(key);
    if (key.isEmpty() || keyError != null) {
      throw new CliException("error: invalid label spec: " + a + (keyError == null ? "" : ": " + keyError));
    }
    String valueError = LabelSelector.checkValue(value);
    if (valueError != null) throw new CliException("error: invalid label value: \"" + a + "\": " + valueError);
    add.put(key, value);
  }

  private String label(ResourceTypes.Ref t, Map<String, String> add, List<String> remove) {
    String ns = root.namespaceFor(t.kind());
    for (int attempt = 0; ; attempt++) {
      Resource current = root.client().get(t.kind(), ns, t.name());
      var meta = Kinds.metadata(current);
      Map<String, String> old = new TreeMap<>(meta.getLabelsMap());
      if (!overwrite) {
        for (String k : add.keySet()) {
          if (old.containsKey(k)) {
            throw new CliException("error: '" + k + "' already has a value (" + old.get(k) + "), and --overwrite is false");
          }
        }
      }
      Map<String, String> labels = new TreeMap<>(old);
      labels.putAll(add);
      for (String k : remove) {
        if (labels.remove(k) == null) root.term.err().println("label \"" + k + "\" not found.");
      }
      String name = Kinds.singular(t.kind()) + "/" + t.name();
      if (labels.equals(old)) return name + " not labeled";
      Resource updated = Kinds.withMetadata(current, meta.toBuilder().clearLabels().putAllLabels(labels).build());
      try {
        root.client().update(updated);
      } catch (StatusRuntimeException e) {
        // Someone wrote in between: read again and re-apply, as kubectl's patch retry does.
        if (e.getStatus().getCode() == Status.Code.ABORTED && attempt < 5) continue;
        throw e;
      }
      // kubectl: "unlabeled" when the change only removed labels, else "labeled".
      return name + (!overwrite && labels.size() < old.size() && add.isEmpty() ? " unlabeled" : " labeled");
    }
  }
}
