package io.gradflow.jobs.validate;

import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.kafka.KafkaSpec;
import io.gradflow.jobs.kafka.RawRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A bounded range of the examples topic, read once into memory so that every savepoint a
 * validation replays sees the same records in the same order: per partition, from a start
 * position to an end position (exclusive), committed records only ({@code read_committed}),
 * partitions in ascending order. A model key lives in one partition (producers key records by
 * model key), so each model sees its records in the order it would have live.
 *
 * <p>Positions: {@code earliest} (the log start), {@code offsets-in-savepoint} (for the start:
 * where the savepoints' job had read to), {@code latest} (the end when the range is read),
 * a timestamp (ISO-8601 such as {@code 2026-11-30T10:00:00Z}: the first record at or after it,
 * by record timestamp), or, for the end, offsets ({@code 5000} for every
 * partition, or {@code 0:5000,1:4200}).
 *
 * <p>Memory: the range's records as they are on Kafka (about the size of the range on disk, plus
 * about 100 bytes per record). Not thread-safe; used once.
 */
public final class ReplayRange {
  /** What was read: the records and, per partition, [start, end). */
  public record Read(List<RawRecord> records, Map<TopicPartition, long[]> positions) {}

  private ReplayRange() {}

  /**
   * Reads {@code [from, to)} of {@code topic}.
   *
   * @throws UserException naming {@code --from} or {@code --to} when a position cannot be read,
   *     or the topic when it does not exist
   */
  public static Read read(KafkaSpec kafka, String topic, String from, String to,
      Duration timeout) {
    return read(kafka, topic, "kafka.topics.examples", from, to, timeout, Map.of());
  }

  /**
   * Reads {@code [from, to)} of {@code topic}, the one named by the job file's {@code setting},
   * where {@code from} may be
   * {@code offsets-in-savepoint}: the next offset per partition in {@code savepointOffsets}
   * (partitions it does not name start at the log start).
   */
  public static Read read(KafkaSpec kafka, String topic, String setting, String from, String to,
      Duration timeout, Map<Integer, Long> savepointOffsets) {
    Properties p = kafka.clientProperties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new UserException("the topic '" + topic + "' (" + setting + ") does not exist on "
            + kafka.bootstrapServers(), 2);
      }
      List<TopicPartition> partitions = new ArrayList<>();
      infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
      partitions.sort(Comparator.comparingInt(TopicPartition::partition));
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      Map<TopicPartition, Long> start = position("--from", from, partitions, begin, end, consumer,
          timeout, false, savepointOffsets);
      Map<TopicPartition, Long> stop = position("--to", to, partitions, begin, end, consumer,
          timeout, true, savepointOffsets);
      Map<TopicPartition, long[]> ranges = new LinkedHashMap<>();
      List<RawRecord> records = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        check(tp, start.get(tp), stop.get(tp), begin.get(tp), end.get(tp), from, to);
        long a = Math.max(start.get(tp), begin.get(tp));
        long b = Math.min(stop.get(tp), end.get(tp));
        ranges.put(tp, new long[] {a, Math.max(a, b)});
        if (a >= b) {
          continue;
        }
        consumer.assign(List.of(tp));
        consumer.seek(tp, a);
        long deadline = System.nanoTime() + timeout.toNanos();
        long position = a;
        while (consumer.position(tp, timeout) < b) {
          var polled = consumer.poll(Duration.ofMillis(200));
          for (ConsumerRecord<byte[], byte[]> r : polled.records(tp)) {
            if (r.offset() >= b) {
              break;
            }
            records.add(new RawRecord(r.topic(), r.partition(), r.offset(), r.timestamp(),
                r.key(), r.value()));
          }
          long now = consumer.position(tp, timeout);
          if (now > position) {
            // Records, or aborted transactions and markers skipped: progress either way.
            position = now;
            deadline = System.nanoTime() + timeout.toNanos();
          } else if (System.nanoTime() > deadline) {
            throw new UserException("reading " + tp + " stopped at offset " + now + " before "
                + b + " (no progress for " + timeout.toSeconds() + " s): is the broker up, and"
                + " is a transaction open below " + b + "?", 1);
          }
        }
      }
      return new Read(records, ranges);
    }
  }

  /**
   * Refuses positions outside a partition's log: an end offset past its end, and a savepoint's
   * position before its start (the records between were deleted, so the replay would skip what
   * the savepoint's job read next). Positions found by timestamp or named earliest/latest are in
   * the log by construction.
   */
  private static void check(TopicPartition tp, long start, long stop, long begin, long end,
      String from, String to) {
    if (from.equals("offsets-in-savepoint") && start < begin) {
      throw new UserException("--from offsets-in-savepoint: the savepoint had read " + tp
          + " to offset " + start + ", but the log now starts at " + begin + " (records "
          + start + " to " + (begin - 1) + " were deleted, by retention or on purpose); the"
          + " replay would skip them. Give --from earliest or a timestamp to replay what is"
          + " left", 2);
    }
    if (isOffsets(to) && stop != Long.MAX_VALUE && stop > end) {
      throw new UserException("--to " + to + ": offset " + stop + " of " + tp + " is past the"
          + " end of its log (" + end + "); give an offset up to " + end + ", or latest", 2);
    }
  }

  private static Map<TopicPartition, Long> position(String flag, String value,
      List<TopicPartition> partitions, Map<TopicPartition, Long> begin,
      Map<TopicPartition, Long> end, KafkaConsumer<byte[], byte[]> consumer, Duration timeout,
      boolean isEnd, Map<Integer, Long> savepointOffsets) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (!isEnd && value.equals("offsets-in-savepoint")) {
      partitions.forEach(tp -> out.put(tp, savepointOffsets.getOrDefault(tp.partition(),
          begin.get(tp))));
      return out;
    }
    if (value.equals("earliest")) {
      partitions.forEach(tp -> out.put(tp, begin.get(tp)));
      return out;
    }
    if (value.equals("latest")) {
      partitions.forEach(tp -> out.put(tp, end.get(tp)));
      return out;
    }
    if (isEnd && isOffsets(value)) {
      return offsets(flag, value, partitions);
    }
    Long millis = timestamp(value);
    if (millis == null) {
      throw new UserException(flag + " must be " + (isEnd ? "latest, a timestamp (ISO-8601 such"
          + " as 2026-11-30T10:00:00Z) or offsets (5000, or 0:5000,1:4200)"
          : "earliest, offsets-in-savepoint or a timestamp (ISO-8601 such as"
          + " 2026-11-30T10:00:00Z)") + ", but was '" + value + "'", 2);
    }
    Map<TopicPartition, Long> query = new HashMap<>();
    partitions.forEach(tp -> query.put(tp, millis));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
    partitions.forEach(tp -> {
      OffsetAndTimestamp at = found.get(tp);
      out.put(tp, at == null ? end.get(tp) : at.offset());
    });
    return out;
  }

  private static Map<TopicPartition, Long> offsets(String flag, String value,
      List<TopicPartition> partitions) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (!value.contains(":")) {
      long offset = Long.parseLong(value);
      partitions.forEach(tp -> out.put(tp, offset));
      return out;
    }
    partitions.forEach(tp -> out.put(tp, Long.MAX_VALUE));
    for (String part : value.split(",")) {
      String[] pair = part.split(":");
      int partition = Integer.parseInt(pair[0]);
      TopicPartition tp = partitions.stream().filter(t -> t.partition() == partition).findFirst()
          .orElseThrow(() -> new UserException(flag + " names partition " + partition
              + ", which the topic does not have (partitions 0-" + (partitions.size() - 1) + ")",
              2));
      out.put(tp, Long.parseLong(pair[1]));
    }
    return out;
  }

  /** Whether an end position is offsets: {@code 5000} (every partition) or {@code 0:5000,1:4200}. */
  static boolean isOffsets(String to) {
    return to.matches("\\d+(:\\d+)?(,\\d+:\\d+)*");
  }

  /** An ISO-8601 instant in milliseconds, or null. */
  static Long timestamp(String value) {
    try {
      return Instant.parse(value).toEpochMilli();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
