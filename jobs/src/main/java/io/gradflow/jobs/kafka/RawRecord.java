package io.gradflow.jobs.kafka;

import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A Kafka record as read, before decoding: its coordinates, timestamp and raw key and value
 * bytes. Decoding happens in a process function ({@link ExampleDecodeFunction}), not in the
 * source, so a record that cannot be decoded still has its coordinates and reaches the dead-letter
 * topic instead of failing the source.
 *
 * <p>Flink serializes it with {@link RawRecordSerializer} (earlier versions: as a POJO, whose
 * savepoints still restore). Not thread-safe; treat as a value: the key and value arrays are
 * never modified once the source has made them, so copies share them.
 */
@TypeInfo(RawRecordSerializer.Factory.class)
public final class RawRecord {
  /** The partition of an end marker ({@link #endOfInput}); Kafka partitions are never negative. */
  public static final int END_OF_INPUT = -1;

  public String topic;
  public int partition;
  public long offset;
  public long timestamp;
  public byte[] key;
  public byte[] value;
  /**
   * What {@link ParallelDecodeFunction} made of the value, a
   * {@link io.gradflow.model.CompactExample} (a {@link CompactLabel} from a labels pool) or a
   * {@link RejectedRecordException}; null before.
   * Transient: not serialized, not part of equality; a record that crossed the network is decoded
   * again.
   */
  public transient Object decoded;

  public RawRecord() {
    this("", 0, 0, 0, null, null);
  }

  public RawRecord(String topic, int partition, long offset, long timestamp, byte[] key,
      byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
  }

  /**
   * The one record a holding source subtask emits at its end ({@code train --final-savepoint}):
   * partition {@link #END_OF_INPUT}, offset the subtask's index, no key, no value. Decode
   * functions count it and pass nothing on.
   */
  public static RawRecord endOfInput(String topic, int subtask) {
    return new RawRecord(topic, END_OF_INPUT, subtask, 0, null, null);
  }

  /** Whether this is a source subtask's end marker ({@link #endOfInput}). */
  public boolean isEndOfInput() {
    return partition == END_OF_INPUT;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RawRecord r && partition == r.partition && offset == r.offset
        && timestamp == r.timestamp && Objects.equals(topic, r.topic) && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, offset);
  }

  @Override
  public String toString() {
    return topic + "-" + partition + "@" + offset;
  }
}
