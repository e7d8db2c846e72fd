package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HumanDurationTest {
  private static String f(Duration d) {
    return HumanDuration.format(d);
  }

  @Test
  void matchesKubectlsDurationTable() {
    // The cases of apimachinery's duration_test.go, plus every boundary of HumanDuration.
    assertEquals("1s", f(Duration.ofSeconds(1)));
    assertEquals("70s", f(Duration.ofSeconds(70)));
    assertEquals("3m10s", f(Duration.ofSeconds(190)));
    assertEquals("70m", f(Duration.ofMinutes(70)));
    assertEquals("47h", f(Duration.ofHours(47)));
    assertEquals("2d1h", f(Duration.ofHours(49)));
    assertEquals("8d", f(Duration.ofHours(8 * 24 + 2)));
    assertEquals("367d", f(Duration.ofHours(367 * 24)));
    assertEquals("2y1d", f(Duration.ofHours(365 * 2 * 24 + 25)));
    assertEquals("8y", f(Duration.ofHours(365 * 8 * 24 + 2)));
  }

  @Test
  void boundariesBetweenUnits() {
    assertEquals("0s", f(Duration.ZERO));
    assertEquals("45s", f(Duration.ofSeconds(45)));
    assertEquals("119s", f(Duration.ofSeconds(119)));
    assertEquals("2m", f(Duration.ofSeconds(120)));
    assertEquals("9m59s", f(Duration.ofSeconds(599)));
    assertEquals("10m", f(Duration.ofSeconds(600)));
    assertEquals("12m", f(Duration.ofSeconds(12 * 60 + 30)));
    assertEquals("179m", f(Duration.ofMinutes(179)));
    assertEquals("3h", f(Duration.ofMinutes(180)));
    assertEquals("3h5m", f(Duration.ofMinutes(185)));
    assertEquals("7h59m", f(Duration.ofMinutes(8 * 60 - 1)));
    assertEquals("8h", f(Duration.ofHours(8)));
    assertEquals("2d", f(Duration.ofHours(48)));
    assertEquals("3d19h", f(Duration.ofHours(3 * 24 + 19)));
    assertEquals("7d23h", f(Duration.ofHours(8 * 24 - 1)));
    assertEquals("729d", f(Duration.ofHours(24 * 365 * 2 - 1)));
    assertEquals("2y", f(Duration.ofHours(24 * 365 * 2)));
  }

  @Test
  void slightlyFutureTimestampsReadAsNowAndFurtherAsInvalid() {
    assertEquals("0s", f(Duration.ofMillis(-1500)));
    assertEquals("<invalid>", f(Duration.ofSeconds(-2)));
  }

  @Test
  void unsetCreationTimestampIsUnknown() {
    assertEquals("<unknown>", HumanDuration.since(com.google.protobuf.Timestamp.getDefaultInstance(), Instant.now()));
    assertEquals("45s", HumanDuration.since(Fixtures.ago(45), Fixtures.NOW));
  }
}
