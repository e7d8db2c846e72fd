package io.svcplane.proxy;

import java.util.Map;

/** What a reconnecting proxy tells the apiserver: the version it folded and what it holds. */
public record ResumePoint(String version, Map<String, String> knownServices) {
  public static final ResumePoint FRESH = new ResumePoint("", Map.of());
}
