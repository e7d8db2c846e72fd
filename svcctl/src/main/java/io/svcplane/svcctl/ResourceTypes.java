package io.svcplane.svcctl;

import io.svcplane.api.v1.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The resource type names kubectl accepts for svcplane's five kinds, with their short names. */
public final class ResourceTypes {
  private ResourceTypes() {}

  private static final Map<String, Kind> NAMES = Map.ofEntries(
      Map.entry("pods", Kind.POD), Map.entry("pod", Kind.POD), Map.entry("po", Kind.POD),
      Map.entry("services", Kind.SERVICE), Map.entry("service", Kind.SERVICE), Map.entry("svc", Kind.SERVICE),
      Map.entry("endpoints", Kind.ENDPOINTS), Map.entry("endpoint", Kind.ENDPOINTS), Map.entry("ep", Kind.ENDPOINTS),
      Map.entry("nodes", Kind.NODE), Map.entry("node", Kind.NODE), Map.entry("no", Kind.NODE),
      Map.entry("namespaces", Kind.NAMESPACE), Map.entry("namespace", Kind.NAMESPACE), Map.entry("ns", Kind.NAMESPACE));

  /** What {@code svcctl get} lists for {@code all}: kubectl's "all" category, for the kinds svcplane has. */
  static final List<Kind> ALL = List.of(Kind.POD, Kind.SERVICE);

  static final String VALID_TYPES =
      "pods (po), services (svc), endpoints (ep), nodes (no), namespaces (ns)";

  /** One type name ("svc", "Service", "services"; an optional "/v1" or ".v1" suffix is accepted). */
  public static Kind parse(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".v1.")) n = n.substring(0, n.length() - 4);
    else if (n.endsWith(".v1")) n = n.substring(0, n.length() - 3);
    Kind k = NAMES.get(n);
    if (k == null) throw new CliException("error: the server doesn't have a resource type \"" + name + "\"");
    return k;
  }

  /** A comma list ("svc,ep"), with "all" expanded; duplicates dropped, order kept. */
  static List<Kind> parseList(String list) {
    List<Kind> kinds = new ArrayList<>();
    for (String part : list.split(",", -1)) {
      if (part.isEmpty()) continue;
      List<Kind> these = part.equalsIgnoreCase("all") ? ALL : List.of(parse(part));
      for (Kind k : these) if (!kinds.contains(k)) kinds.add(k);
    }
    if (kinds.isEmpty()) throw new CliException("error: the server doesn't have a resource type \"" + list + "\"");
    return kinds;
  }

  /** One object to act on, from command-line arguments. */
  public record Ref(Kind kind, String name) {}

  /**
   * kubectl's argument forms: {@code TYPE[,TYPE...] [NAME...]} or {@code TYPE/NAME...}. Returns
   * the kinds (each with no name = the whole collection) or the named objects.
   */
  public static List<Ref> parseArgs(List<String> args, String verb) {
    if (args.isEmpty()) {
      throw new CliException("error: you must specify the type of resource to " + verb
          + ". Valid resource types: " + VALID_TYPES);
    }
    boolean slashForm = args.get(0).contains("/");
    List<Ref> refs = new ArrayList<>();
    if (slashForm) {
      for (String a : args) {
        int slash = a.indexOf('/');
        if (slash < 0) {
          throw new CliException("error: there is no need to specify a resource type as a separate argument"
              + " when passing arguments in resource/name form (e.g. 'svcctl " + verb
              + " resource/<resource_name>' instead of 'svcctl " + verb + " resource resource/<resource_name>'");
        }
        String name = a.substring(slash + 1);
        if (name.isEmpty()) throw new CliException("error: arguments in resource/name form must have a single resource and name");
        refs.add(new Ref(parse(a.substring(0, slash)), name));
      }
      return refs;
    }
    List<Kind> kinds = parseList(args.get(0));
    List<String> names = args.subList(1, args.size());
    for (String n : names) {
      if (n.contains("/")) {
        throw new CliException("error: there is no need to specify a resource type as a separate argument"
            + " when passing arguments in resource/name form (e.g. 'svcctl " + verb
            + " resource/<resource_name>' instead of 'svcctl " + verb + " resource resource/<resource_name>'");
      }
    }
    if (names.isEmpty()) {
      for (Kind k : kinds) refs.add(new Ref(k, null));
    } else {
      for (Kind k : kinds) for (String n : names) refs.add(new Ref(k, n));
    }
    return refs;
  }
}
