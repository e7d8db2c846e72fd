package io.svcplane.apiserver.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every call before it reaches a service and puts the user in the call's
 * {@link Context} ({@link #USER}). A call nobody can be made of ends with UNAUTHENTICATED
 * "Unauthorized", as Kubernetes answers 401; only gRPC health is open to anyone (Kubernetes'
 * /healthz is public too), so probes need no credentials.
 */
public final class AuthenticationInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AuthenticationInterceptor.class);
  public static final Context.Key<UserInfo> USER = Context.key("svcplane-user");
  private static final Set<String> PUBLIC_SERVICES = Set.of(HealthGrpc.SERVICE_NAME);

  private final Authenticator authenticator;

  public AuthenticationInterceptor(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Authenticator.Result r = authenticator.authenticate(headers, call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (r.user() == null) {
      if (PUBLIC_SERVICES.contains(call.getMethodDescriptor().getServiceName())) return next.startCall(call, headers);
      log.info("unauthenticated call {} from {}: {}", call.getMethodDescriptor().getFullMethodName(),
          call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), r.failure());
      call.close(Status.UNAUTHENTICATED.withDescription("Unauthorized"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(USER, r.user()), call, headers, next);
  }
}
