package io.svcplane.svcctl;

import io.svcplane.api.v1.Resource;
import picocli.CommandLine.Command;

/** {@code svcctl create -f}: create every object of the manifests; existing ones are errors. */
@Command(name = "create", description = "Create resources from manifests (file, directory or - for stdin).", sortOptions = false)
final class CreateCommand extends WriteCommand {
  @Override
  String verb() {
    return "create";
  }

  @Override
  String verbing() {
    return "creating";
  }

  @Override
  Outcome send(Resource r, boolean serverDryRun) {
    return new Outcome(root.client().create(r, serverDryRun), "created");
  }
}
