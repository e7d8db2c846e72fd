package io.svcplane.core.manifest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.core.Kinds;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Kubernetes manifests (YAML or JSON, one or many documents, or a {@code kind: List}) to and from
 * svcplane's messages, the way kubectl reads and prints them. Unknown kinds and fields are errors
 * that name the document, the line and the field path.
 */
public final class Manifests {
  private Manifests() {}

  /** One document of a manifest: its object, or why it could not be read. */
  public record Document(int index, int line, Resource resource, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  private static final ObjectMapper YAML = new ObjectMapper(
      YAMLFactory.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .stringQuotingChecker(new KubernetesQuoting())
          .build())
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * kubectl's YAML (go-yaml) also quotes strings that YAML 1.1 would read as timestamps, e.g.
   * {@code creationTimestamp: "2026-11-26T09:26:54Z"}.
   */
  private static final class KubernetesQuoting extends StringQuotingChecker.Default {
    private static final long serialVersionUID = 1L;
    private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}"
        + "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
        + "(([ \\t]*)Z|[-+][0-9]{1,2}(:[0-9]{2})?)?");

    @Override
    public boolean needToQuoteValue(String value) {
      return super.needToQuoteValue(value) || TIMESTAMP.matcher(value).matches();
    }
  }

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");

  /**
   * Reads every document of a YAML or JSON text. A syntax error ends the reading (later
   * documents cannot be trusted) with a {@link ManifestException} naming the line; a document
   * that parses but is not a valid object yields a {@link Document} with an error, and the rest
   * are still read.
   */
  public static List<Document> read(String text) throws ManifestException {
    Reading r = readUntilSyntaxError(text);
    if (r.syntaxError() != null) throw r.syntaxError();
    return r.documents();
  }

  /** The documents read before a syntax error (if any), and that error (null when none). */
  public record Reading(List<Document> documents, ManifestException syntaxError) {}

  /**
   * Like {@link #read}, but keeps the documents before a syntax error, as kubectl does: they
   * were complete and valid, so a client may still act on them and report the error after.
   */
  public static Reading readUntilSyntaxError(String text) {
    List<Document> out = new ArrayList<>();
    try (JsonParser parser = YAML.getFactory().createParser(text);
        MappingIterator<JsonNode> it = YAML.readValues(parser, JsonNode.class)) {
      int index = 0;
      while (it.hasNextValue()) {
        int line = Math.max(1, parser.currentTokenLocation().getLineNr());
        JsonNode node = it.nextValue();
        if (node == null || node.isNull() || node.isMissingNode()) continue;
        index++;
        readNode(node, index, line, out);
      }
    } catch (JsonProcessingException e) {
      return new Reading(out, new ManifestException("error parsing manifest " + syntaxProblem(e), e));
    } catch (IOException | RuntimeException e) {
      return new Reading(out, new ManifestException("error parsing manifest: " + e.getMessage(), e));
    }
    return new Reading(out, null);
  }

  /** One line: where and what, e.g. "at line 9, column 7: mapping values are not allowed here". */
  private static String syntaxProblem(JsonProcessingException e) {
    if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
      Mark at = y.getProblemMark();
      String context = y.getContext() == null || y.getContextMark() == null ? ""
          : " (" + y.getContext() + " at line " + (y.getContextMark().getLine() + 1) + ", column "
              + (y.getContextMark().getColumn() + 1) + ")";
      return "at line " + (at.getLine() + 1) + ", column " + (at.getColumn() + 1) + ": "
          + y.getProblem().replace('\n', ' ') + context;
    }
    JsonLocation loc = e.getLocation();
    String where = loc == null ? "" : "at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    String what = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
    return where + ": " + what;
  }

  private static void readNode(JsonNode node, int index, int line, List<Document> out) {
    if (!node.isObject()) {
      out.add(new Document(index, line, null, "document " + index + " is not an object"));
      return;
    }
    if ("List".equals(node.path("kind").asText()) && node.has("items")) {
      for (JsonNode item : node.get("items")) readNode(item, index, line, out);
      return;
    }
    try {
      out.add(new Document(index, line, toResource((ObjectNode) node), null));
    } catch (ManifestException e) {
      out.add(new Document(index, line, null, e.getMessage()));
    }
  }

  /** One object from its JSON tree. */
  public static Resource toResource(ObjectNode node) throws ManifestException {
    String apiVersion = node.path("apiVersion").asText("");
    String kindName = node.path("kind").asText("");
    if (kindName.isEmpty()) throw new ManifestException("Object 'Kind' is missing");
    if (!apiVersion.isEmpty() && !apiVersion.equals("v1")) {
      throw new ManifestException("no matches for kind \"" + kindName + "\" in version \"" + apiVersion
          + "\" (svcplane serves v1 Namespace, Node, Pod, Service and Endpoints)");
    }
    Kind kind;
    try {
      kind = Kinds.byName(kindName);
    } catch (IllegalArgumentException e) {
      throw new ManifestException("no matches for kind \"" + kindName + "\" in version \"v1\""
          + " (svcplane serves Namespace, Node, Pod, Service and Endpoints)");
    }
    Message.Builder builder = builderFor(kind);
    ObjectNode copy = node.deepCopy();
    normalizeIntOrString(kind, copy);
    checkKnownFields(copy, builder.getDescriptorForType(), "", kindName);
    try {
      PARSER.merge(JSON.writeValueAsString(copy), builder);
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new ManifestException(kindName + " in version \"v1\" cannot be handled: " + e.getMessage());
    }
    return wrap(builder.build());
  }

  /** The object as kubectl's {@code -o yaml} prints it (keys sorted, Kubernetes field names). */
  public static String toYaml(Resource r) {
    try {
      return YAML.writeValueAsString(JSON.convertValue(toJsonTree(r), Map.class));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Several objects as kubectl prints a list: {@code apiVersion: v1, items: [...], kind: List}. */
  public static String toYamlList(List<Resource> items) {
    Map<String, Object> list = new LinkedHashMap<>();
    list.put("apiVersion", "v1");
    List<Object> objects = new ArrayList<>();
    for (Resource r : items) objects.add(JSON.convertValue(toJsonTree(r), Map.class));
    list.put("items", objects);
    list.put("kind", "List");
    list.put("metadata", Map.of("resourceVersion", ""));
    try {
      return YAML.writeValueAsString(list);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The object as {@code -o json} prints it (4-space indent, Kubernetes field names). */
  public static String toJson(Resource r) {
    return prettyJson(toJsonTree(r));
  }

  public static String toJsonList(List<Resource> items) {
    ObjectNode list = JsonNodeFactory.instance.objectNode();
    list.put("apiVersion", "v1");
    ArrayNode arr = list.putArray("items");
    for (Resource r : items) arr.add(toJsonTree(r));
    list.put("kind", "List");
    list.putObject("metadata").put("resourceVersion", "");
    return prettyJson(list);
  }

  private static String prettyJson(JsonNode node) {
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withObjectIndenter(new DefaultIndenter("    ", "\n"))
        .withArrayIndenter(new DefaultIndenter("    ", "\n"));
    try {
      return JSON.writer(pp).writeValueAsString(node) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JSON tree of one object in Kubernetes' shape (targetPort as a number where numeric). */
  public static ObjectNode toJsonTree(Resource r) {
    Resource typed = Kinds.withTypeMeta(r);
    Message m = switch (typed.getObjectCase()) {
      case NAMESPACE -> typed.getNamespace();
      case NODE -> typed.getNode();
      case POD -> typed.getPod();
      case SERVICE -> typed.getService();
      case ENDPOINTS -> typed.getEndpoints();
      case OBJECT_NOT_SET -> throw new IllegalArgumentException("resource holds no object");
    };
    try {
      ObjectNode node = (ObjectNode) JSON.readTree(PRINTER.print(m));
      if (typed.hasService()) {
        for (JsonNode port : node.path("spec").path("ports")) {
          JsonNode tp = port.get("targetPort");
          if (tp != null && tp.isTextual() && DIGITS.matcher(tp.asText()).matches() && tp.asText().length() < 10) {
            ((ObjectNode) port).set("targetPort", IntNode.valueOf(Integer.parseInt(tp.asText())));
          }
        }
      }
      return node;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Message.Builder builderFor(Kind kind) {
    return switch (kind) {
      case NAMESPACE -> Namespace.newBuilder();
      case NODE -> Node.newBuilder();
      case POD -> Pod.newBuilder();
      case SERVICE -> Service.newBuilder();
      case ENDPOINTS -> Endpoints.newBuilder();
      default -> throw new IllegalArgumentException("no kind: " + kind);
    };
  }

  private static Resource wrap(Message m) {
    if (m instanceof Namespace o) return Kinds.wrap(o);
    if (m instanceof Node o) return Kinds.wrap(o);
    if (m instanceof Pod o) return Kinds.wrap(o);
    if (m instanceof Service o) return Kinds.wrap(o);
    if (m instanceof Endpoints o) return Kinds.wrap(o);
    throw new IllegalArgumentException("not a resource: " + m.getClass());
  }

  /** targetPort is Kubernetes' IntOrString; svcplane keeps it as a string. */
  private static void normalizeIntOrString(Kind kind, ObjectNode node) {
    if (kind != Kind.SERVICE) return;
    for (JsonNode port : node.path("spec").path("ports")) {
      JsonNode tp = port.get("targetPort");
      if (tp != null && tp.isNumber()) ((ObjectNode) port).set("targetPort", TextNode.valueOf(tp.asText()));
    }
  }

  /** Rejects fields the message does not have, naming their path like kubectl's strict decoding. */
  private static void checkKnownFields(JsonNode node, Descriptor type, String path, String kindName)
      throws ManifestException {
    if (!node.isObject() || isWellKnown(type)) return;
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String fieldPath = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      FieldDescriptor f = field(type, e.getKey());
      if (f == null) {
        throw new ManifestException(kindName + " in version \"v1\" cannot be handled as a " + kindName
            + ": strict decoding error: unknown field \"" + fieldPath + "\"");
      }
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE || e.getValue().isNull()) continue;
      Descriptor sub = f.getMessageType();
      if (f.isMapField()) {
        FieldDescriptor valueField = sub.findFieldByName("value");
        if (valueField.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          Iterator<Map.Entry<String, JsonNode>> entries = e.getValue().fields();
          while (entries.hasNext()) {
            var entry = entries.next();
            checkKnownFields(entry.getValue(), valueField.getMessageType(), fieldPath + "." + entry.getKey(), kindName);
          }
        }
      } else if (f.isRepeated()) {
        int i = 0;
        for (JsonNode item : e.getValue()) {
          checkKnownFields(item, sub, fieldPath + "[" + i++ + "]", kindName);
        }
      } else {
        checkKnownFields(e.getValue(), sub, fieldPath, kindName);
      }
    }
  }

  private static FieldDescriptor field(Descriptor type, String name) {
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(name) || f.getName().equals(name)) return f;
    }
    return null;
  }

  private static boolean isWellKnown(Descriptor type) {
    return type.getFile().getPackage().equals("google.protobuf");
  }
}
