package io.svcplane.core.selector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServiceSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
  private static final Map<String, String> NGINX = Map.of("app", "nginx", "tier", "web", "env", "prod");

  @Test
  void equalityRequirementsAreAnded() {
    assertTrue(LabelSelector.parse("app=nginx,tier!=db").matches(NGINX));
    assertTrue(LabelSelector.parse("app==nginx").matches(NGINX));
    assertFalse(LabelSelector.parse("app=nginx,tier=db").matches(NGINX));
    assertTrue(LabelSelector.parse("missing!=x").matches(NGINX));
  }

  @Test
  void setBasedRequirements() {
    assertTrue(LabelSelector.parse("env in (prod, staging)").matches(NGINX));
    assertFalse(LabelSelector.parse("env notin (prod)").matches(NGINX));
    assertTrue(LabelSelector.parse("env notin (dev),app").matches(NGINX));
    assertTrue(LabelSelector.parse("!canary").matches(NGINX));
    assertFalse(LabelSelector.parse("canary").matches(NGINX));
    assertFalse(LabelSelector.parse("! app").matches(NGINX));
  }

  @Test
  void emptySelectorSelectsEverything() {
    assertTrue(LabelSelector.parse("").isEverything());
    assertTrue(LabelSelector.parse("  ").matches(Map.of()));
  }

  @Test
  void syntaxErrorsNameWhatIsWrong() {
    var e = assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("app=nginx,,"));
    assertTrue(e.getMessage().contains("expected a label key"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("env in (a,b"));
    assertTrue(e.getMessage().contains("expected ','"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("app=-bad-"));
    assertTrue(e.getMessage().contains("invalid label value"), e.getMessage());
  }

  @Test
  void canonicalTextRoundTrips() {
    var s = LabelSelector.parse("tier != db, env in (b,a),!canary");
    assertEquals("tier!=db,env in (a,b),!canary", s.toString());
    assertEquals(s, LabelSelector.parse(s.toString()));
  }

  @Test
  void serviceWithoutSelectorHasNoneAndEmptySelectorSelectsAll() {
    Service none = Service.newBuilder().setSpec(ServiceSpec.getDefaultInstance()).build();
    assertTrue(LabelSelector.ofService(none).isEmpty());
    Service all = Service.newBuilder()
        .setSpec(ServiceSpec.newBuilder().setSelector(Struct.getDefaultInstance()))
        .build();
    assertTrue(LabelSelector.ofService(all).orElseThrow().matches(Map.of("any", "thing")));
    Service app = Service.newBuilder()
        .setSpec(ServiceSpec.newBuilder().setSelector(
            Struct.newBuilder().putFields("app", Value.newBuilder().setStringValue("nginx").build())))
        .build();
    assertTrue(LabelSelector.ofService(app).orElseThrow().matches(NGINX));
    assertFalse(LabelSelector.ofService(app).orElseThrow().matches(Map.of("app", "other")));
  }
}
