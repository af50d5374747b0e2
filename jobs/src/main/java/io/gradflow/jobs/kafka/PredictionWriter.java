package io.gradflow.jobs.kafka;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Prediction;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Writes a {@link Prediction}'s single-object encoding ({@code C3 01}, the schema's fingerprint
 * little-endian, the binary body) straight from its field values, for the predictions sink's hot
 * path: one record per example, where building the Avro record and walking its schema in Avro's
 * datum writer (the union of the label resolved by a map lookup) cost about a tenth of the
 * trainer's thread. Avro's binary encoding (specification, "Binary Encoding"): zig-zag varints,
 * little-endian IEEE floats and doubles (raw bits, as Avro writes them), length-prefixed UTF-8
 * strings (Java's encoder, as Avro's), a union as its branch index then the value.
 *
 * <p>Only for the schema layout it writes ({@link #LAYOUT}, checked against the current schema):
 * {@link #create} returns null for any other, and the caller encodes the record with Avro.
 * {@code PredictionWriterTest} holds the bytes equal to {@code RecordCodec}'s.
 *
 * <p>Memory: a buffer as large as the largest prediction written. Not thread-safe: one per
 * thread (a sink writer's serializer).
 */
public final class PredictionWriter {
  /** The field names and types written, in order; checked against the schema. */
  static final String LAYOUT = "example_id:STRING model_key:STRING model_step:LONG score:DOUBLE"
      + " event_time:LONG label:UNION[NULL,FLOAT]";
  private byte[] buffer = new byte[256];
  private int pos;

  private PredictionWriter(long fingerprint) {
    AvroBytes.header(buffer, fingerprint);
  }

  /** A writer, or null when the current {@code Prediction} schema is not {@link #LAYOUT}. */
  public static PredictionWriter create() {
    Schema schema = Codecs.codec(Prediction.class).schema();
    if (!LAYOUT.equals(ExampleBytesReader.layout(schema))) {
      return null;
    }
    return new PredictionWriter(SchemaNormalization.parsingFingerprint64(schema));
  }

  /**
   * The bytes {@code RecordCodec} writes for {@code new Prediction(exampleId, modelKey,
   * modelStep, score, Instant.ofEpochMilli(eventTime), label)}, with a NaN label written as null.
   */
  public byte[] write(String exampleId, String modelKey, long modelStep, double score,
      long eventTime, float label) {
    pos = AvroBytes.HEADER;
    string(exampleId);
    string(modelKey);
    return finish(modelStep, score, eventTime, label);
  }

  /**
   * The same bytes as {@link #write(String, String, long, double, long, float)}, with the model
   * key given as its UTF-8 bytes ({@code modelKey.getBytes(UTF_8)}, which is what Avro writes for
   * a string), for a key whose bytes the caller keeps from one record to the next
   * ({@link RepeatedKeyBytes}). {@code modelKeyUtf8} is only read.
   */
  public byte[] write(String exampleId, byte[] modelKeyUtf8, long modelStep, double score,
      long eventTime, float label) {
    pos = AvroBytes.HEADER;
    string(exampleId);
    int n = modelKeyUtf8.length;
    ensure(AvroBytes.MAX_VARLONG + n);
    int p = AvroBytes.varLong(buffer, pos, n);
    System.arraycopy(modelKeyUtf8, 0, buffer, p, n);
    pos = p + n;
    return finish(modelStep, score, eventTime, label);
  }

  /** Writes the fields after the model key and returns a copy of the record's bytes. */
  private byte[] finish(long modelStep, double score, long eventTime, float label) {
    ensure(AvroBytes.MAX_VARLONG + 8 + AvroBytes.MAX_VARLONG + 1 + 4);
    byte[] b = buffer;
    int p = AvroBytes.varLong(b, pos, modelStep);
    p = AvroBytes.doubleBits(b, p, score);
    p = AvroBytes.varLong(b, p, eventTime);
    if (Float.isNaN(label)) {
      b[p++] = 0; // branch 0: null
    } else {
      b[p++] = 2; // branch 1, zig-zag
      p = AvroBytes.floatBits(b, p, label);
    }
    return Arrays.copyOf(b, p);
  }

  private void string(String s) {
    ensure(AvroBytes.maxString(s));
    pos = AvroBytes.string(buffer, pos, s);
  }

  private void ensure(int more) {
    if (buffer.length - pos < more) {
      buffer = Arrays.copyOf(buffer, Math.max(2 * buffer.length, pos + more));
    }
  }
}
