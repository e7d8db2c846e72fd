package io.svcplane.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.svcplane.eventlog.KafkaClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's consumer settings. Their effect (a backlog folded in few large transactions)
 * is a throughput matter, measured by bench's EndpointControllerBench, not asserted here.
 */
class ControllerSettingsTest {

  @Test
  void aBacklogIsPolledInBatchesOfUpTo20000RecordsWithFetchesLargeEnoughToFillThem() {
    Properties p = new EndpointController.Settings(KafkaClients.of("127.0.0.1:9"), "a").consumerProperties();
    assertEquals("20000", p.getProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG));
    assertEquals(Integer.toString(4 << 20), p.getProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG));
  }

  @Test
  void anOperatorsClientPropertiesFileStillDecidesTheBatchSize(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "max.poll.records=500\nmax.partition.fetch.bytes=1048576\n");
    Properties p = new EndpointController.Settings(KafkaClients.of("127.0.0.1:9", file), "a").consumerProperties();
    assertEquals("500", p.getProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG));
    assertEquals("1048576", p.getProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG));
  }
}
