package io.svcplane.core.forwarding;

import java.util.Locale;

/** Transport protocol of a service port. */
public enum Protocol {
  TCP, UDP, SCTP;

  /** Kubernetes' protocol string; empty means TCP. */
  public static Protocol of(String s) {
    return s == null || s.isEmpty() ? TCP : valueOf(s.toUpperCase(Locale.ROOT));
  }

  /** The name nft uses: "tcp", "udp", "sctp". */
  public String lower() {
    return name().toLowerCase(Locale.ROOT);
  }
}
