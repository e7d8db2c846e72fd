package io.svcplane.apiserver;

import io.grpc.Status;
import io.svcplane.api.v1.Kind;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.validation.FieldError;
import io.svcplane.core.validation.InvalidObjectException;
import java.util.List;

/**
 * A request the apiserver refuses, with the gRPC status code and Kubernetes' message for it. The
 * gRPC adapter turns it into a status (plus a google.rpc.BadRequest for field errors).
 */
public final class ApiException extends RuntimeException {
  private final Status.Code code;
  private final List<FieldError> fieldErrors;

  public ApiException(Status.Code code, String message) {
    this(code, message, List.of());
  }

  public ApiException(Status.Code code, String message, List<FieldError> fieldErrors) {
    super(message, null, false, false);
    this.code = code;
    this.fieldErrors = List.copyOf(fieldErrors);
  }

  public Status.Code code() {
    return code;
  }

  public List<FieldError> fieldErrors() {
    return fieldErrors;
  }

  public static ApiException invalid(String kindName, String name, List<FieldError> errors) {
    return new ApiException(Status.Code.INVALID_ARGUMENT, InvalidObjectException.message(kindName, name, errors), errors);
  }

  public static ApiException invalid(ObjectKey key, List<FieldError> errors) {
    return invalid(Kinds.kindName(key.kind()), key.name(), errors);
  }

  /** Kubernetes: {@code services "web" not found}. */
  public static ApiException notFound(ObjectKey key) {
    return notFound(key.kind(), key.name());
  }

  public static ApiException notFound(Kind kind, String name) {
    return new ApiException(Status.Code.NOT_FOUND, Kinds.plural(kind) + " \"" + name + "\" not found");
  }

  /** Kubernetes: {@code services "web" already exists}. */
  public static ApiException alreadyExists(ObjectKey key) {
    return new ApiException(Status.Code.ALREADY_EXISTS, Kinds.plural(key.kind()) + " \"" + key.name() + "\" already exists");
  }

  /** Kubernetes' 409 Conflict on a stale resourceVersion. */
  public static ApiException conflict(ObjectKey key) {
    return new ApiException(Status.Code.ABORTED, "Operation cannot be fulfilled on " + Kinds.plural(key.kind()) + " \""
        + key.name() + "\": the object has been modified; please apply your changes to the latest version and try again");
  }

  public static ApiException badRequest(String message) {
    return new ApiException(Status.Code.INVALID_ARGUMENT, message);
  }

  public static ApiException unavailable(String message) {
    return new ApiException(Status.Code.UNAVAILABLE, message);
  }
}
