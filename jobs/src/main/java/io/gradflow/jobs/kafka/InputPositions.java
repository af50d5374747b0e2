package io.gradflow.jobs.kafka;

import io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Data loss in a job's input: records the broker deleted (retention, {@code deleteRecords})
 * before the job read them. A {@link Watch} compares, at each look, what the job has read
 * ({@link InputAccumulator}: first and last offset, skipped offsets) with the broker's log start
 * offsets, and claims only what the evidence proves:
 * <ul>
 *   <li>records below the log start at start-up that the job was to read
 *       ({@link KafkaPreflight.PartitionExtent#deletedBeforeStart()}, reported at start-up);
 *   <li>offsets the job skipped between two looks while, at the earlier look, the log start was
 *       already past the job's position: the consumer's position had been deleted and it jumped
 *       to the log start;
 *   <li>at the end of a bounded run, a partition with nothing read whose start lies below the log
 *       start offset.
 * </ul>
 * Offsets without records (transaction markers, aborted or compacted records) are skipped too;
 * they count as loss only under the second rule, when the broker had deleted past the job's
 * position, so a transactional or compacted input gives no false alarm. Deletions between two
 * looks that the job jumped over before the next look are not proven, only suspected
 * ({@link Watch#suspected()}). Stateless apart from {@link Watch}; thread-safe.
 */
public final class InputPositions {
  private InputPositions() {}

  /**
   * What the job has read over several reports of the {@link InputAccumulator}: the lowest first
   * offset, the highest last offset, the most skipped offsets. Accumulators start again when Flink
   * restarts a task from a checkpoint (a failover): the new attempt's first read is the
   * checkpoint's offset, which is no loss, since an earlier attempt read the records before it.
   *
   * @return whether {@code current} looks like a restarted attempt (it counts fewer records or
   *     starts later than {@code history} for some partition)
   */
  public static boolean remember(Map<String, long[]> history, Map<String, long[]> current) {
    boolean restarted = false;
    for (Map.Entry<String, long[]> e : current.entrySet()) {
      long[] c = e.getValue();
      long[] h = history.get(e.getKey());
      if (h == null) {
        history.put(e.getKey(), c.clone());
        continue;
      }
      restarted |= c[InputAccumulator.COUNT] < h[InputAccumulator.COUNT]
          || c[InputAccumulator.FIRST] > h[InputAccumulator.FIRST];
      h[InputAccumulator.COUNT] = Math.max(h[InputAccumulator.COUNT], c[InputAccumulator.COUNT]);
      h[InputAccumulator.FIRST] = minOffset(h[InputAccumulator.FIRST], c[InputAccumulator.FIRST]);
      h[InputAccumulator.LAST] = Math.max(h[InputAccumulator.LAST], c[InputAccumulator.LAST]);
      h[InputAccumulator.SKIPPED] =
          Math.max(h[InputAccumulator.SKIPPED], c[InputAccumulator.SKIPPED]);
      h[InputAccumulator.FIRST_SKIPPED] = minOffset(h[InputAccumulator.FIRST_SKIPPED],
          c[InputAccumulator.FIRST_SKIPPED]);
    }
    return restarted;
  }

  private static long minOffset(long a, long b) {
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  }

  /** Records of one partition that were deleted before the job read them. */
  public record Loss(TopicPartition partition, long fromOffset, long records, long logStart) {}

  /**
   * Looks at the job's reads over time. Not thread-safe: one per job, used by the thread that
   * watches it.
   */
  public static final class Watch {
    private static final int LAST = 0;
    private static final int SKIPPED = 1;
    private static final int LOG_START = 2;
    private final List<PartitionExtent> extents;
    private final Map<TopicPartition, long[]> seen = new HashMap<>();
    private final Map<TopicPartition, long[]> lost = new HashMap<>();
    private long suspected;

    /**
     * @param extents where the job starts, per partition, with the log start at start-up (empty
     *     when restored from a savepoint: the starting offsets are then the checkpoint's, and no
     *     loss is judged)
     */
    public Watch(List<PartitionExtent> extents) {
      this.extents = List.copyOf(extents);
      for (PartitionExtent e : extents) {
        seen.put(e.partition(), new long[] {e.start() - 1, 0, e.logStart()});
      }
    }

    /**
     * One look.
     *
     * @param read the job's reads so far ({@link InputAccumulator}, merged over restarts with
     *     {@link #remember})
     * @param logStarts the log start offsets now
     * @param ended whether the job has ended (a partition with nothing read is only judged then)
     * @return every partition's proven loss so far
     */
    public List<Loss> look(Map<String, long[]> read, Map<TopicPartition, Long> logStarts,
        boolean ended) {
      for (PartitionExtent extent : extents) {
        TopicPartition tp = extent.partition();
        Long logStart = logStarts.get(tp);
        if (logStart == null) {
          continue;
        }
        long[] s = seen.get(tp);
        long[] r = read == null ? null : read.get(tp.topic() + ":" + tp.partition());
        long start = extent.start();
        if (r != null && r[InputAccumulator.COUNT] > 0) {
          long newlySkipped = r[InputAccumulator.SKIPPED] - s[SKIPPED];
          long position = s[LAST] + 1;
          if (newlySkipped > 0) {
            // Before the first read the log start at start-up is judged at start-up.
            long deletedAhead = s[LAST] >= start ? s[LOG_START] - position : 0;
            if (deletedAhead > 0) {
              add(tp, position, Math.min(newlySkipped, deletedAhead));
            } else if (logStart > position) {
              suspected += newlySkipped;
            }
          }
          s[LAST] = Math.max(s[LAST], r[InputAccumulator.LAST]);
          s[SKIPPED] = Math.max(s[SKIPPED], r[InputAccumulator.SKIPPED]);
        } else if (ended && logStart > start && !lost.containsKey(tp)) {
          long end = extent.end() < 0 ? logStart : Math.min(logStart, extent.end());
          if (end > start) {
            add(tp, start, end - start);
          }
        }
        s[LOG_START] = logStart;
      }
      List<Loss> out = new ArrayList<>();
      lost.forEach((tp, l) -> out.add(new Loss(tp, l[0], l[1], seen.get(tp)[LOG_START])));
      out.sort(java.util.Comparator.comparing(Loss::partition, java.util.Comparator
          .comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition)));
      return out;
    }

    private void add(TopicPartition tp, long from, long records) {
      long[] l = lost.computeIfAbsent(tp, k -> new long[] {from, 0});
      l[0] = Math.min(l[0], from);
      l[1] += records;
    }

    /**
     * Offsets skipped while the broker deleted past the job's position between two looks: loss,
     * or offsets without records (transaction markers); not proven either way.
     */
    public long suspected() {
      return suspected;
    }
  }
}
