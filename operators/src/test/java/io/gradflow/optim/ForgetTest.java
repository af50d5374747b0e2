package io.gradflow.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forgetting ({@link Optimizer#forget}, {@link RowUpdater#forget}) and per-update slot decay:
 * a reset equals a new row, a decay follows {@code s = keep * s + (1 - keep) * s0}, weights never
 * move (FTRL's closed-form weight included), AdaGrad and FTRL under slot decay match references
 * computed here in double, and slot decay 1 changes nothing.
 */
class ForgetTest {
  private static final int WIDTH = 5;

  /** Every optimizer of the contract suites, plus Adam with the model's step (SparseAdam). */
  static Stream<OptimizerSpec> specs() {
    List<OptimizerSpec> all = new ArrayList<>(OptimizerSpecs.all());
    all.add(new AdamSpec(0.01, 0.9, 0.999, 1e-8, 0, true, BiasCorrection.GLOBAL));
    all.add(new FtrlSpec(0.2, 1.0, 0.5, 0.0));
    return all.stream();
  }

  private static float[] newRow(RowUpdater updater, float[] weights) {
    RowLayout layout = updater.layout(weights.length);
    float[] row = new float[layout.size()];
    layout.setWeights(row, 0, weights, 0);
    updater.initialize(row, 0, weights.length);
    return row;
  }

  private static float[] startWeights(Random random) {
    float[] w = new float[WIDTH];
    for (int i = 1; i < WIDTH; i++) { // w[0] stays 0: FTRL's zero-weight case from the start
      w[i] = (float) random.nextGaussian();
    }
    return w;
  }

  private static float[] gradient(Random random) {
    float[] g = new float[WIDTH];
    for (int i = 0; i < WIDTH; i++) {
      g[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(3) - 1));
    }
    g[1] = 0f; // a coordinate that sees no gradient for a while
    return g;
  }

  /** Steps the row {@code steps} times; model steps start at 100 (only global Adam reads them). */
  private static void step(RowUpdater updater, float[] row, Random random, int steps,
      double learningRate) {
    for (int s = 0; s < steps; s++) {
      assertTrue(updater.update(row, 0, WIDTH, gradient(random), 0, 100 + s, learningRate));
    }
  }

  private static float[] weights(RowUpdater updater, float[] row) {
    float[] w = new float[WIDTH];
    updater.layout(WIDTH).copyWeights(row, 0, w, 0);
    return w;
  }

  @ParameterizedTest
  @MethodSource("specs")
  void aResetRowContinuesBitForBitLikeANewRowWithTheSameWeights(OptimizerSpec spec) {
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    double lr = spec.learningRate();
    float[] row = newRow(updater, startWeights(new Random(3)));
    step(updater, row, new Random(4), 7, lr);
    float[] before = weights(updater, row);

    assertTrue(updater.forget(row, 0, WIDTH, 0));
    assertArrayEquals(before, weights(updater, row), "forget moved a weight");
    float[] fresh = newRow(updater, before);
    assertArrayEquals(fresh, row, "slots or step count differ from a new row's");
    assertEquals(0, updater.layout(WIDTH).step(row, 0));

    Random a = new Random(5);
    Random b = new Random(5);
    for (int s = 0; s < 10; s++) {
      step(updater, row, a, 1, lr);
      step(updater, fresh, b, 1, lr);
      assertArrayEquals(fresh, row, "diverged at step " + s + " after the reset");
    }
  }

  /** Slot s of every weight after a decay is keep * s + (1 - keep) * s0, s0 a new row's value. */
  @ParameterizedTest
  @MethodSource("specs")
  void aDecayMovesEverySlotTowardANewRowsValueAndKeepsWeightsAndStep(OptimizerSpec spec) {
    if (spec instanceof FtrlSpec) {
      return; // z is recomputed from the weight instead: ftrlForgettingKeepsTheModelsWeight
    }
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(WIDTH);
    float[] row = newRow(updater, startWeights(new Random(6)));
    step(updater, row, new Random(7), 9, spec.learningRate());
    float[] initial = newRow(updater, weights(updater, row));
    for (double keep : new double[] {0.99, 0.5, 1e-3, 1}) {
      float[] decayed = row.clone();
      assertTrue(updater.forget(decayed, 0, WIDTH, keep));
      for (int i = 0; i < WIDTH; i++) {
        assertEquals(row[layout.weight(i)], decayed[layout.weight(i)], 0f, "weight " + i);
        for (int s = 0; s < layout.slotsPerWeight(); s++) {
          int at = layout.slot(i, s);
          float expected = (float) (keep * row[at] + (1 - keep) * initial[at]);
          assertEquals(expected, decayed[at], Math.ulp(expected),
              "keep " + keep + ", weight " + i + ", slot " + s);
        }
      }
      assertEquals(9, layout.step(decayed, 0), "a decay keeps the step count");
    }
  }

  @Test
  void adaGradDecayIsTheFormulaWithTheInitialAccumulator() {
    AdaGradSpec spec = new AdaGradSpec(0.1, 0, 0, 0.25, 1e-10);
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(1);
    float[] row = newRow(updater, new float[] {1f});
    updater.update(row, 0, 1, new float[] {3f}, 0, 0.1); // s = 0.25 + 9
    assertEquals(9.25f, row[layout.slot(0, 0)]);
    updater.forget(row, 0, 1, 0.2);
    assertEquals(0.2 * 9.25 + 0.8 * 0.25, row[layout.slot(0, 0)], Math.ulp(2.05f)); // 2.05
    updater.forget(row, 0, 1, 0);
    assertEquals(0.25f, row[layout.slot(0, 0)]);
  }

  /**
   * The closed form of FTRL's forgotten (z, n) gives back the weight the model reads, for resets
   * and decays, with and without L1, and weights at exactly 0 stay exactly 0. A step with a zero
   * gradient (which recomputes the weight from z and n through the production code) agrees.
   *
   * <p>Tolerance: z is rounded to float after the inversion, an error of at most ulp(z) / 2, which
   * the closed form divides by its denominator; n's rounding moves the denominator by a relative
   * 2^-24 and the weight by as much: ulp(z) / denominator + 2 ulp(w).
   */
  @Test
  void ftrlForgettingKeepsTheModelsWeight() {
    int zeros = 0;
    for (FtrlSpec spec : List.of(FtrlSpec.of(0.1), new FtrlSpec(0.5, 1.0, 0.1, 0.1),
        new FtrlSpec(0.2, 0.5, 2.0, 0.0), new FtrlSpec(0.2, 1.0, 20.0, 0.1),
        new FtrlSpec(1.0, 1.0, 0, 1.0))) {
      RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
      RowLayout layout = updater.layout(WIDTH);
      Random random = new Random(8);
      float[] row = newRow(updater, startWeights(random));
      for (int round = 0; round < 30; round++) {
        step(updater, row, random, 3, spec.alpha());
        for (double keep : new double[] {0, 1e-4, 0.3, 0.9, 0.999999, 1}) {
          float[] forgotten = row.clone();
          assertTrue(updater.forget(forgotten, 0, WIDTH, keep));
          if (keep == 1) {
            assertArrayEquals(row, forgotten, "keep 1 changed the row");
          }
          float[] stepped = forgotten.clone();
          assertTrue(updater.update(stepped, 0, WIDTH, new float[WIDTH], 0, spec.alpha()));
          for (int i = 0; i < WIDTH; i++) {
            float w = row[layout.weight(i)];
            double z = forgotten[layout.slot(i, 0)];
            double n = forgotten[layout.slot(i, 1)];
            String what = spec + ", keep " + keep + ", weight " + i + ", round " + round;
            assertEquals(w, forgotten[layout.weight(i)], 0f, what);
            assertEquals((float) (keep * row[layout.slot(i, 1)]), (float) n, what);
            double denominator = (spec.beta() + Math.sqrt(n)) / spec.alpha() + spec.l2();
            double closedForm = Math.abs(z) <= spec.l1() ? 0
                : -(z - Math.signum(z) * spec.l1()) / denominator;
            if (w == 0) {
              zeros++;
              assertEquals(0.0, closedForm, 0.0, what);
              assertEquals(0f, Math.abs(stepped[layout.weight(i)]), 0f, what);
            } else {
              double tolerance = Math.ulp((float) z) / denominator + 2 * Math.ulp(w);
              assertEquals(w, closedForm, tolerance, what);
              assertEquals(w, stepped[layout.weight(i)], tolerance, what);
            }
          }
        }
      }
    }
    assertTrue(zeros > 100, "the L1 zero case was exercised only " + zeros + " times");
  }

  /**
   * AdaGrad with slot decay d against a double reference of
   * {@code G_t = d G_(t-1) + (1 - d) G0 + g_t^2, w -= lr / (1 + (t - 1) lr_decay) g / (sqrt(G_t)
   * + eps)}, t the row's own step (a decay keeps it). Tolerance 1e-5 absolute (weights are of
   * order 1): each of the 300 float steps rounds G and w by a relative 2^-24, and G's decay
   * forgets earlier rounding, so the float path stays within a few hundred ulps; measured 1.5e-6
   * on weights, 8e-7 relative on G.
   */
  @Test
  void adaGradWithSlotDecayMatchesTheDecayedAccumulatorFormula() {
    double lr = 0.1;
    double lrDecay = 0.01;
    double g0 = 0.1;
    double eps = 1e-10;
    for (double d : new double[] {0.9, 0.5, 0.999}) {
      RowUpdater updater = new RowUpdater(new AdaGradSpec(lr, lrDecay, 0, g0, eps),
          GradientSpec.NONE, d);
      RowLayout layout = updater.layout(WIDTH);
      Random random = new Random(9);
      float[] start = startWeights(random);
      float[] row = newRow(updater, start);
      double[] w = new double[WIDTH];
      double[] accumulator = new double[WIDTH];
      for (int i = 0; i < WIDTH; i++) {
        w[i] = start[i];
        accumulator[i] = g0;
      }
      for (int t = 1; t <= 300; t++) {
        float[] g = gradient(random);
        assertTrue(updater.update(row, 0, WIDTH, g, 0, lr));
        double clr = lr / (1 + (t - 1) * lrDecay);
        for (int i = 0; i < WIDTH; i++) {
          accumulator[i] = d * accumulator[i] + (1 - d) * g0 + (double) g[i] * g[i];
          w[i] -= clr * g[i] / (Math.sqrt(accumulator[i]) + eps);
          String what = "d " + d + ", step " + t + ", weight " + i;
          assertEquals(accumulator[i], row[layout.slot(i, 0)], 1e-5 * accumulator[i], what);
          assertEquals(w[i], row[layout.weight(i)], 1e-5, what);
        }
      }
    }
  }

  /**
   * FTRL with slot decay d against a double reference: before each step {@code n <- d n} and z is
   * recomputed from the weight (the documented inversion), then Algorithm 1 of McMahan et al.
   * So {@code n_t = d n_(t-1) + g_t^2}, checked on its own. Tolerance 1e-5 absolute on weights of
   * order 1 and 1e-5 relative on n, for the same float rounding as in the AdaGrad case (measured
   * 2.6e-6 and 3.1e-7).
   */
  @Test
  void ftrlWithSlotDecayMatchesTheDecayedNFormula() {
    for (FtrlSpec spec : List.of(FtrlSpec.of(0.1), new FtrlSpec(0.5, 1.0, 0.05, 0.1))) {
      double alpha = spec.alpha();
      double d = 0.8;
      RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE, d);
      RowLayout layout = updater.layout(WIDTH);
      Random random = new Random(10);
      float[] row = newRow(updater, new float[WIDTH]);
      double[] w = new double[WIDTH];
      double[] z = new double[WIDTH];
      double[] n = new double[WIDTH];
      for (int t = 1; t <= 300; t++) {
        float[] g = gradient(random);
        assertTrue(updater.update(row, 0, WIDTH, g, 0, alpha));
        for (int i = 0; i < WIDTH; i++) {
          n[i] *= d;
          z[i] = w[i] == 0 ? d * z[i]
              : -w[i] * ((spec.beta() + Math.sqrt(n[i])) / alpha + spec.l2())
                  - Math.signum(w[i]) * spec.l1();
          double next = n[i] + (double) g[i] * g[i];
          z[i] += g[i] - (Math.sqrt(next) - Math.sqrt(n[i])) / alpha * w[i];
          n[i] = next;
          w[i] = Math.abs(z[i]) <= spec.l1() ? 0
              : -(z[i] - Math.signum(z[i]) * spec.l1())
                  / ((spec.beta() + Math.sqrt(n[i])) / alpha + spec.l2());
          String what = spec + ", step " + t + ", weight " + i;
          assertEquals(n[i], row[layout.slot(i, 1)], 1e-5 * n[i], what);
          assertEquals(w[i], row[layout.weight(i)], 1e-5, what);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("specs")
  void slotDecayOneIsBitForBitTheUpdaterWithout(OptimizerSpec spec) {
    RowUpdater plain = new RowUpdater(spec, GradientSpec.NONE);
    RowUpdater one = new RowUpdater(spec, GradientSpec.NONE, 1.0);
    float[] a = newRow(plain, startWeights(new Random(11)));
    float[] b = a.clone();
    step(plain, a, new Random(12), 50, spec.learningRate());
    step(one, b, new Random(12), 50, spec.learningRate());
    assertArrayEquals(a, b);
  }

  /** Slot decay below 1 forgets at every update: each step equals forget(d) then a plain step. */
  @ParameterizedTest
  @MethodSource("specs")
  void slotDecayIsAForgetBeforeEachUpdate(OptimizerSpec spec) {
    double d = 0.7;
    RowUpdater plain = new RowUpdater(spec, GradientSpec.NONE);
    RowUpdater decaying = new RowUpdater(spec, GradientSpec.NONE, d);
    float[] a = newRow(plain, startWeights(new Random(13)));
    float[] b = a.clone();
    Random ra = new Random(14);
    Random rb = new Random(14);
    for (int s = 0; s < 20; s++) {
      assertTrue(plain.forget(a, 0, WIDTH, d));
      step(plain, a, ra, 1, spec.learningRate());
      step(decaying, b, rb, 1, spec.learningRate());
      assertArrayEquals(a, b, "step " + s);
    }
  }

  @ParameterizedTest
  @MethodSource("specs")
  void aRefusedUpdateUndoesTheSlotDecayToo(OptimizerSpec spec) {
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE, 0.5);
    float[] row = newRow(updater, startWeights(new Random(15)));
    step(updater, row, new Random(16), 5, spec.learningRate());
    float[] before = row.clone();
    float[] bad = gradient(new Random(17));
    bad[2] = Float.NaN;
    assertFalse(updater.update(row, 0, WIDTH, bad, 0, spec.learningRate()));
    assertArrayEquals(before, row);
  }

  /** Rows driven by wild gradients, then forgotten at every keep: nothing non-finite appears. */
  @ParameterizedTest
  @MethodSource("specs")
  void forgettingNeverWritesANonFiniteValue(OptimizerSpec spec) {
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE, 0.9);
    Random random = new Random(18);
    float[] row = newRow(updater, startWeights(random));
    float[] g = new float[WIDTH];
    for (int s = 0; s < 2_000; s++) {
      for (int i = 0; i < WIDTH; i++) {
        g[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(61) - 30));
      }
      updater.update(row, 0, WIDTH, g, 0, spec.learningRate());
      double keep = new double[] {0, 1e-30, 0.5, 1 - 1e-9, 1}[random.nextInt(5)];
      float[] before = row.clone();
      if (!updater.forget(row, 0, WIDTH, keep)) {
        assertArrayEquals(before, row, "a refused forget changed the row");
      }
      for (float x : row) {
        assertTrue(Float.isFinite(x), spec + ": " + Arrays.toString(row) + " at step " + s);
      }
    }
  }

  /** A weight near the float range under a small alpha: z = -w (beta / alpha) overflows. */
  @Test
  void aForgetThatWouldOverflowLeavesTheRowUnchanged() {
    RowUpdater updater = new RowUpdater(new FtrlSpec(0.01, 1.0, 0, 0), GradientSpec.NONE);
    RowLayout layout = updater.layout(1);
    float[] row = new float[layout.size()];
    row[layout.weight(0)] = 3e38f;
    row[layout.slot(0, 0)] = -1e30f;
    row[layout.slot(0, 1)] = 1e30f;
    layout.setStep(row, 0, 4);
    float[] before = row.clone();
    for (double keep : new double[] {0, 0.5}) {
      assertFalse(updater.forget(row, 0, 1, keep));
      assertArrayEquals(before, row);
    }
  }

  @Test
  void keepAndSlotDecayOutsideTheirRangesAreRefusedNamingTheValue() {
    RowUpdater updater = new RowUpdater(AdaGradSpec.of(0.1), GradientSpec.NONE);
    float[] row = newRow(updater, new float[1]);
    for (double keep : new double[] {-0.1, 1.5, Double.NaN}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> updater.forget(row, 0, 1, keep));
      assertEquals("keep must be in [0, 1], but was " + keep, e.getMessage());
    }
    for (double d : new double[] {0, -1, 1.01, Double.NaN}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new RowUpdater(AdaGradSpec.of(0.1), GradientSpec.NONE, d));
      assertEquals("slotDecay must be in (0, 1], but was " + d, e.getMessage());
    }
  }
}
