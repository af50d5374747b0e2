package io.gradflow.jobs.kafka;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Writes an {@link Example}'s single-object encoding ({@code C3 01}, the schema's fingerprint
 * little-endian, the binary body) straight from its {@link ExampleFields}, for
 * {@code gradflow produce --file}: a line's example is never built as generated {@code Example}
 * and {@code Feature} objects (a boxed index and value per feature) only to be walked again by
 * Avro's datum writer. Avro's binary encoding (specification, "Binary Encoding"), as
 * {@link PredictionWriter} writes it: zig-zag varints, little-endian IEEE floats (raw bits, as
 * Avro writes them), length-prefixed UTF-8 strings (Java's encoder, as Avro's: an unpaired
 * surrogate becomes {@code ?}), a union as its branch index then the value, an array as one block
 * (its item count, the items, then 0; an empty array as the 0 alone).
 *
 * <p>Only for the schema layout it writes ({@link ExampleBytesReader#LAYOUT}, checked against
 * the current schema): {@link #create} returns null for any other, and the caller encodes the
 * example with Avro. {@code ExampleWriterTest} holds the bytes equal to {@code RecordCodec}'s.
 *
 * <p>Memory: two buffers as large as the largest example written. Not thread-safe: one per
 * thread.
 */
public final class ExampleWriter {
  private static final int HEADER = 10;

  private byte[] buffer = new byte[1024];
  private int pos;
  /** The features' bytes, written before their count is known. */
  private byte[] features = new byte[1024];
  private int featuresPos;

  private ExampleWriter(long fingerprint) {
    buffer[0] = (byte) 0xC3;
    buffer[1] = 0x01;
    for (int i = 0; i < 8; i++) {
      buffer[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
  }

  /** A writer, or null when the current {@code Example} schema is not the layout it writes. */
  public static ExampleWriter create() {
    return create(Codecs.codec(Example.class).schema());
  }

  /** A writer for {@code schema}, or null when its layout is not the one this class writes. */
  static ExampleWriter create(Schema schema) {
    if (!ExampleBytesReader.LAYOUT.equals(ExampleBytesReader.layout(schema))) {
      return null;
    }
    return new ExampleWriter(SchemaNormalization.parsingFingerprint64(schema));
  }

  /** The bytes {@code RecordCodec} writes for {@code fields.toExample()}. */
  public byte[] write(ExampleFields f) {
    featuresPos = 0;
    int n = f.count();
    for (int i = 0; i < n; i++) {
      feature(f.namespace(i), f.name(i), f.index(i), f.value(i));
    }
    pos = HEADER;
    string(f.exampleId());
    ensure(10 + 1);
    varLong(f.eventTime());
    if (f.modelKey() == null) {
      buffer[pos++] = 0;
    } else {
      buffer[pos++] = 2;
      string(f.modelKey());
    }
    int entities = f.entityCount();
    if (entities > 0) {
      ensure(10);
      varLong(entities);
      for (int i = 0; i < entities; i++) {
        string(f.entityType(i));
        string(f.entityId(i));
      }
    }
    int dense = f.denseCount();
    ensure(1 + 10 + featuresPos + 1 + 10 + 4 * dense + 1 + 1 + 5 + 4);
    buffer[pos++] = 0; // end of entities
    if (n > 0) {
      varLong(n);
      System.arraycopy(features, 0, buffer, pos, featuresPos);
      pos += featuresPos;
    }
    buffer[pos++] = 0; // end of features
    if (dense > 0) {
      varLong(dense);
      for (int j = 0; j < dense; j++) {
        floatBits(f.dense(j));
      }
    }
    buffer[pos++] = 0; // end of dense
    if (f.hasLabel()) {
      buffer[pos++] = 2; // branch 1, zig-zag
      floatBits(f.label());
    } else {
      buffer[pos++] = 0;
    }
    floatBits(f.weight());
    return Arrays.copyOf(buffer, pos);
  }

  /** One {@code Feature} record into {@link #features}. */
  private void feature(String namespace, String name, long index, float value) {
    // A string's UTF-8 bytes are at most 3 per char.
    int most = 5 + 3 * namespace.length() + 1 + (name != null ? 5 + 3 * name.length() : 0) + 1
        + 10 + 4;
    if (features.length - featuresPos < most) {
      features = Arrays.copyOf(features, Math.max(2 * features.length, featuresPos + most));
    }
    byte[] b = features;
    int p = utf8(b, featuresPos, namespace);
    if (name != null) {
      b[p++] = 2; // name: branch 1
      p = utf8(b, p, name);
      b[p++] = 0; // index: null
    } else {
      b[p++] = 0; // name: null
      b[p++] = 2; // index: branch 1
      long z = (index << 1) ^ (index >> 63);
      while ((z & ~0x7FL) != 0) {
        b[p++] = (byte) ((z & 0x7f) | 0x80);
        z >>>= 7;
      }
      b[p++] = (byte) z;
    }
    int bits = Float.floatToRawIntBits(value);
    b[p++] = (byte) bits;
    b[p++] = (byte) (bits >>> 8);
    b[p++] = (byte) (bits >>> 16);
    b[p++] = (byte) (bits >>> 24);
    featuresPos = p;
  }

  /**
   * Writes {@code s} as Avro writes a string (its UTF-8 length, then the bytes) at {@code p} of
   * {@code b}, which has room for {@code 5 + 3 * s.length()} bytes; returns the end.
   */
  private static int utf8(byte[] b, int p, String s) {
    int n = s.length();
    if (n < 64) {
      int q = p + 1;
      int i = 0;
      for (; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          break;
        }
        b[q++] = (byte) c;
      }
      if (i == n) {
        b[p] = (byte) (n << 1);
        return q;
      }
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    long z = (long) bytes.length << 1;
    while ((z & ~0x7FL) != 0) {
      b[p++] = (byte) ((z & 0x7f) | 0x80);
      z >>>= 7;
    }
    b[p++] = (byte) z;
    System.arraycopy(bytes, 0, b, p, bytes.length);
    return p + bytes.length;
  }

  private void string(String s) {
    ensure(5 + 3 * s.length());
    pos = utf8(buffer, pos, s);
  }

  private void floatBits(float v) {
    int bits = Float.floatToRawIntBits(v);
    for (int i = 0; i < 4; i++) {
      buffer[pos++] = (byte) (bits >>> (8 * i));
    }
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
