package io.svcplane.eventlog;

import com.google.protobuf.InvalidProtocolBufferException;
import io.svcplane.api.v1.ResourceEvent;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/** ResourceEvent values as protobuf bytes; a null value (tombstone) stays null. */
public final class ResourceEventSerde {
  private ResourceEventSerde() {}

  public static final class EventSerializer implements Serializer<ResourceEvent> {
    @Override
    public byte[] serialize(String topic, ResourceEvent data) {
      return data == null ? null : data.toByteArray();
    }
  }

  public static final class EventDeserializer implements Deserializer<ResourceEvent> {
    @Override
    public ResourceEvent deserialize(String topic, byte[] data) {
      if (data == null) return null;
      try {
        return ResourceEvent.parseFrom(data);
      } catch (InvalidProtocolBufferException e) {
        throw new SerializationException("record of " + topic + " is not a ResourceEvent: " + e.getMessage(), e);
      }
    }
  }
}
