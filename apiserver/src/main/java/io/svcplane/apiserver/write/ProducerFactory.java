package io.svcplane.apiserver.write;

import io.svcplane.api.v1.ResourceEvent;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Makes the writer's transactional producers from their settings. The default makes a plain
 * {@link KafkaProducer}; tests wrap it to make a real transaction fail at a chosen moment.
 */
@FunctionalInterface
public interface ProducerFactory {
  ProducerFactory KAFKA = KafkaProducer::new;

  Producer<String, ResourceEvent> create(Properties settings);
}
