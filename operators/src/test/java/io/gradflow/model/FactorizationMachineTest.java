package io.gradflow.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The factorization machine's algebra, its matrix-factorization special case, initialization. */
class FactorizationMachineTest {
  /** Rows of 1 + k weights, stride 1, one page per row. */
  private static float[][] randomRows(Random random, int n, int width) {
    float[][] rows = new float[n][width];
    for (float[] row : rows) {
      for (int j = 0; j < width; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    return rows;
  }

  @Test
  void forwardEqualsTheNaivePairwiseFormula() {
    Random random = new Random(42);
    for (int trial = 0; trial < 50; trial++) {
      int k = 1 + random.nextInt(8);
      int n = random.nextInt(12);
      Model fm = new FactorizationMachineSpec(k, 0.1, 1).create();
      float[][] rows = randomRows(random, n, 1 + k);
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = (float) (random.nextGaussian() * 2);
      }
      float[] bias = {(float) random.nextGaussian(), 5f, 5f, 5f, 5f, 5f, 5f, 5f, 5f};

      // O(n^2 k): b + sum_i w_i x_i + sum_{i<j} <v_i, v_j> x_i x_j.
      double naive = bias[0];
      for (int i = 0; i < n; i++) {
        naive += (double) rows[i][0] * values[i];
        for (int j = i + 1; j < n; j++) {
          double dot = 0;
          for (int f = 1; f <= k; f++) {
            dot += (double) rows[i][f] * rows[j][f];
          }
          naive += dot * values[i] * values[j];
        }
      }
      double fast = fm.forward(rows, new int[n], values, n, bias, 0, 1,
          new double[fm.accumulatorSize()]);
      // Different summation orders in double: agreement to 1e-12 relative to the magnitude.
      assertEquals(naive, fast, 1e-12 * (1 + Math.abs(naive)), "trial " + trial);
    }
  }

  @Test
  void matrixFactorizationIsAnFmOverAUserRowAndAnItemRow() {
    Random random = new Random(7);
    int k = 6;
    Model fm = new FactorizationMachineSpec(k, 0.1, 1).create();
    for (int trial = 0; trial < 20; trial++) {
      float[] user = randomRows(random, 1, 1 + k)[0];
      float[] item = randomRows(random, 1, 1 + k)[0];
      float[] bias = randomRows(random, 1, 1 + k)[0];
      double expected = (double) bias[0] + user[0] + item[0];
      for (int f = 1; f <= k; f++) {
        expected += (double) user[f] * item[f];
      }
      double[] acc = new double[fm.accumulatorSize()];
      double a = fm.forward(new float[][] {user, item}, new int[2], new float[] {1f, 1f}, 2, bias,
          0, 1, acc);
      assertEquals(expected, a, 1e-12 * (1 + Math.abs(expected)));

      // Its gradients are MF's: d<u,i>/du = i, d<u,i>/di = u, and 1 for each bias.
      float[] grad = new float[2 * (1 + k)];
      float[] biasGrad = new float[1 + k];
      fm.backward(new float[][] {user, item}, new int[2], new float[] {1f, 1f}, 2, bias, 0, 1,
          acc, 1.0, grad, biasGrad);
      assertEquals(1f, grad[0]);
      assertEquals(1f, grad[1 + k]);
      assertEquals(1f, biasGrad[0]);
      for (int f = 1; f <= k; f++) {
        assertEquals(item[f], grad[f], 1e-6f);
        assertEquals(user[f], grad[1 + k + f], 1e-6f);
      }
    }
  }

  @Test
  void initializationDependsOnSeedAndRowIdOnly() {
    FactorizationMachineSpec spec = new FactorizationMachineSpec(7, 0.05, 123);
    Model first = spec.create();
    Model second = spec.create();
    List<Long> ids = new ArrayList<>();
    Random random = new Random(1);
    for (int i = 0; i < 200; i++) {
      ids.add(random.nextLong());
    }
    ids.add(0L);
    ids.add(-1L);
    ids.add(Long.MIN_VALUE);
    int stride = 3;
    Map<Long, float[]> inOrder = new HashMap<>();
    for (long id : ids) {
      float[] row = new float[2 + 8 * stride];
      first.initializeRow(id, row, 2, stride);
      inOrder.put(id, row);
    }
    List<Long> shuffled = new ArrayList<>(ids);
    Collections.shuffle(shuffled, new Random(2));
    for (long id : shuffled) {
      float[] row = new float[2 + 8 * stride];
      row[2] = 17f; // stale contents are overwritten
      second.initializeRow(id, row, 2, stride);
      assertArrayEquals(inOrder.get(id), row, "row " + id);
    }
    float[] row = inOrder.get(ids.get(0));
    assertEquals(0f, row[2], "w starts at zero");
    assertEquals(0f, row[3], "slots are not touched");
    assertEquals(0f, row[2 + 7 * stride + 1]);

    // Another row, or another seed, gives other factors.
    float[] other = inOrder.get(ids.get(1));
    assertNotEquals(row[2 + stride], other[2 + stride]);
    float[] reseeded = new float[2 + 8 * stride];
    new FactorizationMachineSpec(7, 0.05, 124).create().initializeRow(ids.get(0), reseeded, 2,
        stride);
    assertNotEquals(row[2 + stride], reseeded[2 + stride]);
  }

  @Test
  void initialFactorsAreNormalWithTheConfiguredDeviation() {
    int k = 9; // odd: the last factor of a row uses one half of a Box-Muller pair
    double std = 0.2;
    Model fm = new FactorizationMachineSpec(k, std, 99).create();
    float[] row = new float[1 + k];
    double sum = 0;
    double squares = 0;
    double fourth = 0;
    long count = 0;
    double[] perFactor = new double[k];
    int rows = 20_000;
    for (long id = 0; id < rows; id++) { // consecutive ids: the mixing must decorrelate them
      fm.initializeRow(id, row, 0, 1);
      for (int f = 1; f <= k; f++) {
        double z = row[f] / std;
        sum += z;
        squares += z * z;
        fourth += z * z * z * z;
        perFactor[f - 1] += z * z;
        count++;
      }
    }
    // 180,000 standard normal draws: mean within 5 standard errors, variance and kurtosis close.
    assertEquals(0, sum / count, 5 / Math.sqrt(count));
    assertEquals(1, squares / count, 0.02);
    assertEquals(3, fourth / count, 0.1);
    for (int f = 0; f < k; f++) {
      assertEquals(1, perFactor[f] / rows, 0.05, "factor " + f);
    }
  }

  @Test
  void linearRowsStartAtZero() {
    float[] row = {3f, 4f, 5f};
    new LinearSpec().create().initializeRow(77, row, 1, 1);
    assertArrayEquals(new float[] {3f, 0f, 5f}, row);
  }

  @Test
  void specsAreValidated() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> new FactorizationMachineSpec(0, 0.1, 1));
    assertEquals("model.factors must be > 0, but was 0", e.getMessage());
    assertEquals("model.factors", e.key());
    e = assertThrows(ConfigException.class, () -> new FactorizationMachineSpec(4, -0.1, 1));
    assertEquals("model.init_std must be > 0, but was -0.1", e.getMessage());
    e = assertThrows(ConfigException.class, () -> new FactorizationMachineSpec(4, 0, 1));
    assertEquals("model.init_std must be > 0, but was 0.0", e.getMessage());
    e = assertThrows(ConfigException.class,
        () -> new FactorizationMachineSpec(4, Double.NaN, 1));
    assertEquals("model.init_std", e.key());
  }

  @Test
  void specsCreateTheirModels() {
    FactorizationMachineSpec fm = new FactorizationMachineSpec(8, 0.01, 5);
    assertEquals(9, fm.rowWidth());
    assertEquals(9, fm.create().rowWidth());
    assertEquals(8, fm.create().accumulatorSize());
    assertEquals(fm, fm.create().spec());
    assertEquals(1, new LinearSpec().rowWidth());
    assertEquals(0, new LinearSpec().create().accumulatorSize());
    assertTrue(new LinearSpec().create() instanceof LinearModel);
    assertEquals(FactorizationMachineSpec.of(4), new FactorizationMachineSpec(4, 0.1, 42));
  }
}
