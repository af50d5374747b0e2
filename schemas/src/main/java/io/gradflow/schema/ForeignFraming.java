package io.gradflow.schema;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Names the framing of a value that is not Avro single-object encoding, when it is one that other
 * producers commonly write, so that a refusal says what the bytes are and what to do:
 * <ul>
 *   <li>Confluent Schema Registry's wire format ({@code KafkaAvroSerializer}, what most Kafka
 *       producer teams send by default): magic byte {@code 0}, a 4-byte big-endian schema id,
 *       then the Avro binary body;</li>
 *   <li>a plain Avro binary body without any header (Avro's {@code DatumWriter} and
 *       {@code BinaryEncoder}, Python's {@code avro.io.DatumWriter}), recognised when the whole
 *       value reads as a body of a known version of the expected record type;</li>
 *   <li>JSON text (a producer's JSON serializer, or {@code kafka-console-producer}): the whole
 *       value is one JSON object or array, checked with Jackson's streaming parser (Avro's own
 *       dependency), which reads tokens without building them.</li>
 * </ul>
 * Used only on the refusal path ({@link RecordCodec#decode} and {@code gradflow consume}), after
 * the single-object header was not found: the hot path never calls it. A body is read only after
 * {@link BoundedBody} has checked its declared lengths, so a hostile value cannot make it allocate
 * more than its own size justifies.
 *
 * <p>Stateless apart from an immutable cache of schema versions per record type; thread-safe.
 */
public final class ForeignFraming {
  /** Where a producer learns the encoding Gradflow reads. */
  static final String WHAT_TO_DO = "Gradflow reads Avro single-object encoding (C3 01, the"
      + " writer schema's 8-byte little-endian CRC-64-AVRO fingerprint, then the binary body):"
      + " see README 'Your own producer'";

  /** Every schema version of a record type (current first), by its full name, built once. */
  private static final Map<String, List<Version>> VERSIONS = new ConcurrentHashMap<>();

  /** A writer schema and the checker of its bodies. */
  private record Version(Schema writer, BoundedBody bounds) {
    Version(Schema writer) {
      this(writer, BoundedBody.of(writer));
    }
  }

  private ForeignFraming() {}

  /**
   * What {@code value} is, when it is Confluent-framed or a plain Avro body of one of
   * {@code expected}'s versions, with what to do about it; null when it is neither (or when it
   * carries the single-object marker {@code C3 01}).
   *
   * @param value the refused value (not null)
   * @param expected the record types the value should have been, the first tried first
   */
  @SafeVarargs
  public static String explain(byte[] value, Class<? extends SpecificRecord>... expected) {
    if (value.length >= 2 && value[0] == (byte) 0xC3 && value[1] == 0x01) {
      return null;
    }
    String plain = readsAs(value, 0, expected);
    if (value.length >= 5 && value[0] == 0) {
      String body = readsAs(value, 5, expected);
      // A plain body may start with 0 too (an empty first string): it is Confluent's framing
      // unless only the whole value, not the part after the five bytes, reads as a body.
      // Schema Registry ids are positive; without a body that reads, it only looks like it.
      int schemaId = ByteBuffer.wrap(value, 1, 4).getInt();
      if (body != null || (plain == null && schemaId > 0)) {
        return "the value " + (body != null ? "starts" : "looks like it starts")
            + " with Confluent Schema Registry framing (magic byte 0, schema id " + schemaId
            + (body != null ? ", then " + article(body) + " body" : "")
            + "), not Avro single-object encoding; " + WHAT_TO_DO;
      }
    }
    if (plain != null) {
      return "the value is a plain Avro binary " + plain + " body without a header (all its "
          + value.length + " bytes read as one), not Avro single-object encoding; " + WHAT_TO_DO;
    }
    String json = json(value);
    if (json != null) {
      return "the value is JSON text (" + json + ", all its " + value.length + " bytes), not Avro"
          + " single-object encoding; " + WHAT_TO_DO;
    }
    return null;
  }

  /** {@code "a JSON object"} or {@code "a JSON array"} when all of {@code value} is one. */
  private static String json(byte[] value) {
    int first = 0;
    while (first < value.length && Character.isWhitespace(value[first])) {
      first++;
    }
    if (first == value.length || (value[first] != '{' && value[first] != '[')) {
      return null; // the parser is not started for bytes that cannot be an object or an array
    }
    try (JsonParser p = JSON.createParser(value)) {
      JsonToken start = p.nextToken();
      p.skipChildren();
      return p.nextToken() == null
          ? start == JsonToken.START_OBJECT ? "a JSON object" : "a JSON array" : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** Jackson's parser factory: immutable once configured, thread-safe. */
  private static final JsonFactory JSON = new JsonFactory();

  /** The simple name of the first type whose known versions read all of {@code value[from..]}. */
  @SafeVarargs
  private static String readsAs(byte[] value, int from,
      Class<? extends SpecificRecord>... expected) {
    for (Class<? extends SpecificRecord> type : expected) {
      for (Version version : versions(type)) {
        if (readsWhole(value, from, version)) {
          return type.getSimpleName();
        }
      }
    }
    return null;
  }

  /** Whether {@code value[from..]} is exactly one body written with {@code version}. */
  private static boolean readsWhole(byte[] value, int from, Version version) {
    if (from >= value.length) {
      return false;
    }
    try {
      version.bounds().check(value, from);
      BinaryDecoder in = DecoderFactory.get().binaryDecoder(value, from, value.length - from,
          null);
      new GenericDatumReader<Object>(version.writer()).read(null, in);
      return in.isEnd();
    } catch (BoundedBody.Refused | java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  private static List<Version> versions(Class<? extends SpecificRecord> type) {
    Schema current = SpecificData.get().getSchema(type);
    return VERSIONS.computeIfAbsent(current.getFullName(), name -> {
      List<Version> all = new ArrayList<>(List.of(new Version(current)));
      for (String file : Codecs.HISTORY) {
        if (file.startsWith(current.getName() + ".v")) {
          all.add(new Version(Codecs.historicalSchema(file)));
        }
      }
      return List.copyOf(all);
    });
  }

  private static String article(String name) {
    return ("AEIOU".indexOf(name.charAt(0)) >= 0 ? "an " : "a ") + name;
  }
}
