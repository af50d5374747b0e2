package io.gradflow.jobs.kafka;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.RecordCodec;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;

/**
 * The event time of a record of the examples or the labels topic, read from its value's bytes in
 * the Kafka source, so that the source makes the label join's watermark per partition: Flink's
 * Kafka source runs a watermark generator for each partition a subtask reads and emits the least
 * of their watermarks (partitions idle for a while left out), as the Flink documentation's
 * "Watermark Strategies and the Kafka Connector" describes. A watermark made after the source
 * instead, from one subtask's records of several partitions in the order they were fetched,
 * follows the partition read furthest ahead: the examples and labels of a partition behind it
 * arrived after their deadlines, and a job over several partitions learned most clicked examples
 * with the default label and called their labels orphans.
 *
 * <p>The value's event time is its second field, after {@code example_id}, in {@link Example} and
 * {@link Label} alike. A value of the current writer schema (single-object encoding: the 10-byte
 * header, then the body; Avro specification, "Single-object encoding" and "Binary Encoding") is
 * read in place: the id's length and bytes skipped, the zig-zag varint of the time read. Any
 * other value is decoded whole, as the decoder does. A value that is no such record, or whose
 * time is further ahead of the clock than {@code input.max_event_time_ahead} (both dead letters
 * further on), has {@link Long#MIN_VALUE}, which moves no watermark; so has the end-of-input
 * marker, which has no value. A value whose head reads but whose body is cut short is a dead
 * letter with a readable time, which counts as that record's time. Serializable; one instance
 * per source subtask.
 */
public final class RawEventTime implements SerializableTimestampAssigner<RawRecord> {
  private static final long serialVersionUID = 1L;
  private static final int HEADER = 10;
  /** The two fields the in-place read walks, checked against the current schema. */
  private static final List<String> LEADING_FIELDS = List.of("example_id:STRING",
      "event_time:LONG");

  private final boolean labels;
  private final InputLimits limits;
  private transient RecordCodec<? extends SpecificRecord> codec;
  private transient long fingerprint;
  private transient boolean inPlace;

  private RawEventTime(boolean labels, InputLimits limits) {
    this.labels = labels;
    this.limits = limits;
  }

  /**
   * The event time of records of the examples topic ({@link Example}); one further ahead of the
   * clock than {@code limits} accept (the decoder's dead letter EVENT_TIME_OUT_OF_RANGE) has
   * none.
   */
  public static RawEventTime examples(InputLimits limits) {
    return new RawEventTime(false, limits);
  }

  /** As {@link #examples}, for records of the labels topic ({@link Label}). */
  public static RawEventTime labels(InputLimits limits) {
    return new RawEventTime(true, limits);
  }

  @Override
  public long extractTimestamp(RawRecord record, long kafkaTimestamp) {
    long time = read(record);
    // A record the decoder refuses for its time must not move the watermark either: one
    // year-3000 record would carry its partition's watermark, and so the join's, to the year
    // 3000 (review 23 H1); as the decoder, judged by the clock when it is read.
    return time > limits.latestEventTime(System.currentTimeMillis()) ? Long.MIN_VALUE : time;
  }

  private long read(RawRecord record) {
    byte[] b = record.value;
    if (b == null) {
      return Long.MIN_VALUE;
    }
    if (codec == null) {
      codec = labels ? Codecs.codec(Label.class) : Codecs.codec(Example.class);
      Schema schema = codec.schema();
      fingerprint = SchemaNormalization.parsingFingerprint64(schema);
      inPlace = schema.getFields().size() >= 2 && LEADING_FIELDS.equals(List.of(
          field(schema.getFields().get(0)), field(schema.getFields().get(1))));
    }
    if (inPlace && b.length > HEADER && b[0] == (byte) 0xC3 && b[1] == 0x01
        && Codecs.headerFingerprint(b) == fingerprint) {
      long time = inPlace(b);
      if (time != Long.MIN_VALUE) {
        return time;
      }
    }
    try {
      SpecificRecord r = codec.decode(b);
      return (labels ? ((Label) r).getEventTime() : ((Example) r).getEventTime()).toEpochMilli();
    } catch (RuntimeException notARecord) {
      return Long.MIN_VALUE;
    }
  }

  private static String field(Schema.Field f) {
    return f.name() + ":" + f.schema().getType();
  }

  /** The time after the header's id, or {@link Long#MIN_VALUE} when the bytes end too soon. */
  private static long inPlace(byte[] b) {
    int[] at = {HEADER};
    long length = varLong(b, at);
    if (length < 0 || length > b.length - at[0]) {
      return Long.MIN_VALUE;
    }
    at[0] += (int) length;
    return varLong(b, at);
  }

  /** A zig-zag varint at {@code at[0]}, moving it on; {@link Long#MIN_VALUE} if cut short. */
  private static long varLong(byte[] b, int[] at) {
    long raw = 0;
    for (int shift = 0, p = at[0]; shift < 64; shift += 7, p++) {
      if (p >= b.length) {
        return Long.MIN_VALUE;
      }
      raw |= (long) (b[p] & 0x7F) << shift;
      if ((b[p] & 0x80) == 0) {
        at[0] = p + 1;
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    return Long.MIN_VALUE;
  }
}
