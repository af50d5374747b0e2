package io.gradflow.jobs.kafka;

import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.NamespaceSeeds;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * The decoder's fast path: reads a valid {@link Example} written with the current schema straight
 * from its single-object-encoded bytes into a {@link CompactExample}, hashing feature names and
 * entity ids from their UTF-8 bytes ({@link FeatureHashing#feature(byte[], int, int, byte[], int,
 * int)}) without making a {@code String} or an {@code Example} per record. Avro's binary encoding
 * (specification, "Binary Encoding"): zig-zag varints, little-endian floats, length-prefixed
 * strings, arrays in blocks.
 *
 * <p>It only accepts; it never refuses. Anything it does not take as it is (another writer schema,
 * a malformed or truncated body, trailing bytes, any value {@link ExampleDecoder} would refuse)
 * returns null, and the decoder takes the general path, which accepts or refuses with its
 * reasons: so the result is the general path's for every input. Every length is checked against
 * the bytes left before anything is allocated for it, so allocation stays proportional to the
 * record's size.
 *
 * <p>Enabled only when the current {@code Example} schema has the layout this reader walks
 * ({@link #LAYOUT}); {@link #enabled()} says whether it is. Thread-safe (the read
 * position is per call).
 */
final class ExampleBytesReader {
  /** The field names and types this reader walks, in order; checked against the schema. */
  static final String LAYOUT = "example_id:STRING event_time:LONG model_key:UNION[NULL,STRING]"
      + " entities:ARRAY<RECORD{type:STRING id:STRING}>"
      + " features:ARRAY<RECORD{namespace:STRING name:UNION[NULL,STRING] index:UNION[NULL,LONG]"
      + " value:FLOAT}> dense:ARRAY<FLOAT> label:UNION[NULL,FLOAT] weight:FLOAT";
  private static final int HEADER = 10;

  private final FeatureHashing hashing;
  private final Loss loss;
  private final String defaultModelKey;
  private final InputLimits limits;
  private final long fingerprint;
  private final boolean enabled;
  /** Namespace seeds by feature position: a stream's records repeat their namespaces. */
  private final NamespaceSeeds namespaceSeeds = new NamespaceSeeds();

  ExampleBytesReader(FeatureHashing hashing, Loss loss, String defaultModelKey,
      InputLimits limits) {
    this.hashing = hashing;
    this.loss = loss;
    this.defaultModelKey = defaultModelKey;
    this.limits = limits;
    Schema schema = Codecs.codec(Example.class).schema();
    this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    this.enabled = LAYOUT.equals(layout(schema));
  }

  boolean enabled() {
    return enabled;
  }

  /** The layout of a record schema in {@link #LAYOUT}'s notation. */
  static String layout(Schema record) {
    StringBuilder s = new StringBuilder();
    for (Schema.Field f : record.getFields()) {
      if (s.length() > 0) {
        s.append(' ');
      }
      s.append(f.name()).append(':').append(type(f.schema()));
    }
    return s.toString();
  }

  private static String type(Schema s) {
    return switch (s.getType()) {
      case UNION -> "UNION" + s.getTypes().stream().map(ExampleBytesReader::type).toList()
          .toString().replace(" ", "");
      case ARRAY -> "ARRAY<" + type(s.getElementType()) + ">";
      case RECORD -> "RECORD{" + layout(s) + "}";
      default -> s.getType().name();
    };
  }

  /**
   * The example, or null when the general path must decide (see the class comment).
   *
   * @param nowMillis the clock the event time is judged by
   */
  CompactExample read(byte[] bytes, long nowMillis) {
    if (!enabled || bytes == null || bytes.length < HEADER || bytes[0] != (byte) 0xC3
        || bytes[1] != 0x01 || littleEndianLong(bytes, 2) != fingerprint) {
      return null;
    }
    try {
      return body(new Cursor(bytes, HEADER), nowMillis);
    } catch (Malformed e) {
      return null;
    }
  }

  private CompactExample body(Cursor c, long nowMillis) throws Malformed {
    String id = c.string();
    if (id.isEmpty() || id.length() > ExampleDecoder.MAX_ID_LENGTH) {
      return null;
    }
    long eventTime = c.varLong();
    String modelKey = c.union() ? c.string() : null;
    if (modelKey != null && modelKey.length() > ExampleDecoder.MAX_ID_LENGTH) {
      return null;
    }
    if (eventTime > limits.latestEventTime(nowMillis)) {
      return null;
    }
    byte[] b = c.bytes;
    // Entities: (type, id) pairs, at least 2 bytes each.
    long[] entityRows = new long[0];
    int entities = 0;
    for (long block = c.blockCount(2); block != 0; block = c.blockCount(2)) {
      entityRows = grow(entityRows, entities + (int) block);
      for (long k = 0; k < block; k++) {
        int typeLength = c.length();
        int typeAt = c.skip(typeLength);
        int idLength = c.length();
        int idAt = c.skip(idLength);
        if (typeLength == 0 || idLength == 0) {
          return null;
        }
        entityRows[entities++] = FeatureHashing.entityRow(b, typeAt, typeLength, b, idAt,
            idLength);
      }
    }
    // Features: namespace, name or index, value: at least 7 bytes each.
    long[] rows = new long[0];
    float[] values = new float[0];
    int features = 0;
    for (long block = c.blockCount(7); block != 0; block = c.blockCount(7)) {
      rows = grow(rows, features + (int) block);
      values = java.util.Arrays.copyOf(values, rows.length);
      for (long k = 0; k < block; k++) {
        int namespaceLength = c.length();
        int namespaceAt = c.skip(namespaceLength);
        boolean hasName = c.union();
        int nameLength = hasName ? c.length() : 0;
        int nameAt = hasName ? c.skip(nameLength) : 0;
        boolean hasIndex = c.union();
        long index = hasIndex ? c.varLong() : 0;
        float v = c.floatValue();
        if (namespaceLength == 0 || hasName == hasIndex || !Float.isFinite(v) || tooLarge(v)) {
          return null;
        }
        rows[features] = hasName
            ? hashing.feature(namespaceSeeds.seed(features, b, namespaceAt, namespaceLength), b,
                nameAt, nameLength)
            : hashing.feature(new String(b, namespaceAt, namespaceLength,
                StandardCharsets.UTF_8), index);
        values[features++] = v;
      }
    }
    float[] dense = new float[0];
    int d = 0;
    for (long block = c.blockCount(4); block != 0; block = c.blockCount(4)) {
      dense = java.util.Arrays.copyOf(dense, d + (int) block);
      for (long k = 0; k < block; k++) {
        float v = c.floatValue();
        if (!Float.isFinite(v) || tooLarge(v)) {
          return null;
        }
        dense[d++] = v;
      }
    }
    boolean hasLabel = c.union();
    float label = hasLabel ? c.floatValue() : Float.NaN;
    float weight = c.floatValue();
    int n = entities + features;
    if (c.pos != b.length || n == 0 && d == 0 || !(weight >= 0) || Float.isInfinite(weight)
        || hasLabel && !loss.acceptsLabel(label)) {
      return null;
    }
    long[] allRows = rows;
    float[] allValues = values;
    if (entities > 0 || rows.length != features) { // else the features' arrays are the example's
      allRows = new long[n];
      allValues = new float[n];
      System.arraycopy(entityRows, 0, allRows, 0, entities);
      java.util.Arrays.fill(allValues, 0, entities, 1f);
      System.arraycopy(rows, 0, allRows, entities, features);
      System.arraycopy(values, 0, allValues, entities, features);
    }
    return new CompactExample(id, modelKey == null ? defaultModelKey : modelKey, eventTime,
        allRows, allValues, dense, label, weight);
  }

  private boolean tooLarge(float v) {
    return limits.maxAbsValue() > 0 && Math.abs(v) > limits.maxAbsValue();
  }

  private static long[] grow(long[] a, int size) {
    return size <= a.length ? a : java.util.Arrays.copyOf(a, Math.max(size, 2 * a.length));
  }

  private static long littleEndianLong(byte[] b, int at) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (b[at + i] & 0xffL);
    }
    return v;
  }

  /** A body this reader does not take; the general path decides. */
  private static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;
    static final Malformed INSTANCE = new Malformed();

    private Malformed() {
      super(null, null, false, false);
    }
  }

  /** A read position in the body; every read checks the bytes left. */
  private static final class Cursor {
    final byte[] bytes;
    int pos;

    Cursor(byte[] bytes, int pos) {
      this.bytes = bytes;
      this.pos = pos;
    }

    /**
     * A zig-zag varint. Most of a record's varints (lengths, union branches, block counts) take
     * one byte: read without the loop, with the same value ({@code (b >>> 1) ^ -(b & 1)} in int
     * arithmetic, widened with its sign, is the long formula's value for {@code 0 <= b < 128}).
     */
    long varLong() throws Malformed {
      int p = pos;
      if (p < bytes.length) {
        int b = bytes[p];
        if (b >= 0) {
          pos = p + 1;
          return (b >>> 1) ^ -(b & 1);
        }
      }
      return varLongLoop();
    }

    private long varLongLoop() throws Malformed {
      long raw = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= bytes.length) {
          throw Malformed.INSTANCE;
        }
        int b = bytes[pos++];
        raw |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return (raw >>> 1) ^ -(raw & 1);
        }
      }
      throw Malformed.INSTANCE;
    }

    /** A string's or bytes' length, within the bytes left. */
    int length() throws Malformed {
      long n = varLong();
      if (n < 0 || n > bytes.length - pos) {
        throw Malformed.INSTANCE;
      }
      return (int) n;
    }

    /** Skips {@code n} checked bytes; returns where they start. */
    int skip(int n) {
      int at = pos;
      pos += n;
      return at;
    }

    String string() throws Malformed {
      int n = length();
      return new String(bytes, skip(n), n, StandardCharsets.UTF_8);
    }

    /** A union of null and one type: true when the value is present (branch 1). */
    boolean union() throws Malformed {
      int p = pos;
      if (p < bytes.length) { // branch 0 is the byte 0, branch 1 the byte 2
        byte b = bytes[p];
        if (b == 2 || b == 0) {
          pos = p + 1;
          return b == 2;
        }
      }
      long branch = varLong();
      if (branch != 0 && branch != 1) {
        throw Malformed.INSTANCE;
      }
      return branch == 1;
    }

    float floatValue() throws Malformed {
      if (bytes.length - pos < 4) {
        throw Malformed.INSTANCE;
      }
      int bits = (bytes[pos] & 0xff) | (bytes[pos + 1] & 0xff) << 8
          | (bytes[pos + 2] & 0xff) << 16 | (bytes[pos + 3] & 0xff) << 24;
      pos += 4;
      return Float.intBitsToFloat(bits);
    }

    /**
     * The count of the next block of an array whose items take at least {@code minItemBytes}
     * each, or 0 at its end: a count its bytes cannot hold is malformed (nothing is allocated
     * for it). A negative count is followed by the block's size in bytes (skipped).
     */
    long blockCount(int minItemBytes) throws Malformed {
      long count = varLong();
      if (count < 0) {
        count = -count;
        varLong();
      }
      if (count < 0 || count > (bytes.length - pos) / minItemBytes) {
        throw Malformed.INSTANCE;
      }
      return count;
    }
  }
}
