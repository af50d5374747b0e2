package io.gradflow.jobs.kafka;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.Accumulator;

/**
 * What a job has read from its input topics, per partition: the record count, the first and the
 * last offset read, and the offsets skipped between reads (a jump of the offset by more than one:
 * records the broker deleted under the job, or transaction markers, aborted or compacted records).
 * The console compares it with the broker's log start offsets to detect data loss
 * ({@link InputPositions}).
 *
 * <p>A Flink accumulator ({@link #NAME}): every decode function adds to it; Flink merges the
 * subtasks' values (a partition is read by one subtask) and reports them to the client with the
 * task managers' heartbeats and in the job's result. The value is a plain map from
 * {@code "topic:partition"} (Kafka topic names cannot hold a colon) to
 * {@code [count, firstOffset, lastOffset, skipped, firstSkippedOffset]}, {@code -1} where none
 * (an {@link AccumulatorTable}: Flink's REST API and UI show it with its columns named).
 * Accumulators start again with a restored job and after a failover (a task restarted from a
 * checkpoint): {@link InputPositions#remember} keeps what earlier attempts read.
 *
 * <p>Memory: five longs per partition. Thread-safe: the task thread adds while Flink's heartbeat
 * thread serializes a snapshot, so both synchronize on the accumulator.
 */
public final class InputAccumulator
    implements Accumulator<RawRecord, AccumulatorTable<long[]>> {
  private static final long serialVersionUID = 1L;
  /** The accumulator's name in the job. */
  public static final String NAME = "gradflow.input";
  /**
   * An {@link org.apache.flink.api.common.accumulators.IntCounter}: how many example source
   * subtasks hold at their end ({@link RawRecord#endOfInput}), counted by the decode functions.
   */
  public static final String ENDED_EXAMPLES = "gradflow.ended.examples";
  /** As {@link #ENDED_EXAMPLES}, for the label source. */
  public static final String ENDED_LABELS = "gradflow.ended.labels";
  /**
   * An {@link org.apache.flink.api.common.accumulators.IntMaximum}: the highest attempt number
   * of the example decode functions' tasks (0 in a job's first attempt, one more after each
   * restart of the task), reported in the same snapshot as the counts, so the console knows for
   * certain whether the counts it sees started again since its previous look.
   */
  public static final String ATTEMPT = "gradflow.attempt";

  public static final int COUNT = 0;
  public static final int FIRST = 1;
  public static final int LAST = 2;
  public static final int SKIPPED = 3;
  public static final int FIRST_SKIPPED = 4;
  /** The names of the value's columns, as Flink's REST API shows them. */
  static final List<String> COLUMNS = List.of("count", "first", "last", "skipped",
      "firstSkipped");

  private HashMap<String, long[]> partitions = new HashMap<>();
  private transient String lastTopic;
  private transient int lastPartition = -1;
  private transient long[] lastEntry;

  @Override
  public synchronized void add(RawRecord record) {
    add(record.topic, record.partition, record.offset);
  }

  /** Counts one record read at {@code offset}. */
  public synchronized void add(String topic, int partition, long offset) {
    long[] e;
    if (lastEntry != null && partition == lastPartition && topic.equals(lastTopic)) {
      e = lastEntry;
    } else {
      e = partitions.computeIfAbsent(topic + ":" + partition,
          k -> new long[] {0, -1, -1, 0, -1});
      lastTopic = topic;
      lastPartition = partition;
      lastEntry = e;
    }
    if (e[COUNT] == 0) {
      e[FIRST] = offset;
    } else if (offset > e[LAST] + 1) {
      if (e[SKIPPED] == 0) {
        e[FIRST_SKIPPED] = e[LAST] + 1;
      }
      e[SKIPPED] += offset - e[LAST] - 1;
    }
    e[COUNT]++;
    e[LAST] = Math.max(e[LAST], offset);
  }

  @Override
  public synchronized AccumulatorTable<long[]> getLocalValue() {
    AccumulatorTable<long[]> copy = new AccumulatorTable<>(COLUMNS);
    partitions.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  @Override
  public synchronized void resetLocal() {
    partitions = new HashMap<>();
    lastEntry = null;
  }

  @Override
  public synchronized void merge(Accumulator<RawRecord, AccumulatorTable<long[]>> other) {
    for (Map.Entry<String, long[]> o : other.getLocalValue().entrySet()) {
      long[] mine = partitions.get(o.getKey());
      if (mine == null) {
        partitions.put(o.getKey(), o.getValue().clone());
        continue;
      }
      long[] theirs = o.getValue();
      // One partition is read by one subtask at a time; after a rescale two may report it.
      mine[COUNT] += theirs[COUNT];
      mine[FIRST] = minOffset(mine[FIRST], theirs[FIRST]);
      mine[LAST] = Math.max(mine[LAST], theirs[LAST]);
      mine[SKIPPED] += theirs[SKIPPED];
      mine[FIRST_SKIPPED] = minOffset(mine[FIRST_SKIPPED], theirs[FIRST_SKIPPED]);
    }
    lastEntry = null;
  }

  private static long minOffset(long a, long b) {
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  }

  @Override
  public synchronized InputAccumulator clone() {
    InputAccumulator c = new InputAccumulator();
    partitions.forEach((k, v) -> c.partitions.put(k, v.clone()));
    return c;
  }

  private synchronized void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
  }
}
