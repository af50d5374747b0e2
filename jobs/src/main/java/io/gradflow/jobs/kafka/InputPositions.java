package io.gradflow.jobs.kafka;

import io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Data loss in a job's input: records the broker deleted (retention, {@code deleteRecords})
 * before the job read them. Compares where the job was to start ({@link PartitionExtent#start()}),
 * what it read ({@link InputAccumulator}: first and last offset, skipped offsets) and the broker's
 * log start offset now. Claims only what the evidence proves:
 * <ul>
 *   <li>the job's first read lies after its starting offset and the log start offset has passed
 *       the starting offset: the records in between were deleted unread;
 *   <li>the job skipped offsets while reading (the consumer jumped to the log start after its
 *       position was deleted) and the log start offset has passed the first skipped offset;
 *   <li>at the end of a bounded run, a partition with nothing read whose start lies below the log
 *       start offset.
 * </ul>
 * A transactional or compacted input topic also has offsets without records (transaction
 * markers, aborted or compacted records); once retention has passed them they count as skipped.
 * Stateless; thread-safe.
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
   * @param extents where the job started, per partition (empty when restored from a savepoint:
   *     the starting offsets are then the checkpoint's)
   * @param read the value of the {@link InputAccumulator}
   * @param logStarts the log start offsets now
   * @param ended whether the job has ended (a partition with nothing read is only judged then)
   */
  public static List<Loss> losses(List<PartitionExtent> extents, Map<String, long[]> read,
      Map<TopicPartition, Long> logStarts, boolean ended) {
    List<Loss> out = new ArrayList<>();
    for (PartitionExtent extent : extents) {
      TopicPartition tp = extent.partition();
      Long logStart = logStarts.get(tp);
      if (logStart == null) {
        continue;
      }
      long[] r = read == null ? null : read.get(tp.topic() + ":" + tp.partition());
      long start = extent.start();
      long lost = 0;
      long from = -1;
      boolean readAny = r != null && r[InputAccumulator.COUNT] > 0;
      if (readAny) {
        long first = r[InputAccumulator.FIRST];
        if (first > start && logStart > start) {
          from = start;
          lost += Math.min(first, logStart) - start;
        }
        long skipped = r[InputAccumulator.SKIPPED];
        if (skipped > 0 && logStart > r[InputAccumulator.FIRST_SKIPPED]) {
          if (from < 0) {
            from = r[InputAccumulator.FIRST_SKIPPED];
          }
          lost += skipped;
        }
      } else if (ended && logStart > start) {
        long end = extent.end() < 0 ? logStart : Math.min(logStart, extent.end());
        if (end > start) {
          from = start;
          lost = end - start;
        }
      }
      if (lost > 0) {
        out.add(new Loss(tp, from, lost, logStart));
      }
    }
    return out;
  }
}
