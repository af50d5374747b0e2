package io.gradflow.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every optimizer keeps, checked for each of them in several configurations. These
 * compare the optimizer with itself (bit for bit) under re-arrangements that must not matter;
 * its agreement with PyTorch is proven by the golden vectors in the jobs module.
 */
class OptimizerContractTest {
  private static final int WIDTH = 6;
  private static final int STEPS = 200;

  private static float[][] gradients(long seed, int steps, int width, double scale) {
    Random random = new Random(seed);
    float[][] g = new float[steps][width];
    for (float[] step : g) {
      for (int i = 0; i < width; i++) {
        step[i] = (float) (random.nextGaussian() * scale);
      }
    }
    return g;
  }

  private static float[] newRow(RowUpdater updater, int width, long seed) {
    RowLayout layout = updater.layout(width);
    float[] row = new float[layout.size()];
    Random random = new Random(seed);
    for (int i = 0; i < width; i++) {
      row[layout.weight(i)] = (float) (random.nextGaussian() * 0.1);
    }
    updater.initialize(row, 0, width);
    return row;
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void theGradientIsNeverModified(OptimizerSpec spec) {
    RowUpdater updater = new RowUpdater(spec, new GradientSpec(0.5, 1.0, true));
    float[] row = newRow(updater, WIDTH, 1);
    for (float[] g : gradients(2, 20, WIDTH, 3)) {
      float[] before = g.clone();
      updater.update(row, 0, WIDTH, g, 0, spec.learningRate());
      assertArrayEquals(before, g);
    }
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void aWideRowEqualsItsWeightsSteppedAsSeparateRows(OptimizerSpec spec) {
    // Every optimizer here is per coordinate: one row of six weights must equal six rows of one.
    RowUpdater wide = new RowUpdater(spec, GradientSpec.NONE);
    RowUpdater narrow = new RowUpdater(spec, GradientSpec.NONE);
    float[] row = newRow(wide, WIDTH, 3);
    RowLayout layout = wide.layout(WIDTH);
    RowLayout single = narrow.layout(1);
    float[][] singles = new float[WIDTH][single.size()];
    for (int i = 0; i < WIDTH; i++) {
      singles[i][0] = row[layout.weight(i)];
      narrow.initialize(singles[i], 0, 1);
    }
    for (float[] g : gradients(4, STEPS, WIDTH, 1)) {
      wide.update(row, 0, WIDTH, g, 0, spec.learningRate());
      for (int i = 0; i < WIDTH; i++) {
        narrow.update(singles[i], 0, 1, g, i, spec.learningRate());
      }
    }
    for (int i = 0; i < WIDTH; i++) {
      for (int s = 0; s < layout.stride(); s++) {
        assertEquals(Float.floatToRawIntBits(singles[i][s]),
            Float.floatToRawIntBits(row[layout.weight(i) + s]), "weight " + i + ", float " + s);
      }
      assertEquals(STEPS, single.step(singles[i], 0));
    }
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void aRestoredCopyContinuesExactlyLikeTheOriginal(OptimizerSpec spec) {
    RowUpdater original = new RowUpdater(spec, GradientSpec.NONE);
    float[] row = newRow(original, WIDTH, 5);
    float[][] g = gradients(6, STEPS, WIDTH, 1);
    float[] snapshot = null;
    RowUpdater restored = null;
    for (int s = 0; s < STEPS; s++) {
      if (s == STEPS / 2) {
        snapshot = Arrays.copyOf(row, row.length);
        restored = new RowUpdater(spec, GradientSpec.NONE);
      }
      original.update(row, 0, WIDTH, g[s], 0, spec.learningRate());
      if (restored != null) {
        restored.update(snapshot, 0, WIDTH, g[s], 0, spec.learningRate());
      }
    }
    assertArrayEquals(row, snapshot);
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void aRowAtAnOffsetInASharedPageLeavesItsNeighboursAlone(OptimizerSpec spec) {
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    int size = updater.layout(WIDTH).size();
    float[] alone = newRow(updater, WIDTH, 7);
    float[] page = new float[3 * size];
    Arrays.fill(page, 42f);
    System.arraycopy(alone, 0, page, size, size);
    for (float[] g : gradients(8, 50, WIDTH + 2, 1)) {
      updater.update(alone, 0, WIDTH, g, 2, spec.learningRate());
      updater.update(page, size, WIDTH, g, 2, spec.learningRate());
    }
    assertArrayEquals(alone, Arrays.copyOfRange(page, size, 2 * size));
    for (int i = 0; i < size; i++) {
      assertEquals(42f, page[i]);
      assertEquals(42f, page[2 * size + i]);
    }
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void aNonFiniteGradientIsRefusedAndTheRowStaysExactlyAsItWas(OptimizerSpec spec) {
    RowUpdater updater = new RowUpdater(spec, new GradientSpec(1, 1, false));
    float[] row = newRow(updater, WIDTH, 9);
    for (float[] g : gradients(10, 10, WIDTH, 1)) {
      updater.update(row, 0, WIDTH, g, 0, spec.learningRate());
    }
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      float[] before = row.clone();
      float[] g = gradients(11, 1, WIDTH, 1)[0];
      g[3] = bad;
      long refused = updater.refusedCount();
      assertFalse(updater.update(row, 0, WIDTH, g, 0, spec.learningRate()));
      assertArrayEquals(before, row);
      assertEquals(refused + 1, updater.refusedCount());
      assertTrue(updater.lastRefusal().startsWith("gradient[3] is " + bad), updater.lastRefusal());
    }
    assertEquals(10, updater.appliedCount());
    assertEquals(10, updater.layout(WIDTH).step(row, 0));
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void weightsAndSlotsStayFiniteUnderWildGradients(OptimizerSpec spec) {
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    float[] row = newRow(updater, WIDTH, 12);
    Random random = new Random(13);
    float[] g = new float[WIDTH];
    for (int s = 0; s < 5_000; s++) {
      double scale = Math.pow(10, random.nextInt(7) - 4); // 1e-4 .. 1e2
      for (int i = 0; i < WIDTH; i++) {
        g[i] = (float) (random.nextGaussian() * scale);
      }
      updater.update(row, 0, WIDTH, g, 0, spec.learningRate() * 0.1);
      for (int i = 0; i < updater.layout(WIDTH).stepOffset(); i++) {
        assertTrue(Float.isFinite(row[i]), () -> "float " + Arrays.toString(row));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void theSameInputsGiveTheSameBits(OptimizerSpec spec) {
    float[][] results = new float[2][];
    for (int run = 0; run < 2; run++) {
      RowUpdater updater = new RowUpdater(spec, new GradientSpec(0, 2, false));
      results[run] = newRow(updater, WIDTH, 14);
      for (float[] g : gradients(15, STEPS, WIDTH, 1)) {
        updater.update(results[run], 0, WIDTH, g, 0, spec.learningRate());
      }
    }
    assertArrayEquals(results[0], results[1]);
  }

  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerSpecs#arguments")
  void slotsPerWeightMatchesTheSpecAndTheLayout(OptimizerSpec spec) {
    Optimizer optimizer = spec.create();
    assertEquals(optimizer.slotsPerWeight(), spec.slotsPerWeight());
    RowLayout layout = spec.layout(4);
    assertEquals(4 * (1 + optimizer.slotsPerWeight()) + RowLayout.TRAILER, layout.size());
  }
}
