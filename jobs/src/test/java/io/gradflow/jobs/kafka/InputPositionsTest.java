package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.InputPositions.Loss;
import io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class InputPositionsTest {
  private static final TopicPartition P0 = new TopicPartition("examples", 0);

  private static Map<String, long[]> read(long... offsets) {
    InputAccumulator a = new InputAccumulator();
    for (long o : offsets) {
      a.add("examples", 0, o);
    }
    return a.getLocalValue();
  }

  @Test
  void aFirstReadAfterTheStartIsNoProvenLossWhenNothingWasDeletedAtStartUp() {
    // The start offset may be a transaction marker: the first record is at 1, and retention
    // passing it later proves nothing. Deletions before start-up are judged at start-up.
    InputPositions.Watch watch =
        new InputPositions.Watch(List.of(new PartitionExtent(P0, 0, 1000, 0, 1000)));
    assertEquals(List.of(), watch.look(read(1, 2, 3), Map.of(P0, 0L), false));
    assertEquals(List.of(), watch.look(read(1, 2, 3), Map.of(P0, 3L), true));
    assertEquals(500, new PartitionExtent(P0, 500, 1000, 0, 1000).deletedBeforeStart());
  }

  @Test
  void offsetsSkippedAfterTheBrokerDeletedPastThePositionAreLost() {
    InputPositions.Watch watch =
        new InputPositions.Watch(List.of(new PartitionExtent(P0, 0, 1000, 0, 1000)));
    assertEquals(List.of(), watch.look(read(0, 1, 2), Map.of(P0, 0L), false));
    // Retention deletes up to 900 while the job stands at 3; then it jumps to the log start.
    assertEquals(List.of(), watch.look(read(0, 1, 2), Map.of(P0, 900L), false));
    assertEquals(List.of(new Loss(P0, 3, 897, 900)),
        watch.look(read(0, 1, 2, 900, 901), Map.of(P0, 900L), false));
    assertEquals(0, watch.suspected());
  }

  @Test
  void transactionMarkersAreNoLossEvenOnceRetentionPassesThem() {
    InputPositions.Watch watch =
        new InputPositions.Watch(List.of(new PartitionExtent(P0, 0, 1000, 0, 1000)));
    // Offsets 2 and 5 are commit markers: skipped, and the log start far behind the job.
    assertEquals(List.of(), watch.look(read(0, 1, 3, 4, 6), Map.of(P0, 0L), false));
    assertEquals(List.of(), watch.look(read(0, 1, 3, 4, 6, 7), Map.of(P0, 7L), false));
    assertEquals(List.of(), watch.look(read(0, 1, 3, 4, 6, 7), Map.of(P0, 7L), true));
    assertEquals(0, watch.suspected());
  }

  @Test
  void skipsWhileTheBrokerDeletesBetweenTwoLooksAreOnlySuspected() {
    InputPositions.Watch watch =
        new InputPositions.Watch(List.of(new PartitionExtent(P0, 0, 1000, 0, 1000)));
    assertEquals(List.of(), watch.look(read(0, 1, 2), Map.of(P0, 0L), false));
    assertEquals(List.of(), watch.look(read(0, 1, 2, 900), Map.of(P0, 900L), false));
    assertEquals(897, watch.suspected());
  }

  @Test
  void nothingIsClaimedWhileTheJobHasReadNothingButAtTheEndItIs() {
    InputPositions.Watch watch =
        new InputPositions.Watch(List.of(new PartitionExtent(P0, 0, 1000, 0, 1000)));
    assertTrue(watch.look(Map.of(), Map.of(P0, 1000L), false).isEmpty());
    assertEquals(List.of(new Loss(P0, 0, 1000, 1000)),
        watch.look(Map.of(), Map.of(P0, 1000L), true));
  }

  @Test
  void aCompleteReadLosesNothing() {
    List<PartitionExtent> extent = List.of(new PartitionExtent(P0, 10, 13, 10, 13));
    InputPositions.Watch watch = new InputPositions.Watch(extent);
    assertTrue(watch.look(read(10, 11, 12), Map.of(P0, 13L), true).isEmpty());
    assertEquals(3, extent.get(0).toRead());
    assertEquals(0, extent.get(0).deletedBeforeStart());
    assertEquals(5, new PartitionExtent(P0, 5, 13, 0, 13).deletedBeforeStart());
  }

  @Test
  void theAccumulatorMergesPartitionsAndCountsGaps() {
    InputAccumulator a = new InputAccumulator();
    a.add("examples", 0, 0);
    a.add("examples", 1, 5);
    a.add("examples", 0, 3);
    InputAccumulator b = new InputAccumulator();
    b.add("examples", 1, 6);
    a.merge(b);
    Map<String, long[]> v = a.getLocalValue();
    assertEquals(2, v.get("examples:0")[InputAccumulator.COUNT]);
    assertEquals(2, v.get("examples:0")[InputAccumulator.SKIPPED]);
    assertEquals(1, v.get("examples:0")[InputAccumulator.FIRST_SKIPPED]);
    assertEquals(2, v.get("examples:1")[InputAccumulator.COUNT]);
    assertEquals(6, v.get("examples:1")[InputAccumulator.LAST]);
  }

  @Test
  void aRestartedAttemptStartingAtItsCheckpointIsNoLoss() {
    List<PartitionExtent> extent = List.of(new PartitionExtent(P0, 0, 1000, 0, -1));
    Map<String, long[]> history = new java.util.HashMap<>();
    assertTrue(!InputPositions.remember(history, read(0, 1, 2, 3, 4, 5)));
    // After a failover the accumulator starts again, at the checkpoint's offset 4, while
    // retention has deleted offsets below 3 (read long before).
    assertTrue(InputPositions.remember(history, read(4, 5, 6)));
    assertEquals(List.of(),
        new InputPositions.Watch(extent).look(history, Map.of(P0, 3L), false));
    assertEquals(6, history.get("examples:0")[InputAccumulator.LAST]);
  }
}
