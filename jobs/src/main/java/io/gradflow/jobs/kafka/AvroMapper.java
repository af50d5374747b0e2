package io.gradflow.jobs.kafka;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;

/**
 * How a stream element becomes a Kafka record: its Avro value and key. Lets operators emit
 * primitive POJOs (fast through Flink's serializers) and convert to Avro only at the sink. The
 * record timestamp is never derived from the element: see {@link AvroRecordSerializer}.
 *
 * @param <T> the stream element type
 */
public interface AvroMapper<T> extends Serializable {
  /**
   * The Avro record to write, or null for a record without a value: a tombstone, which a
   * compacted topic keeps until {@code delete.retention.ms} and then drops with its key.
   */
  SpecificRecord toAvro(T value);

  /** The record key (null for none); records with equal keys keep their order. */
  byte[] key(T value);

  /**
   * A new encoder of elements straight to the bytes that {@link #toAvro}'s record encodes to,
   * for one sink writer's thread, or null (the default) when elements go through
   * {@code toAvro} and the record's codec. For the outputs written once per example.
   */
  default DirectEncoder<T> newDirectEncoder() {
    return null;
  }

  /** Writes an element's record bytes without building the record; one thread's. */
  interface DirectEncoder<T> {
    /** The single-object-encoded bytes of {@code toAvro(value)}. */
    byte[] encode(T value);

    /**
     * The same bytes as {@link AvroMapper#key}, possibly the array returned for an earlier
     * element with an equal key (the caller only reads it; see {@link RepeatedKeyBytes}).
     */
    byte[] key(T value);
  }

  /** Dead letters keyed by their original key (the original timestamp is in the record). */
  static AvroMapper<DeadLetter> deadLetters() {
    return new AvroMapper<>() {
      private static final long serialVersionUID = 1L;

      @Override
      public SpecificRecord toAvro(DeadLetter value) {
        return value.toAvro();
      }

      @Override
      public byte[] key(DeadLetter value) {
        return value.key;
      }
    };
  }

  /** Avro records as they are, keyed by a string function of the record. */
  static <R extends SpecificRecord> AvroMapper<R> identity(KeyFunction<R> key) {
    return new AvroMapper<>() {
      private static final long serialVersionUID = 1L;

      @Override
      public SpecificRecord toAvro(R value) {
        return value;
      }

      @Override
      public byte[] key(R value) {
        String k = key.key(value);
        return k == null ? null : k.getBytes(StandardCharsets.UTF_8);
      }
    };
  }

  /** A serializable key function. */
  @FunctionalInterface
  interface KeyFunction<R> extends Serializable {
    String key(R value);
  }
}
