package io.gradflow.jobs.kafka;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Prediction;
import java.nio.charset.StandardCharsets;
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
  private static final int HEADER = 10;

  private byte[] buffer = new byte[256];
  private int pos;

  private PredictionWriter(long fingerprint) {
    buffer[0] = (byte) 0xC3;
    buffer[1] = 0x01;
    for (int i = 0; i < 8; i++) {
      buffer[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
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
    pos = HEADER;
    string(exampleId);
    string(modelKey);
    ensure(10 + 8 + 10 + 1 + 4);
    varLong(modelStep);
    long bits = Double.doubleToRawLongBits(score);
    for (int i = 0; i < 8; i++) {
      buffer[pos++] = (byte) (bits >>> (8 * i));
    }
    varLong(eventTime);
    if (Float.isNaN(label)) {
      buffer[pos++] = 0; // branch 0: null
    } else {
      buffer[pos++] = 2; // branch 1, zig-zag
      int f = Float.floatToRawIntBits(label);
      for (int i = 0; i < 4; i++) {
        buffer[pos++] = (byte) (f >>> (8 * i));
      }
    }
    return Arrays.copyOf(buffer, pos);
  }

  /** A string as Avro writes it: its UTF-8 length, then Java's UTF-8 encoding of it. */
  private void string(String s) {
    int n = s.length();
    ensure(5 + n);
    int lengthAt = pos;
    // ASCII, the common case, straight into the buffer after a one-byte length (n < 64).
    if (n < 64) {
      int p = lengthAt + 1;
      int i = 0;
      for (; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          break;
        }
        buffer[p++] = (byte) c;
      }
      if (i == n) {
        buffer[lengthAt] = (byte) (n << 1);
        pos = p;
        return;
      }
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    ensure(5 + utf8.length);
    varLong(utf8.length);
    System.arraycopy(utf8, 0, buffer, pos, utf8.length);
    pos += utf8.length;
  }

  private void varLong(long v) {
    long n = (v << 1) ^ (v >> 63);
    while ((n & ~0x7FL) != 0) {
      buffer[pos++] = (byte) ((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    buffer[pos++] = (byte) n;
  }

  private void ensure(int more) {
    if (buffer.length - pos < more) {
      buffer = Arrays.copyOf(buffer, Math.max(2 * buffer.length, pos + more));
    }
  }
}
