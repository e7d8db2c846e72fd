package io.svcplane.apiserver.auth;

import java.util.Set;

/**
 * Kubernetes' Node authorizer and NodeRestriction admission in one: a node proxy
 * ({@code system:node:NAME} in group {@code system:nodes}) may read services, endpoints and
 * nodes, and write its own Node (and its status) only. Writing any other node is denied, whatever
 * the policy says; other requests of a node are left to the policy.
 */
public final class NodeAuthorizer {
  private static final Set<String> NODE_RESOURCES = Set.of("nodes", "nodes/status");
  private static final Set<String> READABLE = Set.of("services", "endpoints", "nodes");
  private static final Set<String> WRITE_VERBS = Set.of("create", "update", "patch", "delete");

  public Decision authorize(UserInfo user, Attributes a) {
    String node = user.nodeName();
    if (node == null) return Decision.NO_OPINION;
    if (NODE_RESOURCES.contains(a.resource()) && WRITE_VERBS.contains(a.verb())) {
      if (a.name().equals(node)) return Decision.allow("a node may write its own Node");
      return Decision.deny("node \"" + node + "\" may only act for itself"
          + (a.name().isEmpty() ? "" : ", not for node \"" + a.name() + "\""));
    }
    if (a.isRead() && READABLE.contains(a.resource())) return Decision.allow("nodes read services, endpoints and nodes");
    return Decision.NO_OPINION;
  }
}
