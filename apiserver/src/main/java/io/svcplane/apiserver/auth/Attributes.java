package io.svcplane.apiserver.auth;

import io.svcplane.api.v1.Kind;
import io.svcplane.core.Kinds;

/**
 * What a request does, as Kubernetes' authorizer sees it: a verb (get, list, watch, create,
 * update, patch, delete), a resource ("services", or "pods/status" for a subresource), the
 * namespace ("" for cluster-scoped kinds and for requests across all namespaces) and the object's
 * name ("" for list, watch and create).
 */
public record Attributes(String verb, String resource, String namespace, String name) {
  public static final java.util.Set<String> READ_VERBS = java.util.Set.of("get", "list", "watch");

  /** A request about a kind; a Namespace object is in its own namespace, as in Kubernetes. */
  public static Attributes of(String verb, Kind kind, String namespace, String name) {
    if (kind == Kind.KIND_UNSPECIFIED || kind == Kind.UNRECOGNIZED) {
      throw io.svcplane.apiserver.ApiException.badRequest("kind: Required value: one of NAMESPACE, NODE, POD, SERVICE, ENDPOINTS");
    }
    String ns;
    if (kind == Kind.NAMESPACE) ns = name;
    else if (Kinds.isNamespaced(kind)) ns = namespace;
    else ns = "";
    return new Attributes(verb, Kinds.plural(kind), ns, name);
  }

  public Attributes subresource(String sub) {
    return new Attributes(verb, resource + "/" + sub, namespace, name);
  }

  public boolean isRead() {
    return READ_VERBS.contains(verb);
  }

  /** Kubernetes' Forbidden message: {@code services "web" is forbidden: User "dev" cannot delete resource "services" in namespace "prod"}. */
  public String forbidden(String user, String reason) {
    String base = resource.contains("/") ? resource.substring(0, resource.indexOf('/')) : resource;
    String scope = namespace.isEmpty() ? "at the cluster scope" : "in namespace \"" + namespace + "\"";
    return base + (name.isEmpty() ? "" : " \"" + name + "\"") + " is forbidden: User \"" + user + "\" cannot " + verb
        + " resource \"" + resource + "\" " + scope + (reason == null || reason.isEmpty() ? "" : ": " + reason);
  }

  @Override
  public String toString() {
    return verb + " " + resource + (name.isEmpty() ? "" : " \"" + name + "\"")
        + (namespace.isEmpty() ? " (cluster scope)" : " in namespace \"" + namespace + "\"");
  }
}
