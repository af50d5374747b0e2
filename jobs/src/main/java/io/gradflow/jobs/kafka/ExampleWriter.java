package io.gradflow.jobs.kafka;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
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
  private byte[] buffer = new byte[1024];
  private int pos;
  /** The features' bytes, written before their count is known. */
  private byte[] features = new byte[1024];
  private int featuresPos;

  private ExampleWriter(long fingerprint) {
    AvroBytes.header(buffer, fingerprint);
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
    pos = AvroBytes.HEADER;
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
    int most = AvroBytes.maxString(namespace) + 1
        + (name != null ? AvroBytes.maxString(name) : 0) + 1 + AvroBytes.MAX_VARLONG + 4;
    if (features.length - featuresPos < most) {
      features = Arrays.copyOf(features, Math.max(2 * features.length, featuresPos + most));
    }
    byte[] b = features;
    int p = AvroBytes.string(b, featuresPos, namespace);
    if (name != null) {
      b[p++] = 2; // name: branch 1
      p = AvroBytes.string(b, p, name);
      b[p++] = 0; // index: null
    } else {
      b[p++] = 0; // name: null
      b[p++] = 2; // index: branch 1
      p = AvroBytes.varLong(b, p, index);
    }
    featuresPos = AvroBytes.floatBits(b, p, value);
  }

  private void string(String s) {
    ensure(AvroBytes.maxString(s));
    pos = AvroBytes.string(buffer, pos, s);
  }

  private void floatBits(float v) {
    pos = AvroBytes.floatBits(buffer, pos, v);
  }

  private void varLong(long v) {
    pos = AvroBytes.varLong(buffer, pos, v);
  }

  private void ensure(int more) {
    if (buffer.length - pos < more) {
      buffer = Arrays.copyOf(buffer, Math.max(2 * buffer.length, pos + more));
    }
  }
}
