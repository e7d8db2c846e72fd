package io.svcplane.core.validation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * An object failed validation: Kubernetes' 422 Invalid. Its message is kubectl's
 * {@code Service "web" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and
 * 65535, inclusive}, with several errors joined by ", " inside brackets as Kubernetes aggregates
 * them.
 */
public final class InvalidObjectException extends RuntimeException {
  private final String kindName;
  private final String name;
  private final List<FieldError> errors;

  public InvalidObjectException(String kindName, String name, List<FieldError> errors) {
    super(message(kindName, name, errors));
    if (errors.isEmpty()) throw new IllegalArgumentException("an invalid object needs at least one error");
    this.kindName = kindName;
    this.name = name;
    this.errors = List.copyOf(errors);
  }

  public String kindName() {
    return kindName;
  }

  public String name() {
    return name;
  }

  public List<FieldError> errors() {
    return errors;
  }

  /** Kubernetes' NewInvalid message with errors.NewAggregate's formatting (duplicates dropped). */
  public static String message(String kindName, String name, List<FieldError> errors) {
    List<String> msgs = new ArrayList<>(new LinkedHashSet<>(errors.stream().map(FieldError::toString).toList()));
    String agg = msgs.size() == 1 ? msgs.get(0) : "[" + String.join(", ", msgs) + "]";
    return kindName + " " + FieldError.quote(name) + " is invalid: " + agg;
  }
}
