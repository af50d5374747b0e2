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
