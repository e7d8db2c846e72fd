package io.svcplane.svcctl;

import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import io.svcplane.core.manifest.Manifests;
import java.util.List;

/** {@code -o}: kubectl's output formats that svcctl supports. */
enum OutputFormat {
  TABLE, WIDE, YAML, JSON, NAME;

  static OutputFormat parse(String o, boolean tables) {
    if (o == null || o.isEmpty()) return TABLE;
    switch (o) {
      case "wide":
        if (tables) return WIDE;
        break;
      case "yaml":
        return YAML;
      case "json":
        return JSON;
      case "name":
        return NAME;
      default:
        break;
    }
    throw new CliException("error: unable to match a printer suitable for the output format \"" + o
        + "\", allowed formats are: " + (tables ? "json,name,wide,yaml" : "json,name,yaml"));
  }

  /** kubectl's {@code -o name}: {@code service/svc-nginx}. */
  static String name(Resource r) {
    return Kinds.singular(Kinds.kindOf(r)) + "/" + Kinds.metadata(r).getName();
  }

  /** The objects as kubectl prints them: one object as itself, several (or a listing) as a List. */
  static String document(OutputFormat f, List<Resource> items, boolean single) {
    boolean one = single && items.size() == 1;
    if (f == YAML) return one ? Manifests.toYaml(items.get(0)) : Manifests.toYamlList(items);
    return one ? Manifests.toJson(items.get(0)) : Manifests.toJsonList(items);
  }
}
