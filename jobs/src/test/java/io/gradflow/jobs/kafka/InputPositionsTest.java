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
  void recordsDeletedBeforeTheFirstReadAreLost() {
    List<PartitionExtent> extent = List.of(new PartitionExtent(P0, 0, 1000, 0, 1000));
    List<Loss> losses = InputPositions.losses(extent, read(500, 501, 502), Map.of(P0, 500L),
        false);
    assertEquals(List.of(new Loss(P0, 0, 500, 500)), losses);
  }

  @Test
  void recordsSkippedWhileReadingAreLostOnceTheLogStartPassedThem() {
    List<PartitionExtent> extent = List.of(new PartitionExtent(P0, 0, 1000, 0, 1000));
    Map<String, long[]> read = read(0, 1, 2, 900, 901);
    assertEquals(List.of(), InputPositions.losses(extent, read, Map.of(P0, 0L), false),
        "a gap the broker has not deleted past (a transaction marker) is no loss");
    assertEquals(List.of(new Loss(P0, 3, 897, 900)),
        InputPositions.losses(extent, read, Map.of(P0, 900L), false));
  }

  @Test
  void nothingIsClaimedWhileTheJobHasReadNothingButAtTheEndItIs() {
    List<PartitionExtent> extent = List.of(new PartitionExtent(P0, 0, 1000, 0, 1000));
    assertTrue(InputPositions.losses(extent, Map.of(), Map.of(P0, 1000L), false).isEmpty());
    assertEquals(List.of(new Loss(P0, 0, 1000, 1000)),
        InputPositions.losses(extent, Map.of(), Map.of(P0, 1000L), true));
  }

  @Test
  void aCompleteReadLosesNothing() {
    List<PartitionExtent> extent = List.of(new PartitionExtent(P0, 10, 13, 10, 13));
    assertTrue(InputPositions.losses(extent, read(10, 11, 12), Map.of(P0, 13L), true).isEmpty());
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
    assertEquals(List.of(), InputPositions.losses(extent, history, Map.of(P0, 3L), false));
    assertEquals(6, history.get("examples:0")[InputAccumulator.LAST]);
  }
}
