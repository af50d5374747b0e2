package io.gradflow.jobs.kafka;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record as read, before decoding: its coordinates, timestamp and raw key and value
 * bytes. Decoding happens in a process function ({@link ExampleDecodeFunction}), not in the
 * source, so a record that cannot be decoded still has its coordinates and reaches the dead-letter
 * topic instead of failing the source.
 *
 * <p>A Flink POJO (public fields, no-argument constructor; byte arrays use Flink's primitive-array
 * serializer). Not thread-safe; treat as a value.
 */
public final class RawRecord {
  public String topic;
  public int partition;
  public long offset;
  public long timestamp;
  public byte[] key;
  public byte[] value;

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
