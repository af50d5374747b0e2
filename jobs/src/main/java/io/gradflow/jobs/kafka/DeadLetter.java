package io.gradflow.jobs.kafka;

import io.gradflow.schema.DeadLetterRecord;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.flink.util.OutputTag;

/**
 * A refused input record on its way to the dead-letter topic: the reason, a detail, the source
 * coordinates and the original bytes. Written as {@link DeadLetterRecord} ({@link #toAvro()}).
 *
 * <p>A Flink POJO. Not thread-safe; treat as a value.
 */
public final class DeadLetter {
  /** The side output that every decode function writes refused records to. */
  public static final OutputTag<DeadLetter> TAG =
      new OutputTag<>("dead-letters", org.apache.flink.api.common.typeinfo.TypeInformation.of(
          DeadLetter.class));

  public String reason;
  public String detail;
  public String topic;
  public int partition;
  public long offset;
  public long timestamp;
  public byte[] key;
  public byte[] value;

  public DeadLetter() {
    this("", "", "", 0, 0, 0, null, null);
  }

  public DeadLetter(String reason, String detail, String topic, int partition, long offset,
      long timestamp, byte[] key, byte[] value) {
    this.reason = reason;
    this.detail = detail;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
  }

  /** The dead letter of a raw record refused for {@code reason}. */
  public static DeadLetter of(RawRecord raw, DeadLetterReason reason, String detail) {
    return new DeadLetter(reason.name(), detail == null ? "" : detail, raw.topic, raw.partition,
        raw.offset, raw.timestamp, raw.key, raw.value);
  }

  public DeadLetterRecord toAvro() {
    return new DeadLetterRecord(reason, detail, topic, partition, offset,
        Instant.ofEpochMilli(timestamp), key == null ? null : ByteBuffer.wrap(key),
        value == null ? null : ByteBuffer.wrap(value));
  }

  @Override
  public String toString() {
    return "DeadLetter{" + reason + " " + topic + "-" + partition + "@" + offset + ": " + detail
        + "}";
  }
}
