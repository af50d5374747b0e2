package io.gradflow.jobs.kafka;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.Accumulator;

/**
 * Dead letters by reason, with the first record of each reason: its detail and coordinates, so the
 * console can say at the first one what went wrong, where, and what to do.
 *
 * <p>A Flink accumulator ({@link #NAME}) that every decode function adds to; merged over subtasks
 * and reported to the client with the heartbeats and in the job's result. The value is a plain map
 * from reason to {@code [count, detail, topic, partition, offset]} (all strings; an {@link
 * AccumulatorTable}: Flink's REST API and UI show it with its columns named). Accumulators
 * restart with a restored job: they count this run's dead letters.
 *
 * <p>Memory: one entry per reason seen, the detail cut to {@value #MAX_DETAIL} characters.
 * Thread-safe (the heartbeat thread serializes snapshots while the task thread adds).
 */
public final class DeadLetterAccumulator
    implements Accumulator<DeadLetter, AccumulatorTable<String[]>> {
  private static final long serialVersionUID = 1L;
  /** The accumulator's name in the job. */
  public static final String NAME = "gradflow.deadLetters";
  static final int MAX_DETAIL = 300;
  /** The names of the value's columns, as Flink's REST API shows them. */
  static final List<String> COLUMNS = List.of("count", "detail", "topic", "partition", "offset");

  private HashMap<String, long[]> counts = new HashMap<>();
  private HashMap<String, String[]> firsts = new HashMap<>();

  @Override
  public synchronized void add(DeadLetter d) {
    long[] count = counts.get(d.reason);
    if (count == null) {
      count = new long[1];
      counts.put(d.reason, count);
      String detail = d.detail == null ? "" : d.detail;
      if (detail.length() > MAX_DETAIL) {
        detail = detail.substring(0, MAX_DETAIL) + "...";
      }
      firsts.put(d.reason, new String[] {detail, d.topic, Integer.toString(d.partition),
          Long.toString(d.offset)});
    }
    count[0]++;
  }

  @Override
  public synchronized AccumulatorTable<String[]> getLocalValue() {
    AccumulatorTable<String[]> value = new AccumulatorTable<>(COLUMNS);
    counts.forEach((reason, count) -> {
      String[] first = firsts.get(reason);
      value.put(reason, new String[] {Long.toString(count[0]), first[0], first[1], first[2],
          first[3]});
    });
    return value;
  }

  @Override
  public synchronized void resetLocal() {
    counts = new HashMap<>();
    firsts = new HashMap<>();
  }

  @Override
  public synchronized void merge(Accumulator<DeadLetter, AccumulatorTable<String[]>> other) {
    for (Map.Entry<String, String[]> e : other.getLocalValue().entrySet()) {
      String[] v = e.getValue();
      long[] count = counts.get(e.getKey());
      if (count == null) {
        counts.put(e.getKey(), new long[] {Long.parseLong(v[0])});
        firsts.put(e.getKey(), new String[] {v[1], v[2], v[3], v[4]});
      } else {
        count[0] += Long.parseLong(v[0]);
      }
    }
  }

  @Override
  public synchronized DeadLetterAccumulator clone() {
    DeadLetterAccumulator c = new DeadLetterAccumulator();
    counts.forEach((k, v) -> c.counts.put(k, v.clone()));
    firsts.forEach((k, v) -> c.firsts.put(k, v.clone()));
    return c;
  }

  private synchronized void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
  }
}
