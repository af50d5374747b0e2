package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

/**
 * A savepoint of the release that stepped every batch before a checkpoint (its {@code model.v1}
 * has no batch in flight) restores into the current trainer: the committed fixture
 * {@code trainer-batch-v0.snapshot} was written by {@link #writeFixture} with that release's code
 * (wide_and_deep at batch size 4, {@link #WRITTEN} examples of
 * {@link BatchTrainerOperatorTest#stream}, then a checkpoint, which stepped the partial batches).
 *
 * <p>To rewrite it (only ever with the code of the release it stands for):
 * {@code -Dgradflow.writeBatchV0Fixture=operators/src/test/resources/io/gradflow/flink/trainer-batch-v0.snapshot}.
 */
class BatchStateMigrationTest {
  static final String FIXTURE = "trainer-batch-v0.snapshot";
  static final int WRITTEN = 301;
  static final int TOTAL = 700;

  static LearnerSpec spec() {
    return BatchTrainerOperatorTest.spec(BatchTrainerOperatorTest.WIDE_AND_DEEP, 4);
  }

  static List<CompactExample> examples() {
    return BatchTrainerOperatorTest.stream(TOTAL, 31);
  }

  /**
   * The restored models continue from the release's state: the next predictions equal the
   * reference's with every batch stepped at the fixture's checkpoint, bit for bit (and differ
   * from a run whose batches were not cut there); a checkpoint of the continued run, taken with a
   * batch in flight, restores and continues alike.
   */
  @Test
  void aStateWithoutABatchRestoresAndContinues() throws Exception {
    List<CompactExample> examples = examples();
    LearnerSpec spec = spec();
    List<Double> expected = BatchTrainerOperatorTest.reference(spec, examples,
        Set.of(WRITTEN - 1), new BatchTrainerOperatorTest.BatchReference(spec));
    List<Double> uncut = BatchTrainerOperatorTest.reference(spec, examples, Set.of(),
        new BatchTrainerOperatorTest.BatchReference(spec));
    assertNotEquals(uncut.subList(WRITTEN, TOTAL), expected.subList(WRITTEN, TOTAL));
    OperatorSubtaskState fixture = OperatorSnapshotUtil.readStateHandle(
        getClass().getResource(FIXTURE).getFile());
    int middle = 502;
    OperatorSubtaskState snapshot;
    List<Double> got = new java.util.ArrayList<>();
    try (var h = BatchTrainerOperatorTest.harness(spec, 1_000, Duration.ZERO)) {
      h.initializeState(fixture);
      h.open();
      assertEquals(0, BatchTrainerOperatorTest.batchesInFlight(h), "the release stepped them");
      got.addAll(TrainerOperatorTest.run(h, examples.subList(WRITTEN, middle)));
      h.prepareSnapshotPreBarrier(2);
      snapshot = h.snapshot(2, 2);
      assertTrue(BatchTrainerOperatorTest.batchesInFlight(h) > 0);
    }
    try (var h = BatchTrainerOperatorTest.harness(spec, 1_000, Duration.ZERO)) {
      h.initializeState(snapshot);
      h.open();
      got.addAll(TrainerOperatorTest.run(h, examples.subList(middle, TOTAL)));
    }
    assertEquals(expected.subList(WRITTEN, TOTAL), got);
  }

  @Test
  void writeFixture() throws Exception {
    String target = System.getProperty("gradflow.writeBatchV0Fixture");
    if (target == null) {
      return;
    }
    try (var h = BatchTrainerOperatorTest.harness(spec(), 1_000, Duration.ZERO)) {
      h.open();
      TrainerOperatorTest.run(h, examples().subList(0, WRITTEN));
      h.prepareSnapshotPreBarrier(1);
      OperatorSubtaskState snapshot = h.snapshot(1, 1);
      OperatorSnapshotUtil.writeStateHandle(snapshot, new File(target).getAbsolutePath());
    }
  }
}
