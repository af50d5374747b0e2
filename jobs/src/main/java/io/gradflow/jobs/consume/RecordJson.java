package io.gradflow.jobs.consume;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.schema.CodecException;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.ForeignFraming;
import io.gradflow.schema.Label;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;

/**
 * Any Gradflow record as one line of JSON, decoded by the schema fingerprint in its Avro
 * single-object header ({@link Codecs#schemaStore()}: every current and historical schema).
 *
 * <p>A line is {@code {"topic", "partition", "offset", "timestamp", "key", "type", "value"}}: the
 * Kafka coordinates, the record timestamp (ISO-8601), the key (UTF-8 text, or {@code
 * {"base64": ...}} when it is not text), the record type ({@code Prediction}, {@code
 * MetricsReport}, ...) and the record with Avro's field names. In the value, unions are their
 * value, timestamps ISO-8601, bytes {@code {"base64": ...}}, and NaN and infinities strings.
 * Bytes that are no known record give {@code "error"} (what is wrong, naming Confluent Schema
 * Registry framing or a plain Avro Example or Label body without a header when the bytes are one)
 * and {@code "base64"} (the value) instead of {@code type} and {@code value}. A record without a value (a tombstone: on
 * the changelog, a row that expired) has the type {@code "tombstone"} and a null value.
 * Stateless; thread-safe.
 */
public final class RecordJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RecordJson() {}

  /** The record type a value was written as, or null when its header names no known schema. */
  public static Class<? extends SpecificRecord> typeOf(byte[] value) {
    if (value == null || value.length < 10 || value[0] != (byte) 0xC3 || value[1] != 0x01) {
      return null;
    }
    Schema schema = Codecs.schemaStore().findByFingerprint(Codecs.headerFingerprint(value));
    if (schema == null) {
      return null;
    }
    for (Class<? extends SpecificRecord> type : Codecs.RECORD_TYPES) {
      if (Codecs.codec(type).schema().getFullName().equals(schema.getFullName())) {
        return type;
      }
    }
    return null;
  }

  /** Decodes a value by its fingerprint; throws {@link CodecException} saying why it cannot. */
  public static SpecificRecord decode(byte[] value) {
    Class<? extends SpecificRecord> type = typeOf(value);
    if (type == null) {
      if (value == null) {
        throw new CodecException("no value (a null record, for example a tombstone)", null);
      }
      if (value.length < 10 || value[0] != (byte) 0xC3 || value[1] != 0x01) {
        // What producers commonly send instead, named when it is one (Examples and Labels are
        // the records producers write).
        String framing = ForeignFraming.explain(value, Example.class, Label.class);
        throw new CodecException("not an Avro single-object record (no C3 01 header)"
            + (framing != null ? ": " + framing : ""), null);
      }
      throw new CodecException("no known schema has the fingerprint "
          + Codecs.fingerprintText(value)
          + " (a record of another application, or of a newer Gradflow)", null);
    }
    return Codecs.codec(type).decode(value);
  }

  /** One JSON line for a Kafka record. */
  public static String line(String topic, int partition, long offset, long timestamp, byte[] key,
      byte[] value) {
    ObjectNode line = NODES.objectNode();
    line.put("topic", topic);
    line.put("partition", partition);
    line.put("offset", offset);
    line.put("timestamp", timestamp < 0 ? null : Instant.ofEpochMilli(timestamp).toString());
    line.set("key", key == null ? NODES.nullNode() : text(key));
    if (value == null) {
      line.put("type", "tombstone");
      line.set("value", NODES.nullNode());
      return write(line);
    }
    try {
      SpecificRecord record = decode(value);
      line.put("type", record.getSchema().getName());
      line.set("value", toJson(record));
    } catch (CodecException e) {
      line.put("error", e.getMessage());
      line.set("value", value == null ? NODES.nullNode() : base64(value));
    }
    return write(line);
  }

  /** A record as a JSON tree (see the class comment for the mapping). */
  public static JsonNode toJson(Object value) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (value instanceof IndexedRecord r) {
      ObjectNode o = NODES.objectNode();
      for (Schema.Field f : r.getSchema().getFields()) {
        o.set(f.name(), toJson(r.get(f.pos())));
      }
      return o;
    }
    if (value instanceof CharSequence s) {
      return NODES.textNode(s.toString());
    }
    if (value instanceof Instant i) {
      return NODES.textNode(i.toString());
    }
    if (value instanceof Double d) {
      return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(d.toString());
    }
    if (value instanceof Float f) {
      // Through the float's decimal text, so 0.1f prints as 0.1, not 0.10000000149011612.
      return Float.isFinite(f) ? NODES.numberNode(new java.math.BigDecimal(f.toString()))
          : NODES.textNode(f.toString());
    }
    if (value instanceof Integer i) {
      return NODES.numberNode(i);
    }
    if (value instanceof Long l) {
      return NODES.numberNode(l);
    }
    if (value instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    if (value instanceof ByteBuffer b) {
      ByteBuffer copy = b.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return base64(bytes);
    }
    if (value instanceof byte[] bytes) {
      return base64(bytes);
    }
    if (value instanceof Collection<?> c) {
      ArrayNode a = NODES.arrayNode();
      c.forEach(v -> a.add(toJson(v)));
      return a;
    }
    if (value instanceof Map<?, ?> m) {
      ObjectNode o = NODES.objectNode();
      m.forEach((k, v) -> o.set(String.valueOf(k), toJson(v)));
      return o;
    }
    if (value instanceof GenericContainer || value instanceof Enum<?>) {
      return NODES.textNode(value.toString());
    }
    return NODES.textNode(value.toString());
  }

  private static JsonNode text(byte[] bytes) {
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return NODES.textNode(chars.toString());
    } catch (CharacterCodingException e) {
      return base64(bytes);
    }
  }

  private static JsonNode base64(byte[] bytes) {
    ObjectNode o = NODES.objectNode();
    o.put("base64", Base64.getEncoder().encodeToString(bytes));
    return o;
  }

  static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always writes", e);
    }
  }
}
