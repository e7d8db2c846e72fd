package io.svcplane.apiserver.auth;

import io.grpc.Status;
import io.svcplane.apiserver.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secure apiserver's authorizer, in Kubernetes' order: members of {@code system:masters}
 * may do everything; then the {@link NodeAuthorizer} (which also denies a node writing another
 * node, whatever the policy says); then the RBAC {@link RbacPolicy}. What nothing allows is
 * denied.
 */
public final class PolicyAuthorizer implements RequestAuthorizer {
  private static final Logger log = LoggerFactory.getLogger(PolicyAuthorizer.class);

  private final NodeAuthorizer nodes = new NodeAuthorizer();
  private final RbacPolicy policy;

  public PolicyAuthorizer(RbacPolicy policy) {
    this.policy = policy;
  }

  public Decision decide(UserInfo user, Attributes a) {
    if (user.inGroup(UserInfo.MASTERS)) return Decision.allow("member of " + UserInfo.MASTERS);
    Decision d = nodes.authorize(user, a);
    if (d.kind() != Decision.Kind.NO_OPINION) return d;
    d = policy.authorize(user, a);
    return d.kind() == Decision.Kind.NO_OPINION ? Decision.deny("") : d;
  }

  @Override
  public void check(Attributes a) {
    UserInfo user = AuthenticationInterceptor.USER.get();
    if (user == null) throw new ApiException(Status.Code.UNAUTHENTICATED, "Unauthorized");
    Decision d = decide(user, a);
    if (d.allowed()) return;
    String message = a.forbidden(user.name(), d.reason());
    log.info("forbidden: {}", message);
    throw new ApiException(Status.Code.PERMISSION_DENIED, message);
  }
}
