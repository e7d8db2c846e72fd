package io.svcplane.apiserver.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * Who made a request, as Kubernetes' user.Info: a name, a uid and groups. Every authenticated
 * user is also in {@value #AUTHENTICATED}.
 */
public record UserInfo(String name, String uid, List<String> groups) {
  public static final String AUTHENTICATED = "system:authenticated";
  public static final String MASTERS = "system:masters";
  public static final String NODES = "system:nodes";
  public static final String NODE_PREFIX = "system:node:";

  public UserInfo {
    List<String> g = new ArrayList<>(groups);
    if (!g.contains(AUTHENTICATED)) g.add(AUTHENTICATED);
    groups = List.copyOf(g);
  }

  /** The node this user speaks for (a node proxy: {@code system:node:NAME} in group system:nodes), or null. */
  public String nodeName() {
    return name.startsWith(NODE_PREFIX) && groups.contains(NODES) ? name.substring(NODE_PREFIX.length()) : null;
  }

  public boolean inGroup(String group) {
    return groups.contains(group);
  }
}
