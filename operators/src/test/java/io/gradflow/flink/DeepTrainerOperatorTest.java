package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;

/**
 * The trainer operator with the mlp and wide_and_deep models (batch size 1, dense features
 * standardized online): two model keys learn, a snapshot holds the dense blocks (flushed with the
 * pages), and a restored operator continues bit for bit like one that was not interrupted; on a
 * label that follows the sign of a product of two dense features, both end with a prequential log
 * loss well below logistic regression's.
 */
class DeepTrainerOperatorTest {
  static List<CompactExample> stream(int count, long seed) {
    Random random = new Random(seed);
    List<CompactExample> out = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      int n = 1 + random.nextInt(3);
      long[] ids = new long[n];
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        ids[i] = 1000L * i + random.nextInt(50) * 41L;
        values[i] = 1f;
      }
      float[] dense = new float[3];
      for (int j = 0; j < 3; j++) {
        dense[j] = (float) (10 * j + random.nextGaussian());
      }
      // A non-linear truth: the label follows the sign of dense[0] * dense[1] (centered).
      double d0 = dense[0];
      double d1 = dense[1] - 10;
      float label = d0 * d1 + 0.3 * random.nextGaussian() > 0 ? 1f : 0f;
      out.add(new CompactExample("e" + e, e % 2 == 0 ? "a" : "b", e, ids, values, dense, label,
          1f));
    }
    return out;
  }

  static double lateLogLoss(List<Double> predictions, List<CompactExample> examples) {
    double loss = 0;
    for (int i = 2_000; i < 3_000; i++) {
      double p = Math.min(Math.max(predictions.get(i), 1e-7), 1 - 1e-7);
      loss -= examples.get(i).label == 1f ? Math.log(p) : Math.log(1 - p);
    }
    return loss / 1_000;
  }

  @Test
  void aRestoredOperatorContinuesExactlyAndTheModelsLearn() throws Exception {
    List<CompactExample> examples = stream(3_000, 11);
    double linear;
    try (var h = TrainerOperatorTest.harness(new LearnerSpec(new io.gradflow.model.LinearSpec(),
        Loss.LOGISTIC, AdamSpec.of(0.01), GradientSpec.NONE, new ScheduleSpec.Constant(),
        ScheduleClock.MODEL_STEP, true), 2)) {
      h.open();
      linear = lateLogLoss(TrainerOperatorTest.run(h, examples), examples);
    }
    for (DeepModelSpec model : List.of(
        new DeepModelSpec(false, List.of(8, 4), Activation.TANH, 3, 0, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(8), Activation.RELU, 3, 4, 0.1, Pooling.MEAN, 1, 8))) {
      LearnerSpec spec = new LearnerSpec(model, Loss.LOGISTIC, AdamSpec.of(0.01),
          GradientSpec.NONE, new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, true);
      List<Double> expected;
      try (var h = TrainerOperatorTest.harness(spec, 2)) {
        h.open();
        expected = TrainerOperatorTest.run(h, examples);
      }
      List<Double> got = new ArrayList<>();
      OperatorSubtaskState snapshot;
      try (var h = TrainerOperatorTest.harness(spec, 2)) {
        h.open();
        got.addAll(TrainerOperatorTest.run(h, examples.subList(0, 1_700)));
        h.prepareSnapshotPreBarrier(1);
        snapshot = h.snapshot(1, 1);
        TrainerOperatorTest.run(h, examples.subList(1_700, 2_000)); // must not leak
      }
      try (var h = TrainerOperatorTest.harness(spec, 3)) {
        h.initializeState(snapshot);
        h.open();
        got.addAll(TrainerOperatorTest.run(h, examples.subList(1_700, 3_000)));
      }
      assertEquals(expected, got, model.configName());
      // It learns the non-linear truth, which logistic regression cannot: the prequential log
      // loss of the last 1000 predictions.
      double loss = lateLogLoss(expected, examples);
      System.out.printf("%s: log loss of the last 1000 examples %.4f (logistic regression"
          + " %.4f)%n", model.configName(), loss, linear);
      assertTrue(loss < linear - 0.1, model.configName() + " log loss " + loss + ", linear "
          + linear);
    }
  }
}
