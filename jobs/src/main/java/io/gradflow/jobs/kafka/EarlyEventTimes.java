package io.gradflow.jobs.kafka;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.accumulators.Accumulator;

/**
 * Examples whose {@code event_time} is before 2000-01-01T00:00:00Z ({@value #YEAR_2000} ms since
 * the epoch): learned as any other (people replay old history, and tests use small event times),
 * but most likely written in seconds where milliseconds are meant (1733000000 s is today;
 * read as milliseconds it is 1970-01-21), which makes event-time schedules, metrics windows and
 * label timeouts wrong. The console says so ({@link #warning}).
 *
 * <p>A Flink accumulator ({@link #NAME}) the decode functions add each such example's event time
 * to: the value is a {@link Seen}, the count and the earliest of those event times (ms), over
 * every subtask whatever the order Flink merges them in (the first example a subtask met need not
 * be the earliest, and which subtask Flink merges first is not fixed).
 * Memory: two longs. Thread-safe: the task thread adds while Flink's heartbeat thread serializes
 * a snapshot, so both synchronize on the accumulator.
 */
public final class EarlyEventTimes implements Accumulator<Long, EarlyEventTimes.Seen> {
  private static final long serialVersionUID = 1L;
  /** The accumulator's name in the job. */
  public static final String NAME = "gradflow.event-time-before-2000";
  /** 2000-01-01T00:00:00Z in milliseconds since the epoch: earlier event times are counted. */
  public static final long YEAR_2000 = 946_684_800_000L;

  private long count;
  private long earliest;

  /**
   * The accumulator's value: how many examples had an event time before 2000, and the earliest
   * of their event times (ms since the epoch; 0 when none). Its {@code toString} is what Flink's
   * REST API and UI show: {@code count=3, earliest=1733000000 (1970-01-21T01:23:20Z)}.
   */
  public record Seen(long count, long earliest) implements Serializable {
    @Override
    public String toString() {
      return count == 0 ? "count=0" : "count=" + count + ", earliest=" + earliest + " ("
          + Instant.ofEpochMilli(earliest) + ")";
    }
  }

  /** Whether an event time (ms since the epoch) is one this counts. */
  public static boolean early(long eventTimeMillis) {
    return eventTimeMillis < YEAR_2000;
  }

  /** Counts one example of event time {@code eventTimeMillis} (before 2000). */
  @Override
  public synchronized void add(Long eventTimeMillis) {
    earliest = count++ == 0 ? eventTimeMillis : Math.min(earliest, eventTimeMillis);
  }

  @Override
  public synchronized Seen getLocalValue() {
    return new Seen(count, earliest);
  }

  @Override
  public synchronized void resetLocal() {
    count = 0;
    earliest = 0;
  }

  @Override
  public synchronized void merge(Accumulator<Long, Seen> other) {
    Seen theirs = other.getLocalValue();
    if (theirs.count() == 0) {
      return;
    }
    earliest = count == 0 ? theirs.earliest() : Math.min(earliest, theirs.earliest());
    count += theirs.count();
  }

  @Override
  public synchronized EarlyEventTimes clone() {
    EarlyEventTimes c = new EarlyEventTimes();
    c.count = count;
    c.earliest = earliest;
    return c;
  }

  private synchronized void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
  }

  /** The count in a job's accumulators (0 when none was counted or the job has none). */
  public static long count(Map<String, Object> accumulators) {
    return accumulators.get(NAME) instanceof Seen v ? v.count() : 0;
  }

  /**
   * {@code 1,234 examples have an event_time before 2000-01-01 (earliest: 1733000000 =
   * 1970-01-21T01:23:20Z); event_time is in milliseconds since the epoch: a producer writing
   * seconds?}, or null when the accumulators count none.
   */
  public static String warning(Map<String, Object> accumulators) {
    if (!(accumulators.get(NAME) instanceof Seen v) || v.count() == 0) {
      return null;
    }
    return String.format(Locale.ROOT, "%,d %s an event_time before 2000-01-01 (earliest: %d = %s);"
        + " event_time is in milliseconds since the epoch: a producer writing seconds?",
        v.count(), v.count() == 1 ? "example has" : "examples have", v.earliest(),
        Instant.ofEpochMilli(v.earliest()));
  }
}
