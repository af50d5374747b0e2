package io.gradflow.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Invariants of particular optimizers, on seeded random streams. */
class OptimizerPropertyTest {

  @Test
  void adaGradAccumulatorsNeverDecrease() {
    AdaGradSpec spec = new AdaGradSpec(0.1, 0.001, 0.01, 0.1, 1e-10);
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(8);
    float[] row = new float[layout.size()];
    updater.initialize(row, 0, 8);
    Random random = new Random(1);
    float[] g = new float[8];
    float[] previous = new float[8];
    for (int i = 0; i < 8; i++) {
      previous[i] = row[layout.slot(i, 0)];
      assertEquals(0.1f, previous[i]);
    }
    for (int s = 0; s < 10_000; s++) {
      for (int i = 0; i < 8; i++) {
        g[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(5) - 3));
      }
      updater.update(row, 0, 8, g, 0, spec.learningRate());
      for (int i = 0; i < 8; i++) {
        float now = row[layout.slot(i, 0)];
        assertTrue(now >= previous[i], "accumulator " + i + " fell at step " + s);
        previous[i] = now;
      }
    }
  }

  @Test
  void anFtrlWeightIsZeroExactlyWhenAbsZIsAtMostL1() {
    FtrlSpec spec = new FtrlSpec(0.5, 1.0, 3.0, 0.05);
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(16);
    float[] row = new float[layout.size()];
    updater.initialize(row, 0, 16);
    Random random = new Random(2);
    float[] g = new float[16];
    int zeros = 0;
    int nonZeros = 0;
    for (int s = 0; s < 500; s++) {
      for (int i = 0; i < 16; i++) {
        // Pure-noise coordinates mostly stay inside the L1 ball; biased ones leave it.
        g[i] = (float) (random.nextGaussian() * 0.05 + (i < 8 ? 0 : 0.5));
      }
      updater.update(row, 0, 16, g, 0, spec.learningRate());
      for (int i = 0; i < 16; i++) {
        float z = row[layout.slot(i, 0)];
        float w = row[layout.weight(i)];
        if (Math.abs(z) <= spec.l1()) {
          assertEquals(0f, w, "weight " + i + " with z " + z);
          zeros++;
        } else {
          assertTrue(w != 0 && Math.signum(w) == -Math.signum(z), "weight " + i);
          nonZeros++;
        }
      }
    }
    assertTrue(zeros > 2000 && nonZeros > 2000, zeros + " zero and " + nonZeros + " non-zero");
  }

  @Test
  void ftrlMatchesThePaperOnAHandComputedStep() {
    // alpha 0.5, beta 1, l1 0.1, l2 0.2; z = n = w = 0; g = 2:
    // sigma = (sqrt(4) - 0) / 0.5 = 4; z = 0 + 2 - 4 * 0 = 2; n = 4;
    // w = -(2 - 0.1) / ((1 + 2) / 0.5 + 0.2) = -1.9 / 6.2.
    RowUpdater updater = new RowUpdater(new FtrlSpec(0.5, 1, 0.1, 0.2), GradientSpec.NONE);
    float[] row = new float[updater.layout(1).size()];
    updater.initialize(row, 0, 1);
    updater.update(row, 0, 1, new float[] {2f}, 0, 0.5);
    assertEquals(2f, row[1]);
    assertEquals(4f, row[2]);
    assertEquals((float) (-1.9 / 6.2), row[0]);
    // Second step, g = -1: sigma = (sqrt(5) - 2) / 0.5; z = 2 - 1 - sigma * w.
    double w = -1.9 / 6.2;
    double sigma = (Math.sqrt(5) - 2) / 0.5;
    double z = 2 - 1 - sigma * w;
    updater.update(row, 0, 1, new float[] {-1f}, 0, 0.5);
    assertEquals((float) z, row[1], 1e-6);
    assertEquals((float) (-(z - 0.1) / ((1 + Math.sqrt(5)) / 0.5 + 0.2)), row[0], 1e-6);
  }

  @Test
  void ftrlWarmStartReproducesTheInitialWeight() {
    FtrlSpec spec = new FtrlSpec(0.1, 1.0, 0.5, 0.1);
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(3);
    float[] row = new float[layout.size()];
    layout.setWeights(row, 0, new float[] {0.75f, -0.25f, 0f}, 0);
    updater.initialize(row, 0, 3);
    // A zero gradient moves nothing: n stays 0, sigma is 0, and w is the closed form of z.
    updater.update(row, 0, 3, new float[3], 0, spec.learningRate());
    assertEquals(0.75f, row[layout.weight(0)], 1e-6);
    assertEquals(-0.25f, row[layout.weight(1)], 1e-6);
    assertEquals(0f, row[layout.weight(2)]);
  }

  @Test
  void ftrlRefusesBetaZeroNamingTheKey() {
    // beta 0 and l2 0 would divide by zero for a coordinate whose n is 0 (or whose squared
    // gradients round to 0 in float), and could not represent a warm start.
    ConfigException e = assertThrows(ConfigException.class, () -> new FtrlSpec(0.1, 0, 0, 0));
    assertEquals("optimizer.beta must be > 0, but was 0.0", e.getMessage());
    assertEquals("optimizer.beta", e.key());
  }

  @Test
  void adamBiasCorrectionFollowsTheRowsOwnStepCount() {
    // After another row has taken 1000 steps, a new row still takes Adam's first step,
    // lr * sign(g): its bias correction uses its own count, not the model's.
    RowUpdater updater = new RowUpdater(AdamSpec.of(0.01), GradientSpec.NONE);
    float[] old = new float[updater.layout(1).size()];
    updater.initialize(old, 0, 1);
    for (int s = 0; s < 1000; s++) {
      updater.update(old, 0, 1, new float[] {0.1f}, 0, 0.01);
    }
    float[] fresh = new float[updater.layout(1).size()];
    updater.initialize(fresh, 0, 1);
    updater.update(fresh, 0, 1, new float[] {0.3f}, 0, 0.01);
    assertEquals(-0.01f, fresh[0], 1e-7);
    assertEquals(1, updater.layout(1).step(fresh, 0));
  }

  @Test
  void adamWDecaysOnlyAtTheRowsOwnSteps() {
    // With a zero gradient, m = v = 0 and only the decoupled decay moves the weight.
    AdamWSpec spec = new AdamWSpec(0.1, 0.9, 0.999, 1e-8, 0.5, false);
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    float[] row = new float[updater.layout(1).size()];
    row[0] = 1f;
    updater.initialize(row, 0, 1);
    for (int s = 0; s < 3; s++) {
      updater.update(row, 0, 1, new float[] {0f}, 0, spec.learningRate());
    }
    assertEquals((float) Math.pow(1 - 0.1 * 0.5, 3), row[0], 1e-7);
  }
}
