package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.svcplane.api.v1.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourceTypesTest {
  @Test
  void everyKubectlNameAndShortNameResolves() {
    for (String n : List.of("pods", "pod", "po", "Pod")) assertEquals(Kind.POD, ResourceTypes.parse(n));
    for (String n : List.of("services", "service", "svc")) assertEquals(Kind.SERVICE, ResourceTypes.parse(n));
    for (String n : List.of("endpoints", "ep")) assertEquals(Kind.ENDPOINTS, ResourceTypes.parse(n));
    for (String n : List.of("nodes", "node", "no")) assertEquals(Kind.NODE, ResourceTypes.parse(n));
    for (String n : List.of("namespaces", "namespace", "ns")) assertEquals(Kind.NAMESPACE, ResourceTypes.parse(n));
  }

  @Test
  void unknownTypeIsTheServersMessage() {
    var e = assertThrows(CliException.class, () -> ResourceTypes.parse("foo"));
    assertEquals("error: the server doesn't have a resource type \"foo\"", e.getMessage());
  }

  @Test
  void argumentFormsOfKubectl() {
    assertEquals(List.of(new ResourceTypes.Ref(Kind.SERVICE, null), new ResourceTypes.Ref(Kind.ENDPOINTS, null)),
        ResourceTypes.parseArgs(List.of("svc,ep"), "get"));
    assertEquals(List.of(new ResourceTypes.Ref(Kind.SERVICE, "a"), new ResourceTypes.Ref(Kind.SERVICE, "b")),
        ResourceTypes.parseArgs(List.of("svc", "a", "b"), "get"));
    assertEquals(List.of(new ResourceTypes.Ref(Kind.SERVICE, "a"), new ResourceTypes.Ref(Kind.POD, "p")),
        ResourceTypes.parseArgs(List.of("service/a", "po/p"), "get"));
    assertEquals(List.of(new ResourceTypes.Ref(Kind.POD, null), new ResourceTypes.Ref(Kind.SERVICE, null)),
        ResourceTypes.parseArgs(List.of("all"), "get"));
    assertThrows(CliException.class, () -> ResourceTypes.parseArgs(List.of("svc", "service/a"), "get"));
    assertThrows(CliException.class, () -> ResourceTypes.parseArgs(List.of(), "get"));
  }
}
