package io.svcplane.apiserver.auth;

import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.svcplane.security.ClientCertificateVerifier;
import io.svcplane.security.OwnerOnlyFiles;
import io.svcplane.security.ServerTls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the apiserver guards its gRPC port: TLS with its serving certificate, authentication by
 * client certificate (signed by the client CA) or bearer token (the static token file), and
 * authorization by the RBAC policy; or none of it ({@link #insecure()}: plaintext, no
 * authentication, everyone may do everything, as Kubernetes' old insecure port).
 */
public final class ApiSecurity {
  private static final Logger log = LoggerFactory.getLogger(ApiSecurity.class);

  private final ServerTls tls;
  private final Authenticator authenticator;
  private final RequestAuthorizer authorizer;
  private final String description;

  private ApiSecurity(ServerTls tls, Authenticator authenticator, RequestAuthorizer authorizer, String description) {
    this.tls = tls;
    this.authenticator = authenticator;
    this.authorizer = authorizer;
    this.description = description;
  }

  /** Plaintext; no authentication; every request allowed. For experiments and in-process tests. */
  public static ApiSecurity insecure() {
    return new ApiSecurity(null, null, RequestAuthorizer.ALLOW_ALL,
        "INSECURE: plaintext, no authentication, no authorization");
  }

  /**
   * TLS with {@code tls}; users from client certificates (when {@code tls} has a client CA) and
   * from {@code tokenFile} (null: none); rules from {@code policyFile} (null: none, so only
   * system:masters and nodes may do anything).
   */
  public static ApiSecurity load(ServerTls tls, Path tokenFile, Path policyFile) throws IOException {
    ClientCertificateVerifier certs = tls.clientCaFile() == null ? null : new ClientCertificateVerifier(tls.clientCaFile());
    TokenFile tokens = tokenFile == null ? null : TokenFile.load(tokenFile);
    RbacPolicy policy = policyFile == null ? RbacPolicy.empty() : RbacPolicy.load(policyFile);
    for (Path secret : new Path[] {tls.keyFile(), tokenFile}) {
      String problem = secret == null ? null : OwnerOnlyFiles.problem(secret);
      if (problem != null) log.warn("{}", problem);
    }
    List<String> parts = new ArrayList<>();
    parts.add(tls.toString());
    parts.add(certs == null ? "no client certificates" : "client certificates");
    parts.add(tokens == null ? "no token file" : tokens.size() + " token" + (tokens.size() == 1 ? "" : "s") + " from " + tokenFile);
    parts.add(policyFile == null ? "no policy file" : "policy " + policyFile + " (" + policy.roles() + " roles, "
        + policy.bindings() + " bindings)");
    return new ApiSecurity(tls, new Authenticator(certs, tokens), new PolicyAuthorizer(policy), String.join(", ", parts));
  }

  public boolean isInsecure() {
    return tls == null;
  }

  /** The server's TLS credentials, or null when insecure. */
  public ServerCredentials credentials() throws IOException {
    return tls == null ? null : tls.credentials();
  }

  /** Interceptors for every service: authentication, when secure. */
  public List<ServerInterceptor> interceptors() {
    return authenticator == null ? List.of() : List.of(new AuthenticationInterceptor(authenticator));
  }

  public RequestAuthorizer authorizer() {
    return authorizer;
  }

  /** For the start line: what guards the port (file names and counts, never a secret). */
  @Override
  public String toString() {
    return description;
  }
}
