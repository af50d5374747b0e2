package io.gradflow.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gradflow.config.ConfigException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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
  /**
   * Every optimizer, plus the configurations at the edges of what is accepted: the smallest eps
   * a float holds, a tiny FTRL beta, global bias correction, AMSGrad.
   */
  static Stream<OptimizerSpec> everyOptimizerAtItsEdges() {
    float tiny = Float.MIN_VALUE;
    return Stream.concat(OptimizerSpecs.all().stream(), Stream.of(
        new AdamSpec(0.01, 0.9, 0.999, tiny, 0, false, BiasCorrection.GLOBAL),
        new AdamSpec(0.5, 0.5, 0.5, tiny, 0.5, true),
        new AdamWSpec(0.01, 0.9, 0.999, 1e-8, 0.05, true, BiasCorrection.GLOBAL),
        new AdamWSpec(1, 0, 0.9999, tiny, 2, false),
        new AdaGradSpec(0.5, 0, 0, 0, tiny),
        new RmsPropSpec(0.1, 0.9, tiny, 0, 0, false),
        new RmsPropSpec(0.1, 0.99, tiny, 0.1, 0.9, true),
        new AdaDeltaSpec(1, 0.9, tiny, 0),
        new AdaDeltaSpec(10, 0.5, 1e-30, 0.5),
        new SgdSpec(1, 0.99, 0, true, 1),
        new FtrlSpec(0.5, 1e-30, 0, 0),
        new FtrlSpec(10, 1e-10, 1e-3, 0)));
  }

  /**
   * A finite gradient value from every region of the float range, exact zeros included: with
   * {@code wild}, up to the float maximum, else up to 1e4.
   */
  private static float extreme(Random random, boolean wild) {
    if (!wild && random.nextInt(10) >= 5) {
      return (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
    }
    float sign = random.nextBoolean() ? 1f : -1f;
    return switch (random.nextInt(10)) {
      case 0, 1, 2 -> 0f;
      case 3 -> sign * Float.MIN_VALUE;
      case 4 -> sign * (float) Math.pow(10, -45 + 44 * random.nextDouble()); // denormal .. 0.1
      case 5 -> wild ? sign * (float) Math.pow(10, 10 + 28 * random.nextDouble()) : 0f;
      case 6 -> wild ? sign * Float.MAX_VALUE : sign * 1e4f;
      default -> (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
    };
  }

  /**
   * No finite gradient ever makes a row non-finite: every weight and slot stays finite over many
   * steps of gradients that mix exact zeros, denormals, ordinary values and values up to the
   * float maximum (a quarter of the steps); an update that would have produced a non-finite value
   * is refused and leaves the row bit for bit as it was. Enough steps go through that the row
   * really learns.
   */
  @ParameterizedTest
  @MethodSource("everyOptimizerAtItsEdges")
  void rowsStayFiniteUnderFiniteGradientsOfEveryMagnitude(OptimizerSpec spec) {
    int width = 6;
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(width);
    Random random = new Random(spec.hashCode());
    float[] row = new float[layout.size()];
    for (int i = 0; i < width; i++) {
      row[layout.weight(i)] = i == 0 ? 0f : i == 1 ? 1e15f : (float) random.nextGaussian();
    }
    updater.initialize(row, 0, width);
    float[] g = new float[width];
    int applied = 0;
    int steps = 20_000;
    for (int s = 0; s < steps; s++) {
      boolean allZero = random.nextInt(10) == 0;
      boolean wild = random.nextInt(4) == 0;
      for (int i = 0; i < width; i++) {
        g[i] = allZero ? 0f : extreme(random, wild);
      }
      double learningRate = random.nextInt(20) == 0 ? 0 : spec.learningRate();
      float[] before = row.clone();
      if (updater.update(row, 0, width, g, 0, s + 1, learningRate)) {
        applied++;
      } else {
        assertArrayEquals(bits(before), bits(row), "a refused update left a trace at step " + s);
        assertTrue(updater.lastRefusal().contains("a row must stay finite"),
            updater.lastRefusal());
      }
      for (int i = 0; i < layout.stepOffset(); i++) {
        if (!Float.isFinite(row[i])) {
          fail(spec + ": float " + i + " is " + row[i] + " after step " + s + " with gradient "
              + Arrays.toString(g));
        }
      }
    }
    assertEquals(applied, layout.step(row, 0), "the step count counts applied updates");
    // Adaptive optimizers normalise the step and refuse only what overflows; plain SGD is driven
    // to the edge of the float range by gradients near it and then refuses most of what follows.
    assertTrue(applied > steps / 10, spec + ": only " + applied + " of " + steps + " applied");
  }

  @ParameterizedTest
  @MethodSource("everyOptimizerAtItsEdges")
  void aZeroGradientOnAFreshRowLeavesItFinite(OptimizerSpec spec) {
    // The eps-zero case: a fresh row (zero slots) and an exact zero gradient once divided 0 by 0.
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(1);
    float[] row = new float[layout.size()];
    row[0] = 0.5f;
    updater.initialize(row, 0, 1);
    assertTrue(updater.update(row, 0, 1, new float[] {0f}, 0, 1, spec.learningRate()));
    for (int i = 0; i < layout.stepOffset(); i++) {
      assertTrue(Float.isFinite(row[i]), spec + ": " + Arrays.toString(row));
    }
    assertTrue(updater.update(row, 0, 1, new float[] {1f}, 0, 2, spec.learningRate()));
    assertTrue(Float.isFinite(row[0]), spec + ": " + Arrays.toString(row));
  }

  @Test
  void epsZeroAndAnEpsBelowTheSmallestFloatAreRefusedNamingTheKey() {
    List<java.util.function.DoubleFunction<OptimizerSpec>> withEps = List.of(
        eps -> new AdamSpec(0.1, 0.9, 0.999, eps, 0, false),
        eps -> new AdamWSpec(0.1, 0.9, 0.999, eps, 0.01, false),
        eps -> new AdaGradSpec(0.1, 0, 0, 0, eps),
        eps -> new RmsPropSpec(0.1, 0.99, eps, 0, 0, false),
        eps -> new AdaDeltaSpec(1, 0.9, eps, 0));
    for (var make : withEps) {
      ConfigException zero = assertThrows(ConfigException.class, () -> make.apply(0));
      assertEquals("optimizer.eps must be > 0, but was 0.0", zero.getMessage());
      assertEquals("optimizer.eps", zero.key());
      ConfigException negative = assertThrows(ConfigException.class, () -> make.apply(-1e-8));
      assertEquals("optimizer.eps must be > 0, but was -1.0E-8", negative.getMessage());
      ConfigException underflow = assertThrows(ConfigException.class, () -> make.apply(1e-50));
      assertEquals("optimizer.eps must be at least 1.4E-45 (the smallest positive float32: the"
          + " arithmetic is float32), but was 1.0E-50", underflow.getMessage());
      assertEquals("optimizer.eps", underflow.key());
      make.apply(Float.MIN_VALUE); // the smallest float is accepted
    }
  }

  @Test
  void globalBiasCorrectionUsesTheModelStepAndTheRowsCountStillAdvances() {
    AdamSpec spec = new AdamSpec(0.01, 0.9, 0.999, 1e-8, 0, false, BiasCorrection.GLOBAL);
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    float[] row = new float[updater.layout(1).size()];
    updater.initialize(row, 0, 1);
    updater.update(row, 0, 1, new float[] {0.3f}, 0, 1000, 0.01);
    // SparseAdam at t = 1000: m = 0.03, v = 0.00009, lr sqrt(1 - 0.999^1000) / (1 - 0.9^1000).
    double expected = -0.01 * Math.sqrt(1 - Math.pow(0.999, 1000)) * 0.03
        / (Math.sqrt(0.00009) + 1e-8);
    assertEquals(expected, row[0], 1e-7);
    assertEquals(1, updater.layout(1).step(row, 0));
    // A model step below the row's own (a caller that does not know it) is raised to it, so the
    // bias correction never sees step 0.
    float[] fresh = new float[updater.layout(1).size()];
    updater.initialize(fresh, 0, 1);
    updater.update(fresh, 0, 1, new float[] {0.3f}, 0, 0, 0.01);
    assertTrue(Float.isFinite(fresh[0]) && fresh[0] < 0, Arrays.toString(fresh));
  }

  private static int[] bits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }
}
