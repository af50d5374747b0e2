package io.gradflow.schema;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Encodes and decodes one generated record type with Avro's single-object encoding: the two
 * marker bytes {@code C3 01}, the 8-byte CRC-64-AVRO fingerprint of the writer's schema, then the
 * binary body. The decoder knows the current schema and every historical schema of the type
 * ({@link Codecs#schemaStore()}), and only those (a {@code Label} is never read as an
 * {@code Example}), so a record written with an older (or, if the store knows it,
 * newer) compatible schema is resolved into the current class.
 *
 * <p>Decoding allocates in proportion to the record's size only: every collection, string and
 * bytes length the body declares must fit in the bytes left after it ({@link BoundedBody}),
 * checked before Avro reads the body; Avro's own limits ({@code org.apache.avro.limits.*}) apply
 * as well. A record that breaks either is a {@link CodecException}, never an
 * {@code OutOfMemoryError}.
 *
 * <p>Serializable (for Flink functions and serialization schemas): only the class travels; the
 * Avro encoder and decoder are built on first use. Thread-safe: Avro's message encoders and
 * decoders keep their buffers in thread-locals.
 *
 * <pre>{@code
 * RecordCodec<Example> codec = Codecs.codec(Example.class);
 * byte[] bytes = codec.encode(example);
 * Example back = codec.decode(bytes);
 * RecordCodec.Encoder<Example> hot = codec.newEncoder(); // one thread's, same bytes, faster
 * }</pre>
 */
public final class RecordCodec<T extends SpecificRecord> implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Marker bytes and fingerprint before the body. */
  private static final int HEADER = 10;

  private final Class<T> type;
  private transient volatile BinaryMessageEncoder<T> encoder;
  private transient volatile BinaryMessageDecoder<T> decoder;

  RecordCodec(Class<T> type) {
    this.type = type;
  }

  public Class<T> type() {
    return type;
  }

  /** The current (reader's) schema of the type. */
  public Schema schema() {
    return SpecificData.get().getSchema(type);
  }

  /** The CRC-64-AVRO fingerprint that prefixes records written by this codec. */
  public long fingerprint() {
    return SchemaNormalization.parsingFingerprint64(schema());
  }

  /** The record as single-object-encoded bytes. */
  public byte[] encode(T record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try {
      encoder().encode(record, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /**
   * A new single-thread encoder writing exactly {@link #encode}'s bytes through reused buffers,
   * for hot paths (a producer, a sink's serializer).
   */
  public Encoder<T> newEncoder() {
    return new Encoder<>(this);
  }

  /**
   * Writes {@link RecordCodec#encode}'s bytes ({@code C3 01}, the fingerprint little-endian, the
   * binary body) through Avro's buffered {@link BinaryEncoder} into one reused buffer, where
   * {@code encode} writes each varint byte by byte into a new {@link ByteArrayOutputStream} that
   * grows (and copies) twice for a 40-feature example. The codec's datum writer setup
   * ({@code model()}: logical-type conversions and custom coders), so the same bytes;
   * {@code RecordCodecTest} holds them equal.
   *
   * <p>Memory: Avro's 2 kB encoder buffer and a buffer as large as the largest record written
   * (dropped after a record above {@value #KEPT_BUFFER} bytes). Not thread-safe: one per thread.
   *
   * @param <T> the generated record type
   */
  public static final class Encoder<T extends SpecificRecord> {
    /** The largest buffer kept between records: one huge record does not pin its memory. */
    static final int KEPT_BUFFER = 1 << 16;

    private final byte[] header = new byte[HEADER];
    private final DatumWriter<T> writer;
    private ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
    private BinaryEncoder encoder;

    private Encoder(RecordCodec<T> codec) {
      header[0] = (byte) 0xC3;
      header[1] = 0x01;
      ByteBuffer.wrap(header, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(codec.fingerprint());
      @SuppressWarnings("unchecked")
      DatumWriter<T> w = (DatumWriter<T>) codec.model().createDatumWriter(codec.schema());
      this.writer = w;
    }

    /** The record as single-object-encoded bytes, equal to {@link RecordCodec#encode}'s. */
    public byte[] encode(T record) {
      buffer.reset();
      buffer.writeBytes(header);
      encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
      try {
        writer.write(record, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
      }
      byte[] bytes = buffer.toByteArray();
      if (bytes.length > KEPT_BUFFER) {
        buffer = new ByteArrayOutputStream(1024);
      }
      return bytes;
    }
  }

  /**
   * Reads single-object-encoded bytes written with any schema version the store knows.
   *
   * @throws CodecException when the bytes are not such a record; the message says why, and
   *     names Confluent Schema Registry framing or a plain Avro body without a header when the
   *     bytes are one ({@link ForeignFraming}, looked for only once the header is refused)
   */
  public T decode(byte[] bytes) {
    return decode(bytes, null);
  }

  /** As {@link #decode(byte[])}, reusing {@code reuse} when it is not null. */
  public T decode(byte[] bytes, T reuse) {
    if (bytes == null) {
      throw new CodecException("no bytes (null value) where a " + type.getSimpleName()
          + " was expected", null);
    }
    checkBounds(bytes);
    try {
      return decoder().decode(ByteBuffer.wrap(bytes), reuse);
    } catch (MissingSchemaException e) {
      Schema other = bytes.length >= 10
          ? Codecs.schemaStore().findByFingerprint(Codecs.headerFingerprint(bytes))
          : null;
      String what = other != null
          ? ("AEIOU".indexOf(other.getName().charAt(0)) >= 0 ? "an " : "a ") + other.getName()
              + " record where " + type.getSimpleName() + " was expected"
          : "unknown writer schema for " + type.getSimpleName() + ": " + (bytes.length < 10
              ? e.getMessage() : "no schema this Gradflow knows has the fingerprint "
                  + Codecs.fingerprintText(bytes))
              + " (written with a changed copy of " + type.getSimpleName() + ".avsc, by another"
              + " application, or by a newer Gradflow; see README 'Your own producer')";
      throw new CodecException(what, e);
    } catch (BadHeaderException e) {
      String framing = ForeignFraming.explain(bytes, type);
      throw new CodecException("not a single-object-encoded Avro record: "
          + (framing != null ? framing : e.getMessage()), e);
    } catch (IOException | RuntimeException e) {
      throw new CodecException("corrupt " + type.getSimpleName() + " body: " + e, e);
    }
  }

  /**
   * Refuses a body whose declared lengths its own bytes cannot hold ({@link BoundedBody}) before
   * Avro allocates for them. Bytes without a header or of an unknown writer are left to Avro's
   * decoder, which reports them.
   */
  private void checkBounds(byte[] bytes) {
    if (bytes.length < HEADER || bytes[0] != (byte) 0xC3 || bytes[1] != 0x01) {
      return;
    }
    long fingerprint = Codecs.headerFingerprint(bytes);
    Schema writer = Codecs.schemaStore().findByFingerprint(fingerprint);
    if (writer == null || !writer.getFullName().equals(schema().getFullName())) {
      return;
    }
    try {
      Codecs.bounds(fingerprint, writer).check(bytes, HEADER);
    } catch (BoundedBody.Refused e) {
      throw new CodecException("corrupt " + type.getSimpleName() + " body: " + e.getMessage(),
          null);
    }
  }

  /**
   * The generated class's data model (its logical-type conversions) with Avro's custom coders on:
   * records generated with them (those without logical types, such as {@code Feature}) are
   * written and read by their generated code instead of by reflection over the schema, which
   * resolved a union by a map lookup per value. The same bytes either way (Avro's binary
   * encoding); a copy, so the generated class's own model is left as it is.
   */
  private SpecificData model() {
    SpecificData generated = SpecificData.getForClass(type);
    SpecificData model = new SpecificData(type.getClassLoader());
    generated.getConversions().forEach(model::addLogicalTypeConversion);
    model.setCustomCoders(true);
    return model;
  }

  private BinaryMessageEncoder<T> encoder() {
    BinaryMessageEncoder<T> e = encoder;
    if (e == null) {
      e = new BinaryMessageEncoder<>(model(), schema());
      encoder = e;
    }
    return e;
  }

  private BinaryMessageDecoder<T> decoder() {
    BinaryMessageDecoder<T> d = decoder;
    if (d == null) {
      // Only versions of this record: Avro would otherwise resolve any record with compatible
      // fields (a Label read as an Example), since it does not compare top-level names.
      String name = schema().getFullName();
      SchemaStore versions = fingerprint -> {
        Schema s = Codecs.schemaStore().findByFingerprint(fingerprint);
        return s != null && s.getFullName().equals(name) ? s : null;
      };
      d = new BinaryMessageDecoder<>(model(), schema(), versions);
      decoder = d;
    }
    return d;
  }

  @Override
  public String toString() {
    return "RecordCodec{" + type.getName() + "}";
  }
}
