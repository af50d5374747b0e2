package io.gradflow.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RowLayout;
import io.gradflow.optim.RowUpdater;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link ExampleLearner#forgetRow} and the slot decay, on factorization rows (width 3). */
class ExampleLearnerForgetTest {
  private static final int ROWS = 3; // two features and the bias, on one page

  private static LearnerSpec spec(OptimizerSpec optimizer) {
    return new LearnerSpec(FactorizationMachineSpec.of(2), Loss.LOGISTIC, optimizer,
        GradientSpec.NONE, new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false);
  }

  private static float[] page(ExampleLearner learner) {
    int size = learner.rowSize();
    float[] page = new float[ROWS * size];
    for (int r = 0; r < ROWS; r++) {
      learner.initializeRow(r, page, r * size);
    }
    return page;
  }

  private static void learn(ExampleLearner learner, float[] page, Random random, long step) {
    int size = learner.rowSize();
    float[][] pages = {page, page};
    int[] offsets = {0, size};
    float[] values = {(float) random.nextGaussian(), (float) random.nextGaussian()};
    double a = learner.activation(pages, offsets, values, 2, page, 2 * size);
    assertEquals(0, learner.learn(pages, offsets, values, 2, page, 2 * size, a,
        random.nextInt(2), 1f, step, 0.05));
  }

  /** A reset row equals a new row with its weights; the rows beside it are untouched. */
  @Test
  void forgetRowResetsTheWholeRowOfTheModelsWidthAndNothingElse() {
    for (OptimizerSpec optimizer : ExampleLearnerTest.OPTIMIZERS) {
      ExampleLearner learner = new ExampleLearner(spec(optimizer));
      assertEquals(1.0, learner.slotDecay());
      float[] page = page(learner);
      Random random = new Random(21);
      for (long s = 1; s <= 10; s++) {
        learn(learner, page, random, s);
      }
      int size = learner.rowSize();
      RowLayout layout = learner.layout();
      float[] before = page.clone();
      assertTrue(learner.forgetRow(page, size, 0));

      float[] fresh = new float[size];
      float[] weights = new float[layout.width()];
      layout.copyWeights(before, size, weights, 0);
      layout.setWeights(fresh, 0, weights, 0);
      new RowUpdater(optimizer, GradientSpec.NONE).initialize(fresh, 0, layout.width());
      assertArrayEquals(fresh, Arrays.copyOfRange(page, size, 2 * size), optimizer.toString());
      assertArrayEquals(Arrays.copyOfRange(before, 0, size), Arrays.copyOfRange(page, 0, size));
      assertArrayEquals(Arrays.copyOfRange(before, 2 * size, 3 * size),
          Arrays.copyOfRange(page, 2 * size, 3 * size));
    }
  }

  /** A learner with slot decay d equals one without that forgets every row with d before each step. */
  @Test
  void slotDecayEqualsForgettingEveryLearnedRowBeforeEachExample() {
    double d = 0.6;
    for (OptimizerSpec optimizer : ExampleLearnerTest.OPTIMIZERS) {
      ExampleLearner decaying = new ExampleLearner(spec(optimizer), d);
      ExampleLearner plain = new ExampleLearner(spec(optimizer));
      assertEquals(d, decaying.slotDecay());
      float[] a = page(decaying);
      float[] b = page(plain);
      Random ra = new Random(22);
      Random rb = new Random(22);
      for (long s = 1; s <= 30; s++) {
        learn(decaying, a, ra, s);
        for (int r = 0; r < ROWS; r++) {
          assertTrue(plain.forgetRow(b, r * plain.rowSize(), d));
        }
        learn(plain, b, rb, s);
        assertArrayEquals(b, a, optimizer + ", example " + s);
      }
    }
  }
}
