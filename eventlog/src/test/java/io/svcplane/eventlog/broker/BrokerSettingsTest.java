package io.svcplane.eventlog.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class BrokerSettingsTest {

  @Test
  void systemPropertiesNamedSvcplaneBrokerSetOrOverrideBrokerSettingsAndNothingElse() {
    Properties config = new Properties();
    config.put("num.partitions", "1");
    config.put("log.dirs", "/data");
    Properties system = new Properties();
    system.put("svcplane.broker.num.io.threads", "2");
    system.put("svcplane.broker.num.partitions", "3");
    system.put("svcplane.broker.", "ignored: no setting name");
    system.put("svcplane.component", "not a broker setting");
    system.put("java.version", "17");

    EmbeddedKafkaBroker.applySettings(config, system);

    assertEquals("2", config.get("num.io.threads"));
    assertEquals("3", config.get("num.partitions"));
    assertEquals("/data", config.get("log.dirs"));
    assertEquals(3, config.size(), config.toString());
    assertFalse(config.containsKey(""));
  }
}
