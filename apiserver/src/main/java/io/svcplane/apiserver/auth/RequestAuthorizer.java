package io.svcplane.apiserver.auth;

/**
 * Decides whether the caller of the current gRPC call (the user the authentication interceptor
 * put in its Context) may do what {@link Attributes} say. The gRPC services call it once per
 * verb, kind and namespace before they do anything.
 */
public interface RequestAuthorizer {
  /** Everyone may do everything: an apiserver started with --insecure, and in-process tests. */
  RequestAuthorizer ALLOW_ALL = a -> { };

  /** Returns when allowed; else throws an ApiException: PERMISSION_DENIED with Kubernetes' Forbidden message. */
  void check(Attributes attributes);
}
