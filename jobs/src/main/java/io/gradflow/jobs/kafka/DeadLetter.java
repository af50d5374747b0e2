package io.gradflow.jobs.kafka;

import io.gradflow.schema.DeadLetterRecord;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import org.apache.flink.util.OutputTag;

/**
 * A refused input record on its way to the dead-letter topic: the reason, a detail, the source
 * coordinates and the original bytes. Written as {@link DeadLetterRecord} ({@link #toAvro()}).
 *
 * <p>A dead letter always fits Kafka's default limits (the producer's {@code max.request.size}
 * and the broker's {@code message.max.bytes}, both about 1 MiB), whatever it copies: the copied
 * value is cut to its first {@value #MAX_VALUE_BYTES} bytes, the key (also the dead letter's own
 * Kafka key) to {@value #MAX_KEY_BYTES} bytes and the detail to {@value #MAX_DETAIL_CHARS}
 * characters, so the largest dead letter is under {@value #MAX_RECORD_BYTES} bytes, key and
 * value. A cut dead letter says so ({@code truncated}) and keeps the original sizes
 * ({@code key_size}, {@code value_size}) and the coordinates (topic, partition, offset, timestamp),
 * which find the whole record in its topic.
 *
 * <p>A Flink POJO. Not thread-safe; treat as a value.
 */
public final class DeadLetter {
  /** The side output that every decode function writes refused records to. */
  public static final OutputTag<DeadLetter> TAG =
      new OutputTag<>("dead-letters", org.apache.flink.api.common.typeinfo.TypeInformation.of(
          DeadLetter.class));

  /** The most bytes of a refused record's value copied into its dead letter. */
  public static final int MAX_VALUE_BYTES = 256 * 1024;
  /** The most bytes of a refused record's key copied into its dead letter (and its Kafka key). */
  public static final int MAX_KEY_BYTES = 16 * 1024;
  /** The most characters of a detail. */
  public static final int MAX_DETAIL_CHARS = 2_000;
  /**
   * An upper bound of a dead letter's Kafka key and value together: the cut key twice (as the
   * Kafka key and in the record), the cut value, the detail at 3 UTF-8 bytes per character, a
   * topic name (at most 249 characters) and the reason, and 1 KiB for Avro's lengths, the other
   * fields and the header. Far below Kafka's default 1 MiB request and message limits, with room
   * for the record batch's own overhead.
   */
  public static final int MAX_RECORD_BYTES =
      2 * MAX_KEY_BYTES + MAX_VALUE_BYTES + 3 * MAX_DETAIL_CHARS + 249 + 1024;

  public String reason;
  public String detail;
  public String topic;
  public int partition;
  public long offset;
  public long timestamp;
  public byte[] key;
  public byte[] value;
  /** Whether key, value or detail was cut. */
  public boolean truncated;
  /** The original key's size in bytes, -1 for no key. */
  public int keySize;
  /** The original value's size in bytes, -1 for no value. */
  public int valueSize;

  public DeadLetter() {
    this("", "", "", 0, 0, 0, null, null);
  }

  /** A dead letter of the given parts, cut to the bounds. */
  public DeadLetter(String reason, String detail, String topic, int partition, long offset,
      long timestamp, byte[] key, byte[] value) {
    this.reason = reason;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.keySize = key == null ? -1 : key.length;
    this.valueSize = value == null ? -1 : value.length;
    this.key = cut(key, MAX_KEY_BYTES);
    this.value = cut(value, MAX_VALUE_BYTES);
    String d = detail == null ? "" : detail;
    this.detail = cut(d);
    this.truncated = this.key != key || this.value != value || this.detail != d;
  }

  /** The dead letter of a raw record refused for {@code reason}. */
  public static DeadLetter of(RawRecord raw, DeadLetterReason reason, String detail) {
    return new DeadLetter(reason.name(), detail, raw.topic, raw.partition, raw.offset,
        raw.timestamp, raw.key, raw.value);
  }

  public DeadLetterRecord toAvro() {
    return new DeadLetterRecord(reason, detail, topic, partition, offset,
        Instant.ofEpochMilli(timestamp), key == null ? null : ByteBuffer.wrap(key),
        value == null ? null : ByteBuffer.wrap(value), truncated,
        keySize < 0 ? null : keySize, valueSize < 0 ? null : valueSize);
  }

  private static byte[] cut(byte[] bytes, int max) {
    return bytes == null || bytes.length <= max ? bytes : Arrays.copyOf(bytes, max);
  }

  /** The detail, or its start with the original length when it is longer than the bound. */
  static String cut(String detail) {
    if (detail.length() <= MAX_DETAIL_CHARS) {
      return detail;
    }
    String note = "... (detail cut from " + detail.length() + " characters)";
    int end = MAX_DETAIL_CHARS - note.length();
    if (Character.isHighSurrogate(detail.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    return detail.substring(0, end) + note;
  }

  @Override
  public String toString() {
    return "DeadLetter{" + reason + " " + topic + "-" + partition + "@" + offset + ": "
        + (detail.length() > 200 ? detail.substring(0, 200) + "..." : detail)
        + (truncated ? " (truncated)" : "") + "}";
  }
}
