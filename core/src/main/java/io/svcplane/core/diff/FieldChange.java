package io.svcplane.core.diff;

/**
 * One difference between two versions of an object, at a Kubernetes field path such as
 * {@code spec.ports[0].port} or {@code status.conditions[type=Ready].status}.
 *
 * @param before the old value as text, or null if the field was unset
 * @param after the new value as text, or null if the field is now unset
 */
public record FieldChange(String path, String before, String after) {

  public enum Op { ADDED, REMOVED, CHANGED }

  public Op op() {
    if (before == null) return Op.ADDED;
    if (after == null) return Op.REMOVED;
    return Op.CHANGED;
  }

  /** One line: {@code path: 80 -> 8080}, {@code + path: value}, {@code - path: value}. */
  @Override
  public String toString() {
    return switch (op()) {
      case ADDED -> "+ " + path + ": " + after;
      case REMOVED -> "- " + path + ": " + before;
      case CHANGED -> path + ": " + before + " -> " + after;
    };
  }
}
