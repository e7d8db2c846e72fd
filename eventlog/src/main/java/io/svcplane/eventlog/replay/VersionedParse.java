package io.svcplane.eventlog.replay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.core.Kinds;
import java.nio.charset.StandardCharsets;

/**
 * Parses a record's ResourceEvent with the object's {@code metadata.resourceVersion} (the record
 * offset) already in it, so the fold need not copy the object to set it: protobuf merges a
 * message that appears twice, so the record's bytes followed by the bytes of
 * {@code {object: {KIND: {metadata: {resource_version: OFFSET}}}}} parse as the event with its
 * version. The kind comes from the record key; if the key and the object disagree, or the event
 * holds no object, the plain bytes are parsed instead.
 */
final class VersionedParse {
  private VersionedParse() {}

  /** Resource's oneof field number for each kind, by the key's kind name; 0 if unknown. */
  private static int kindField(String key) {
    int slash = key == null ? -1 : key.indexOf('/');
    if (slash < 0) return 0;
    return switch (key.substring(0, slash)) {
      case "Namespace" -> 1;
      case "Node" -> 2;
      case "Pod" -> 3;
      case "Service" -> 4;
      case "Endpoints" -> 5;
      default -> 0;
    };
  }

  static ResourceEvent parse(SourceRecord r) {
    ByteString value = r.value();
    int field = kindField(r.key());
    if (field == 0) return r.event();
    byte[] digits = Long.toString(r.offset()).getBytes(StandardCharsets.US_ASCII);
    int n = value.size();
    byte[] b = new byte[n + 8 + digits.length];
    value.copyTo(b, 0);
    int i = n;
    int meta = 2 + digits.length; // resource_version = 6, length-delimited
    int object = 2 + meta;        // metadata = 3 in every kind
    int resource = 2 + object;    // the kind's field of Resource
    b[i++] = 0x12;                // ResourceEvent.object = 2
    b[i++] = (byte) resource;
    b[i++] = (byte) (field << 3 | 2);
    b[i++] = (byte) object;
    b[i++] = 0x1a;
    b[i++] = (byte) meta;
    b[i++] = 0x32;
    b[i++] = (byte) digits.length;
    System.arraycopy(digits, 0, b, i, digits.length);
    ResourceEvent e;
    try {
      e = ResourceEvent.parseFrom(b);
    } catch (InvalidProtocolBufferException ex) {
      return r.event(); // reports the record as not a ResourceEvent
    }
    var c = e.getObject().getObjectCase();
    if (c.getNumber() != field || Kinds.metadata(e.getObject()).getName().isEmpty()) return r.event();
    return e;
  }
}
