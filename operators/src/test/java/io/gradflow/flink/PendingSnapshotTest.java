package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.LearnerSpec;
import io.gradflow.learn.ReferenceLearner;
import io.gradflow.learn.SyntheticClicks;
import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.CheckpointOptions;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.memory.MemCheckpointStreamFactory;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFinalizer;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFutures;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint's asynchronous part (the heap backend's, in the operator test harness) held back
 * while the trainer goes on learning, as in a running job: with a cache of a few pages, the
 * examples after the checkpoint load pages from keyed state and write dirty ones back on
 * eviction while the snapshot is pending, so the heap backend's copy-on-write runs on the model's
 * pages (which {@link PageSerializer#copy} shares instead of cloning). Nothing learned after the
 * checkpoint may reach it: the operator restored from it predicts the rest of the stream
 * bit-identically to the bare-loop reference, which learned the stream once, in order.
 */
class PendingSnapshotTest {
  @Test
  void pagesWrittenWhileTheSnapshotIsPendingDoNotReachIt() throws Exception {
    for (LearnerSpec spec : List.of(TrainerOperatorTest.LOGISTIC_ADAGRAD,
        TrainerOperatorTest.FM_ADAM)) {
      List<CompactExample> examples = SyntheticClicks.generate(5, 4_000, 10, 3_000, "a", "b",
          "c");
      ReferenceLearner reference = new ReferenceLearner(spec);
      List<Double> expected = new ArrayList<>();
      for (CompactExample e : examples) {
        expected.add(reference.process(e));
      }
      OperatorSubtaskState snapshot;
      List<Double> got = new ArrayList<>();
      try (var h = TrainerOperatorTest.harness(spec, 3)) {
        h.open();
        got.addAll(TrainerOperatorTest.run(h, examples.subList(0, 2_500)));
        h.prepareSnapshotPreBarrier(1);
        OperatorSnapshotFutures pending = h.getOperator().snapshotState(1, 1,
            CheckpointOptions.forCheckpointWithDefaultLocation(),
            new MemCheckpointStreamFactory(256 << 20));
        TrainerOperator operator = (TrainerOperator) h.getOperator();
        long writes = operator.pagedLearner("").cache().writes();
        // Learn on while the snapshot's asynchronous part has not run yet.
        TrainerOperatorTest.run(h, examples.subList(2_500, 3_500));
        assertTrue(operator.pagedLearner("").cache().writes() > writes + 100,
            "pages must be written back while the snapshot is pending");
        snapshot = OperatorSnapshotFinalizer.create(pending).getJobManagerOwnedState();
      }
      try (var h = TrainerOperatorTest.harness(spec, 5)) {
        h.initializeState(snapshot);
        h.open();
        got.addAll(TrainerOperatorTest.run(h, examples.subList(2_500, 4_000)));
      }
      int first = 0;
      while (first < got.size() && got.get(first).equals(expected.get(first))) {
        first++;
      }
      assertEquals(expected.size(), first, spec.model() + ": prediction " + first + " of "
          + expected.size() + " differs from the reference (the checkpoint is at 2,500)");
    }
  }
}
