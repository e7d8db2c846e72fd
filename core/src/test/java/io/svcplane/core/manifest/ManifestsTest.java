package io.svcplane.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.Resource;
import io.svcplane.core.selector.LabelSelector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestsTest {
  static String example(String name) throws Exception {
    return Files.readString(Path.of("..", "examples", name));
  }

  @Test
  void readsTheSeedServiceUnchanged() throws Exception {
    List<Manifests.Document> docs = Manifests.read(example("svc-nginx.yaml"));
    assertEquals(1, docs.size());
    Resource r = docs.get(0).resource();
    assertTrue(r.hasService());
    var spec = r.getService().getSpec();
    assertEquals("NodePort", spec.getType());
    assertEquals("80", spec.getPorts(0).getTargetPort());
    assertEquals(80, spec.getPorts(0).getPort());
    assertEquals("nginx-deploy", LabelSelector.selectorMap(r.getService()).get("app"));
  }

  @Test
  void readsEveryExampleManifest() throws Exception {
    assertEquals(3, Manifests.read(example("nginx-pods.yaml")).size());
    var ext = Manifests.read(example("nginx-svc-external.yaml"));
    assertEquals(2, ext.size());
    assertTrue(ext.get(1).resource().hasEndpoints());
    assertFalse(ext.get(0).resource().getService().getSpec().hasSelector());
    assertEquals("www.baidu.com",
        Manifests.read(example("my-external-domain.yaml")).get(0).resource().getService().getSpec().getExternalName());
    var pods = Manifests.read(example("nginx-pods.yaml"));
    assertEquals("False", pods.get(2).resource().getPod().getStatus().getConditions(0).getStatus());
    assertEquals("10.244.203.38", pods.get(2).resource().getPod().getStatus().getPodIp());
  }

  @Test
  void unknownFieldIsNamedWithItsPathAndOtherDocumentsStillRead() throws Exception {
    String text = """
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        spec:
          ports:
          - port: 80
            tragetPort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: b}
        """;
    var docs = Manifests.read(text);
    assertEquals(2, docs.size());
    assertTrue(docs.get(0).error().contains("unknown field \"spec.ports[0].tragetPort\""), docs.get(0).error());
    assertNull(docs.get(1).error());
    assertEquals(9, docs.get(1).line());
  }

  @Test
  void unknownKindIsAnError() throws Exception {
    var docs = Manifests.read("apiVersion: v1\nkind: Deployment\nmetadata: {name: x}\n");
    assertTrue(docs.get(0).error().contains("no matches for kind \"Deployment\""), docs.get(0).error());
  }

  @Test
  void syntaxErrorNamesTheLine() {
    var e = assertThrows(ManifestException.class,
        () -> Manifests.read("apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n"));
    assertTrue(e.getMessage().contains("line"), e.getMessage());
  }

  @Test
  void yamlOutputReadsBackToTheSameObject() throws Exception {
    for (String f : List.of("svc-nginx.yaml", "nginx-pods.yaml", "nginx-svc-external.yaml")) {
      for (var d : Manifests.read(example(f))) {
        String yaml = Manifests.toYaml(d.resource());
        assertTrue(yaml.startsWith("apiVersion: v1\n"), yaml);
        Resource back = Manifests.read(yaml).get(0).resource();
        assertEquals(io.svcplane.core.Kinds.withTypeMeta(d.resource()), back, yaml);
        String json = Manifests.toJson(d.resource());
        assertEquals(back, Manifests.read(json).get(0).resource());
      }
    }
  }

  @Test
  void numericTargetPortPrintsAsNumberAndConditionStatusStaysAString() throws Exception {
    String yaml = Manifests.toYaml(Manifests.read(example("svc-nginx.yaml")).get(0).resource());
    assertTrue(yaml.contains("targetPort: 80\n"), yaml);
    String pod = Manifests.toYaml(Manifests.read(example("nginx-pods.yaml")).get(0).resource());
    assertTrue(pod.contains("status: \"True\""), pod);
  }

  @Test
  void listKindExpandsToItsItems() throws Exception {
    var list = Manifests.toYamlList(Manifests.read(example("nginx-pods.yaml")).stream().map(Manifests.Document::resource).toList());
    assertEquals(3, Manifests.read(list).size());
  }

  @Test
  void documentsBeforeASyntaxErrorAreKeptAndTheErrorNamesItsLine() {
    String text = """
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: b
           bad: indent
        """;
    Manifests.Reading r = Manifests.readUntilSyntaxError(text);
    assertEquals(1, r.documents().size());
    assertEquals("a", r.documents().get(0).resource().getService().getMetadata().getName());
    assertEquals("error parsing manifest at line 9, column 7: mapping values are not allowed here",
        r.syntaxError().getMessage());
    assertThrows(ManifestException.class, () -> Manifests.read(text));
  }

  @Test
  void timestampsAreQuotedAsKubectlPrintsThem() throws Exception {
    Resource svc = Manifests.read(example("svc-nginx.yaml")).get(0).resource();
    var meta = svc.getService().getMetadata().toBuilder()
        .setCreationTimestamp(com.google.protobuf.Timestamp.newBuilder().setSeconds(1795683600))
        .putAnnotations("endpoints.kubernetes.io/last-change-trigger-time", "2026-11-26T09:00:00.5Z");
    Resource stamped = io.svcplane.core.Kinds.wrap(svc.getService().toBuilder().setMetadata(meta).build());
    String yaml = Manifests.toYaml(stamped);
    assertTrue(yaml.contains("  creationTimestamp: \"2026-11-26T09:00:00Z\"\n"), yaml);
    assertTrue(yaml.contains("    endpoints.kubernetes.io/last-change-trigger-time: \"2026-11-26T09:00:00.5Z\"\n"), yaml);
    assertTrue(yaml.contains("  name: svc-nginx\n"), yaml);
    assertEquals(io.svcplane.core.Kinds.withTypeMeta(stamped), Manifests.read(yaml).get(0).resource());
  }
}
