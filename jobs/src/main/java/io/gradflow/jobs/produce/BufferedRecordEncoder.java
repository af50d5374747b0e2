package io.gradflow.jobs.produce;

import io.gradflow.schema.RecordCodec;
import org.apache.avro.specific.SpecificRecord;

/**
 * The producer's encoder: writes the bytes {@link RecordCodec#encode} writes through one reused
 * buffer ({@link RecordCodec.Encoder}, which holds the datum writer setup in one place).
 * {@code BufferedRecordEncoderTest} holds the bytes equal to {@code RecordCodec}'s.
 *
 * <p>Memory: a buffer as large as the largest record written, and Avro's 2 kB encoder buffer.
 * Not thread-safe: one per thread.
 *
 * @param <T> the generated record type
 */
final class BufferedRecordEncoder<T extends SpecificRecord> {
  private final RecordCodec.Encoder<T> encoder;

  BufferedRecordEncoder(RecordCodec<T> codec) {
    this.encoder = codec.newEncoder();
  }

  /** The record as single-object-encoded bytes, equal to {@link RecordCodec#encode}'s. */
  byte[] encode(T record) {
    return encoder.encode(record);
  }
}
