package io.gradflow.jobs.produce;

import io.gradflow.schema.RecordCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Writes the bytes {@link RecordCodec#encode} writes (Avro single-object encoding: {@code C3 01},
 * the schema's 8-byte CRC-64-AVRO fingerprint little-endian, the binary body), for the producer's
 * hot path: through Avro's buffered {@link BinaryEncoder} into one reused buffer, where
 * {@code RecordCodec} writes each varint byte by byte into a new {@link ByteArrayOutputStream}
 * that grows (and copies) twice for a 40-feature example. The same datum writer setup as
 * {@code RecordCodec}: the generated class's logical-type conversions and Avro's custom coders.
 * {@code BufferedRecordEncoderTest} holds the bytes equal to {@code RecordCodec}'s.
 *
 * <p>Memory: a buffer as large as the largest record written, and Avro's 2 kB encoder buffer.
 * Not thread-safe: one per thread.
 *
 * @param <T> the generated record type
 */
final class BufferedRecordEncoder<T extends SpecificRecord> {
  private final byte[] header = new byte[10];
  private final DatumWriter<T> writer;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
  private BinaryEncoder encoder;

  BufferedRecordEncoder(RecordCodec<T> codec) {
    header[0] = (byte) 0xC3;
    header[1] = 0x01;
    ByteBuffer.wrap(header, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(codec.fingerprint());
    SpecificData generated = SpecificData.getForClass(codec.type());
    SpecificData model = new SpecificData(codec.type().getClassLoader());
    generated.getConversions().forEach(model::addLogicalTypeConversion);
    model.setCustomCoders(true);
    @SuppressWarnings("unchecked")
    DatumWriter<T> w = (DatumWriter<T>) model.createDatumWriter(codec.schema());
    this.writer = w;
  }

  /** The record as single-object-encoded bytes, equal to {@link RecordCodec#encode}'s. */
  byte[] encode(T record) {
    buffer.reset();
    buffer.writeBytes(header);
    encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
    try {
      writer.write(record, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return buffer.toByteArray();
  }
}
