package io.svcplane.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The authorization policy file ({@code --authorization-policy-file}): Kubernetes RBAC objects in
 * YAML (rbac.authorization.k8s.io/v1), documents separated by {@code ---} or a {@code kind: List}.
 * Roles and RoleBindings hold in their namespace; ClusterRoles in every namespace and for
 * cluster-scoped kinds when a ClusterRoleBinding binds them, and in one namespace when a
 * RoleBinding there does. Rules only allow: what no rule allows is denied. As in Kubernetes,
 * a rule applies to svcplane's kinds when its apiGroups hold "" (the core group) or "*"; unknown
 * verbs and resources are accepted and never match. Errors name the document, the object and the
 * field.
 */
public final class RbacPolicy {
  record Rule(Set<String> verbs, Set<String> resources, Set<String> resourceNames, boolean coreGroup) {
    boolean matches(Attributes a) {
      if (!coreGroup) return false;
      if (!verbs.contains("*") && !verbs.contains(a.verb())) return false;
      if (!resourceMatches(a.resource())) return false;
      return resourceNames.isEmpty() || resourceNames.contains(a.name()) && !a.name().isEmpty();
    }

    private boolean resourceMatches(String resource) {
      if (resources.contains("*") || resources.contains(resource)) return true;
      int slash = resource.indexOf('/');
      return slash >= 0 && resources.contains("*" + resource.substring(slash));
    }
  }

  record Role(String kind, String namespace, String name, List<Rule> rules) {}

  record Subject(String kind, String name) {
    boolean matches(UserInfo u) {
      return kind.equals("User") ? u.name().equals(name) : u.groups().contains(name);
    }
  }

  record Binding(String kind, String namespace, String name, String roleKind, String roleName, List<Subject> subjects) {}

  private final Map<String, Role> clusterRoles;
  private final Map<String, Role> roles;
  private final List<Binding> clusterBindings;
  private final Map<String, List<Binding>> bindingsByNamespace;

  private RbacPolicy(Map<String, Role> clusterRoles, Map<String, Role> roles, List<Binding> clusterBindings,
      Map<String, List<Binding>> bindingsByNamespace) {
    this.clusterRoles = clusterRoles;
    this.roles = roles;
    this.clusterBindings = clusterBindings;
    this.bindingsByNamespace = bindingsByNamespace;
  }

  /** No roles, no bindings: everything is denied. */
  public static RbacPolicy empty() {
    return new RbacPolicy(Map.of(), Map.of(), List.of(), Map.of());
  }

  public static RbacPolicy load(Path file) throws IOException {
    List<JsonNode> objects = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
      while (docs.hasNextValue()) {
        JsonNode doc = docs.nextValue();
        if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty() && doc.isObject()) continue;
        if ("List".equals(doc.path("kind").asText())) {
          doc.path("items").forEach(objects::add);
        } else {
          objects.add(doc);
        }
      }
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(file + ": not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
    }
    Map<String, Role> clusterRoles = new HashMap<>();
    Map<String, Role> roles = new HashMap<>();
    List<Binding> bindings = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      JsonNode o = objects.get(i);
      String kind = o.path("kind").asText("");
      String name = o.path("metadata").path("name").asText("");
      String ns = o.path("metadata").path("namespace").asText("");
      String where = file + ": object " + (i + 1) + (kind.isEmpty() ? "" : " (" + kind + (name.isEmpty() ? "" : " \"" + name + "\"") + ")");
      if (!o.isObject()) throw new IOException(where + ": not a mapping");
      if (kind.isEmpty()) throw new IOException(where + ": kind: Required value");
      if (name.isEmpty()) throw new IOException(where + ": metadata.name: Required value");
      switch (kind) {
        case "ClusterRole", "Role" -> {
          boolean namespaced = kind.equals("Role");
          requireNamespace(where, namespaced, ns);
          List<Rule> rules = new ArrayList<>();
          JsonNode rs = o.path("rules");
          for (int r = 0; r < rs.size(); r++) rules.add(rule(where + ": rules[" + r + "]", rs.get(r)));
          Role role = new Role(kind, namespaced ? ns : "", name, rules);
          Role before = (namespaced ? roles : clusterRoles).put(namespaced ? ns + "/" + name : name, role);
          if (before != null) throw new IOException(where + ": a " + kind + " of this name is already defined");
        }
        case "ClusterRoleBinding", "RoleBinding" -> {
          boolean namespaced = kind.equals("RoleBinding");
          requireNamespace(where, namespaced, ns);
          JsonNode ref = o.path("roleRef");
          String refKind = ref.path("kind").asText("");
          String refName = ref.path("name").asText("");
          if (refName.isEmpty()) throw new IOException(where + ": roleRef.name: Required value");
          Set<String> allowed = namespaced ? Set.of("Role", "ClusterRole") : Set.of("ClusterRole");
          if (!allowed.contains(refKind)) {
            throw new IOException(where + ": roleRef.kind: Unsupported value: \"" + refKind + "\": supported values: "
                + (namespaced ? "\"ClusterRole\", \"Role\"" : "\"ClusterRole\""));
          }
          List<Subject> subjects = new ArrayList<>();
          JsonNode ss = o.path("subjects");
          for (int s = 0; s < ss.size(); s++) {
            String sk = ss.get(s).path("kind").asText("");
            String sn = ss.get(s).path("name").asText("");
            String at = where + ": subjects[" + s + "]";
            if (!sk.equals("User") && !sk.equals("Group")) {
              throw new IOException(at + ".kind: Unsupported value: \"" + sk + "\": supported values: \"Group\", \"User\""
                  + (sk.equals("ServiceAccount") ? " (svcplane has no service accounts)" : ""));
            }
            if (sn.isEmpty()) throw new IOException(at + ".name: Required value");
            subjects.add(new Subject(sk, sn));
          }
          bindings.add(new Binding(kind, namespaced ? ns : "", name, refKind, refName, subjects));
        }
        default -> throw new IOException(where + ": kind: Unsupported value: \"" + kind
            + "\": supported values: \"ClusterRole\", \"ClusterRoleBinding\", \"Role\", \"RoleBinding\"");
      }
    }
    List<Binding> clusterBindings = new ArrayList<>();
    Map<String, List<Binding>> byNamespace = new HashMap<>();
    for (Binding b : bindings) {
      // Unlike Kubernetes, a binding to a role that is not in the file is an error: in one static
      // file it can only be a typo.
      boolean exists = b.roleKind().equals("ClusterRole") ? clusterRoles.containsKey(b.roleName())
          : roles.containsKey(b.namespace() + "/" + b.roleName());
      if (!exists) {
        throw new IOException(file + ": " + b.kind() + " \"" + b.name() + "\": roleRef.name: Not found: " + b.roleKind() + " \""
            + b.roleName() + "\"" + (b.roleKind().equals("Role") ? " in namespace \"" + b.namespace() + "\"" : ""));
      }
      if (b.namespace().isEmpty()) clusterBindings.add(b);
      else byNamespace.computeIfAbsent(b.namespace(), k -> new ArrayList<>()).add(b);
    }
    return new RbacPolicy(clusterRoles, roles, clusterBindings, byNamespace);
  }

  /** Allowed when a binding of a role whose rule matches names the user or one of its groups; else no opinion. */
  public Decision authorize(UserInfo user, Attributes a) {
    for (Binding b : clusterBindings) {
      if (bound(b, user) && allows(clusterRoles.get(b.roleName()), a)) return Decision.allow(reason(b));
    }
    if (!a.namespace().isEmpty()) {
      for (Binding b : bindingsByNamespace.getOrDefault(a.namespace(), List.of())) {
        Role role = b.roleKind().equals("ClusterRole") ? clusterRoles.get(b.roleName()) : roles.get(b.namespace() + "/" + b.roleName());
        if (bound(b, user) && allows(role, a)) return Decision.allow(reason(b));
      }
    }
    return Decision.NO_OPINION;
  }

  public int roles() {
    return clusterRoles.size() + roles.size();
  }

  public int bindings() {
    return clusterBindings.size() + bindingsByNamespace.values().stream().mapToInt(List::size).sum();
  }

  private static boolean bound(Binding b, UserInfo user) {
    for (Subject s : b.subjects()) if (s.matches(user)) return true;
    return false;
  }

  private static boolean allows(Role role, Attributes a) {
    if (role == null) return false;
    for (Rule r : role.rules()) if (r.matches(a)) return true;
    return false;
  }

  private static String reason(Binding b) {
    return "allowed by " + b.kind() + " \"" + b.name() + "\"" + (b.namespace().isEmpty() ? "" : " in namespace \"" + b.namespace() + "\"")
        + " of " + b.roleKind() + " \"" + b.roleName() + "\"";
  }

  private static void requireNamespace(String where, boolean namespaced, String ns) throws IOException {
    if (namespaced && ns.isEmpty()) throw new IOException(where + ": metadata.namespace: Required value");
    if (!namespaced && !ns.isEmpty()) {
      throw new IOException(where + ": metadata.namespace: Invalid value: \"" + ns + "\": cluster-scoped objects have no namespace");
    }
  }

  private static Rule rule(String where, JsonNode r) throws IOException {
    if (r.has("nonResourceURLs")) throw new IOException(where + ".nonResourceURLs: svcplane serves no non-resource URLs");
    Set<String> groups = strings(r.path("apiGroups"));
    Set<String> verbs = strings(r.path("verbs"));
    Set<String> resources = strings(r.path("resources"));
    if (verbs.isEmpty()) throw new IOException(where + ".verbs: Required value: verbs must contain at least one value");
    if (resources.isEmpty()) throw new IOException(where + ".resources: Required value: resource rules must supply at least one resource");
    if (!r.has("apiGroups")) {
      throw new IOException(where + ".apiGroups: Required value: resource rules must supply at least one api group"
          + " (\"\" is the core group of pods, services, endpoints, nodes and namespaces)");
    }
    return new Rule(verbs, resources, strings(r.path("resourceNames")), groups.contains("") || groups.contains("*"));
  }

  private static Set<String> strings(JsonNode n) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    if (n.isMissingNode() || n.isNull()) return out;
    if (!n.isArray()) throw new IOException("expected a list, found " + n.getNodeType().toString().toLowerCase());
    for (JsonNode v : n) out.add(v.asText());
    return out;
  }
}
