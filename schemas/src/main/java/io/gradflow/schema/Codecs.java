package io.gradflow.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * The Avro codecs of Gradflow's records and the schema store that makes evolution work.
 *
 * <p>Every record on Kafka is written with Avro's single-object encoding, which carries the
 * writer schema's fingerprint. {@link #schemaStore()} knows the current schema of every record
 * type ({@link #RECORD_TYPES}) and every historical version kept in
 * {@code schemas/src/main/avro-history} ({@link #HISTORY}, packaged under
 * {@code io/gradflow/schema/history/}), so readers resolve old writers' records into the current
 * classes. To evolve a schema: copy the current {@code .avsc} to {@code avro-history} as
 * {@code Name.vN.avsc}, list it in {@link #HISTORY}, then change the current one, giving every
 * new field a default (the evolution test reads each historical version with the new reader).
 *
 * <p>Stateless apart from the immutable store; thread-safe.
 */
public final class Codecs {
  /** Every record type Gradflow writes to Kafka or to files. */
  public static final List<Class<? extends SpecificRecord>> RECORD_TYPES = List.of(
      Example.class, Label.class, Prediction.class, MetricsReport.class, RowUpdate.class,
      ModelSnapshot.class, DeadLetterRecord.class);

  /** Historical schema files, oldest first, under {@code io/gradflow/schema/history/}. */
  public static final List<String> HISTORY = List.of("Example.v1.avsc",
      "DeadLetterRecord.v1.avsc", "MetricsReport.v1.avsc", "MetricsReport.v2.avsc",
      "ModelSnapshot.v1.avsc", "ModelSnapshot.v2.avsc", "ModelSnapshot.v3.avsc",
      "ModelSnapshot.v4.avsc", "ModelSnapshot.v5.avsc");

  private static final SchemaStore.Cache STORE = buildStore();
  /** The body checkers of the writer schemas seen, by fingerprint (a few schemas at most). */
  private static final ConcurrentHashMap<Long, BoundedBody> BOUNDS = new ConcurrentHashMap<>();

  private Codecs() {}

  /** A codec for a generated record type. */
  public static <T extends SpecificRecord> RecordCodec<T> codec(Class<T> type) {
    return new RecordCodec<>(type);
  }

  /**
   * The writer schema's fingerprint in a single-object-encoded value: its bytes 2-9, read
   * little-endian (Avro's CRC-64-AVRO of the writer schema's Parsing Canonical Form). The caller
   * has checked that the value holds the 10-byte header.
   *
   * @throws IndexOutOfBoundsException when the value is shorter than 10 bytes
   */
  public static long headerFingerprint(byte[] value) {
    return ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  /**
   * A value's writer fingerprint as messages name it: the number in hex, then the header's ten
   * bytes as a producer writes them (the fingerprint little-endian), which is what a producer
   * compares with the headers README lists, for example {@code "0807060504030201 (header bytes
   * C3 01 01 02 03 04 05 06 07 08)"}.
   *
   * @throws IndexOutOfBoundsException when the value is shorter than 10 bytes
   */
  public static String fingerprintText(byte[] value) {
    StringBuilder text = new StringBuilder(String.format("%016x (header bytes",
        headerFingerprint(value)));
    for (int i = 0; i < 10; i++) {
      text.append(String.format(" %02X", value[i] & 0xFF));
    }
    return text.append(')').toString();
  }

  /** The schemas readers know: all current ones and all historical versions. */
  public static SchemaStore schemaStore() {
    return STORE;
  }

  /** The body checker of a writer schema known to the store. */
  static BoundedBody bounds(long fingerprint, Schema writer) {
    BoundedBody b = BOUNDS.get(fingerprint);
    if (b == null) {
      b = BoundedBody.of(writer);
      BOUNDS.put(fingerprint, b);
    }
    return b;
  }

  /** A historical schema by file name, for example {@code "Example.v1.avsc"}. */
  public static Schema historicalSchema(String file) {
    String path = "history/" + file;
    try (InputStream in = Codecs.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("historical schema " + path
            + " is missing from the classpath (is schemas/src/main/avro-history packaged?)");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SchemaStore.Cache buildStore() {
    SchemaStore.Cache store = new SchemaStore.Cache();
    for (Class<? extends SpecificRecord> type : RECORD_TYPES) {
      store.addSchema(SpecificData.get().getSchema(type));
    }
    for (String file : HISTORY) {
      store.addSchema(historicalSchema(file));
    }
    return store;
  }
}
