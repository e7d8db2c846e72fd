package io.svcplane.security;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.util.concurrent.Executor;

/**
 * A bearer token sent as {@code authorization: Bearer TOKEN} with every call, and only over a
 * TLS connection: on a plaintext one the call fails instead of giving the token away.
 */
public final class BearerToken extends CallCredentials {
  public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String token;

  public BearerToken(String token) {
    if (token == null || token.isBlank()) throw new IllegalArgumentException("the bearer token is empty");
    if (token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      throw new IllegalArgumentException("the bearer token holds spaces or characters that are not printable ASCII");
    }
    this.token = token;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    if (info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(Status.UNAUTHENTICATED.withDescription("refusing to send a bearer token over a plaintext connection"));
      return;
    }
    Metadata m = new Metadata();
    m.put(AUTHORIZATION, "Bearer " + token);
    applier.apply(m);
  }

  @Override
  public String toString() {
    return "BearerToken(hidden)";
  }
}
