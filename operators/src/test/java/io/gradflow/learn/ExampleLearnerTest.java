package io.gradflow.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.AdaDeltaSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.BiasCorrection;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.SgdSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The per-example arithmetic at the edges: extreme feature values, importance weight 0. */
class ExampleLearnerTest {
  static final List<OptimizerSpec> OPTIMIZERS = List.of(
      SgdSpec.of(0.1), new SgdSpec(0.05, 0.9, 0, true, 0.01),
      new AdaGradSpec(0.1, 0.01, 0.01, 0.1, 1e-10), new RmsPropSpec(0.01, 0.9, 1e-8, 0, 0.9, true),
      AdaDeltaSpec.of(1.0), AdamSpec.of(0.01),
      new AdamSpec(0.01, 0.9, 0.999, 1e-8, 0, true, BiasCorrection.GLOBAL),
      new AdamWSpec(0.01, 0.9, 0.999, 1e-8, 0.05, false, BiasCorrection.GLOBAL),
      FtrlSpec.of(0.1));

  private static LearnerSpec spec(ModelSpec model, Loss loss, OptimizerSpec optimizer) {
    return new LearnerSpec(model, loss, optimizer, GradientSpec.NONE, new ScheduleSpec.Constant(),
        ScheduleClock.MODEL_STEP, false);
  }

  /**
   * Finite but extreme feature values (up to the float maximum, and labels up to 1e30 for the
   * squared loss) never make a row non-finite, for every optimizer, linear and factorization
   * models and both losses: a gradient that overflows the float range is refused, and so is an
   * update whose result would; either leaves the row as it was. Predictions stay finite.
   */
  @Test
  void extremeFeatureValuesNeverMakeARowNonFinite() {
    float[] extremes = {1f, 0f, 1e30f, -1e30f, Float.MAX_VALUE, 1e-30f, Float.MIN_VALUE};
    for (ModelSpec model : List.of(new LinearSpec(), FactorizationMachineSpec.of(3))) {
      for (Loss loss : Loss.values()) {
        for (OptimizerSpec optimizer : OPTIMIZERS) {
          ReferenceLearner learner = new ReferenceLearner(spec(model, loss, optimizer));
          Random random = new Random(17);
          for (int e = 0; e < 2_000; e++) {
            int n = 1 + random.nextInt(4);
            long[] ids = new long[n];
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
              ids[i] = random.nextInt(20);
              values[i] = random.nextInt(4) == 0 ? extremes[random.nextInt(extremes.length)]
                  : (float) random.nextGaussian();
            }
            float label = loss == Loss.LOGISTIC ? random.nextInt(2)
                : random.nextInt(10) == 0 ? 1e30f : (float) random.nextGaussian();
            double prediction = learner.process(new CompactExample("e" + e, "m", e, ids, values,
                new float[0], label, 1f));
            String what = model + ", " + loss + ", " + optimizer + ", example " + e;
            assertTrue(Double.isFinite(prediction), what);
            for (Map.Entry<Long, float[]> row : learner.rows("m").entrySet()) {
              for (float x : row.getValue()) {
                assertTrue(Float.isFinite(x), what + ", row " + row.getKey());
              }
            }
          }
        }
      }
    }
  }

  /** Importance weight 0 (VW's rule): the example is scored, and no row, slot or step changes. */
  @Test
  void anExampleOfWeightZeroChangesNothing() {
    for (OptimizerSpec optimizer : OPTIMIZERS) {
      ExampleLearner learner =
          new ExampleLearner(spec(FactorizationMachineSpec.of(2), Loss.LOGISTIC, optimizer));
      int size = learner.rowSize();
      float[] rows = new float[3 * size];
      for (int r = 0; r < 3; r++) {
        learner.initializeRow(r, rows, r * size);
      }
      float[][] pages = {rows, rows};
      int[] offsets = {0, size};
      float[] values = {1f, 2f};
      // A first, weighted step, so Adam's and momentum's slots are non-zero.
      double a = learner.activation(pages, offsets, values, 2, rows, 2 * size);
      learner.learn(pages, offsets, values, 2, rows, 2 * size, a, 1f, 1f, 1, 0.1);
      float[] before = rows.clone();
      a = learner.activation(pages, offsets, values, 2, rows, 2 * size);
      assertEquals(0, learner.learn(pages, offsets, values, 2, rows, 2 * size, a, 0f, 0f, 2, 0.1));
      assertArrayEquals(before, rows, optimizer.toString());
      assertEquals(1, learner.layout().step(rows, 0));
    }
  }

  @Test
  void theReferenceLearnerScoresButDoesNotLearnAWeightZeroExample() {
    ReferenceLearner learner = new ReferenceLearner(spec(new LinearSpec(), Loss.LOGISTIC,
        AdamSpec.of(0.1)));
    List<Double> scores = new ArrayList<>();
    CompactExample weighted = new CompactExample("1", "m", 0, new long[] {1, 2},
        new float[] {1, 1}, new float[0], 1f, 1f);
    learner.process(weighted);
    float[] before = learner.row("m", 1).clone();
    for (int i = 0; i < 3; i++) {
      scores.add(learner.process(new CompactExample("0", "m", 0, new long[] {1, 2},
          new float[] {1, 1}, new float[0], 0f, 0f)));
    }
    assertArrayEquals(before, learner.row("m", 1));
    assertEquals(scores.get(0), scores.get(2));
  }
}
