package io.svcplane.svcctl;

import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.manifest.Manifests;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What create, apply and delete -f share: read the manifests, act on each object in file order,
 * print one line per success as it happens, keep going past failures, report them all at the end
 * and exit 1 if there were any (kubectl's ContinueOnError visitor).
 */
abstract class ManifestCommand implements Callable<Integer> {
  @ParentCommand Svcctl root;

  @Option(names = {"-f", "--filename"}, paramLabel = "FILE|DIR|-", description = "Manifest file, directory of manifests, or - for stdin.")
  List<String> files = new ArrayList<>();

  @Option(names = {"-R", "--recursive"}, description = "Read the directories given with -f recursively.")
  boolean recursive;

  /** kubectl's verb in "no objects passed to X". */
  abstract String verb();

  /** kubectl's "-ing" verb in "error when X \"file\"". */
  abstract String verbing();

  /** Acts on one object; returns what to print on success, or null to print nothing. */
  abstract String act(Resource r, String source);

  /** Called once with everything done, to print outputs that come at the end. */
  void finish() {}

  @Override
  public Integer call() {
    List<ManifestFiles.Source> sources = ManifestFiles.read(files, recursive, root.term.in());
    PrintStream out = root.term.out();
    List<String> errors = new ArrayList<>();
    int objects = 0;
    boolean serverGone = false;
    for (ManifestFiles.Source source : sources) {
      List<Manifests.Document> docs = source.reading().documents();
      for (Manifests.Document doc : docs) {
        if (serverGone) break;
        if (!doc.ok()) {
          String where = docs.size() > 1 || source.reading().syntaxError() != null
              ? " (document " + doc.index() + ", line " + doc.line() + ")" : "";
          errors.add("error: error validating \"" + source.name() + "\"" + where + ": " + doc.error());
          continue;
        }
        objects++;
        Resource r;
        try {
          r = inNamespace(doc.resource());
        } catch (CliException e) {
          errors.add(e.getMessage());
          continue;
        }
        var meta = Kinds.metadata(r);
        try {
          String line = act(r, source.name());
          if (line != null) {
            out.println(line);
            out.flush();
          }
        } catch (StatusRuntimeException e) {
          errors.add(root.apiError(e, new ApiErrors.Op(Kinds.kindOf(r), meta.getName(), verbing(), source.name())));
          if (Svcctl.isConnectionFailure(e)) serverGone = true;
        } catch (CliException e) {
          errors.add(e.getMessage());
        }
      }
      var syntax = source.reading().syntaxError();
      if (syntax != null && !serverGone) {
        errors.add("error: error parsing " + source.name() + ": "
            + syntax.getMessage().replaceFirst("^error parsing manifest ", ""));
      }
    }
    finish();
    out.flush();
    if (objects == 0 && errors.isEmpty()) errors.add("error: no objects passed to " + verb());
    errors.forEach(root.term.err()::println);
    return errors.isEmpty() ? 0 : 1;
  }

  /**
   * The object with its namespace: the manifest's, else -n, else default. A manifest namespace
   * that contradicts an explicit -n is an error, as in kubectl.
   */
  Resource inNamespace(Resource r) {
    Kind kind = Kinds.kindOf(r);
    var meta = Kinds.metadata(r);
    if (!Kinds.isNamespaced(kind)) return r;
    String ns = meta.getNamespace();
    if (ns.isEmpty()) return Kinds.withMetadata(r, meta.toBuilder().setNamespace(root.namespace()).build());
    if (root.namespaceGiven() && !ns.equals(root.namespace())) {
      throw new CliException("error: the namespace from the provided object \"" + ns
          + "\" does not match the namespace \"" + root.namespace() + "\". You must pass '--namespace=" + ns
          + "' to perform this operation.");
    }
    return r;
  }
}
