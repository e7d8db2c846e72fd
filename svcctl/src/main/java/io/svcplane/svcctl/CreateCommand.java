package io.svcplane.svcctl;

import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code svcctl create -f}: create every object of the manifests; existing ones are errors. Also
 * kubectl's imperative {@code create namespace NAME}.
 */
@Command(name = "create", description = "Create resources from manifests (file, directory or - for stdin),"
    + " or a namespace: create namespace NAME.", sortOptions = false)
final class CreateCommand extends WriteCommand {
  @Parameters(paramLabel = "namespace NAME", arity = "0..2")
  List<String> args = new ArrayList<>();

  @Override
  String verb() {
    return "create";
  }

  @Override
  String verbing() {
    return "creating";
  }

  @Override
  public Integer call() {
    if (args.isEmpty()) return super.call();
    if (!files.isEmpty()) throw new CliException("error: cannot use -f together with create " + args.get(0));
    if (ResourceTypes.parse(args.get(0)) != Kind.NAMESPACE) {
      throw new CliException("error: svcctl can create only a namespace by name (create namespace NAME); use -f for "
          + args.get(0));
    }
    if (args.size() < 2) throw new CliException("error: exactly one NAME is required, got 0");
    Resource ns = Kinds.wrap(Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(args.get(1))).build());
    checkOptions();
    try {
      String line = act(ns, null);
      if (line != null) root.term.out().println(line);
      finish();
      return 0;
    } catch (StatusRuntimeException e) {
      root.term.err().println(root.apiError(e, ApiErrors.Op.of(Kind.NAMESPACE, args.get(1))));
      return 1;
    }
  }

  @Override
  Outcome send(Resource r, boolean serverDryRun) {
    return new Outcome(root.client().create(r, serverDryRun), "created");
  }
}
