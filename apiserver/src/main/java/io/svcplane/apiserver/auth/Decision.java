package io.svcplane.apiserver.auth;

/** An authorizer's answer: allow, deny (final), or no opinion (the next authorizer decides); with why. */
public record Decision(Kind kind, String reason) {
  public enum Kind { ALLOW, DENY, NO_OPINION }

  public static final Decision NO_OPINION = new Decision(Kind.NO_OPINION, "");

  public static Decision allow(String reason) {
    return new Decision(Kind.ALLOW, reason);
  }

  public static Decision deny(String reason) {
    return new Decision(Kind.DENY, reason);
  }

  public boolean allowed() {
    return kind == Kind.ALLOW;
  }
}
