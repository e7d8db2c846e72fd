package io.svcplane.svcctl;

import io.svcplane.api.v1.ApplyResponse;
import io.svcplane.api.v1.Resource;
import picocli.CommandLine.Command;

/** {@code svcctl apply -f}: create or update every object of the manifests to match them. */
@Command(name = "apply", description = "Create or update resources to match manifests (file, directory or - for stdin).", sortOptions = false)
final class ApplyCommand extends WriteCommand {
  @Override
  String verb() {
    return "apply";
  }

  @Override
  String verbing() {
    return "applying";
  }

  @Override
  Outcome send(Resource r, boolean serverDryRun) {
    ApplyResponse resp = root.client().apply(r, serverDryRun);
    String done = switch (resp.getResult()) {
      case CREATED -> "created";
      case CONFIGURED -> "configured";
      case UNCHANGED -> "unchanged";
      default -> "configured";
    };
    return new Outcome(resp.getObject(), done);
  }

  @Override
  String clientDryRunWord() {
    return "configured";
  }
}
