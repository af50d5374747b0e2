package io.gradflow.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Welford's running statistics against a two-pass computation, and the edge cases. */
class OnlineStandardizerTest {
  @Test
  void runningStatisticsEqualATwoPassComputation() {
    Random random = new Random(17);
    OnlineStandardizer standardizer = new OnlineStandardizer(0);
    double[] state = OnlineStandardizer.newState();
    List<float[]> seen = new ArrayList<>();
    for (int t = 0; t < 3000; t++) {
      // Two features at first, four from t = 1000 (the state grows), a large offset on
      // feature 1 (the naive sum of squares would cancel), a missing value now and then.
      int d = t < 1000 ? 2 : 4;
      float[] dense = new float[d];
      dense[0] = (float) (random.nextGaussian() * 3 + 1);
      dense[1] = (float) (1e4 + random.nextGaussian() * 0.01);
      for (int j = 2; j < d; j++) {
        dense[j] = (float) (random.nextGaussian() * (j + 1) - j);
      }
      if (t % 97 == 0) {
        dense[0] = Float.NaN;
      }
      float[] before = dense.clone();
      state = standardizer.update(state, dense);
      assertArrayEquals(before, dense, "the input is never modified");
      seen.add(dense);
    }
    assertEquals(4, OnlineStandardizer.dimension(state));
    for (int j = 0; j < 4; j++) {
      // Two passes in double over the finite values seen at position j.
      double sum = 0;
      long n = 0;
      for (float[] v : seen) {
        if (j < v.length && Float.isFinite(v[j])) {
          sum += v[j];
          n++;
        }
      }
      double mean = sum / n;
      double squares = 0;
      for (float[] v : seen) {
        if (j < v.length && Float.isFinite(v[j])) {
          squares += (v[j] - mean) * (v[j] - mean);
        }
      }
      double variance = squares / n;
      assertEquals(n, OnlineStandardizer.count(state, j));
      assertEquals(mean, OnlineStandardizer.mean(state, j), 1e-12 * (1 + Math.abs(mean)));
      assertEquals(variance, OnlineStandardizer.variance(state, j), 1e-10 * variance, "j=" + j);

      float[] x = {1f, 2f, 3f, 4f};
      float[] out = new float[4];
      standardizer.standardize(state, x, out);
      assertEquals((x[j] - mean) / Math.sqrt(variance), out[j],
          1e-6 * (1 + Math.abs(out[j])), "j=" + j);
    }
    assertEquals(3000 - 31, OnlineStandardizer.count(state, 0)); // 31 NaNs skipped
    assertEquals(2000, OnlineStandardizer.count(state, 3));
  }

  @Test
  void edgeCases() {
    OnlineStandardizer standardizer = new OnlineStandardizer(0);
    double[] state = OnlineStandardizer.newState();
    float[] out = new float[3];
    // Nothing seen: zeros.
    standardizer.standardize(state, new float[] {5f, 6f, 7f}, out);
    assertArrayEquals(new float[] {0f, 0f, 0f}, out);

    double[] grown = standardizer.update(state, new float[] {2f});
    assertNotSame(state, grown);
    state = grown;
    assertSame(state, standardizer.update(state, new float[] {2f}), "updated in place");
    assertSame(state, standardizer.update(state, new float[0]), "shorter vectors are fine");
    // A constant feature is centred, not scaled; unseen positions give 0; NaN gives 0.
    standardizer.standardize(state, new float[] {2f, 9f, 1f}, out);
    assertArrayEquals(new float[] {0f, 0f, 0f}, out);
    standardizer.standardize(state, new float[] {5f}, out);
    assertEquals(3f, out[0]);
    standardizer.standardize(state, new float[] {Float.NaN}, out);
    assertEquals(0f, out[0]);
    assertEquals(0, OnlineStandardizer.variance(state, 0));
    assertEquals(0, OnlineStandardizer.count(state, 5));

    // Clipping.
    OnlineStandardizer clipped = new OnlineStandardizer(2);
    double[] s = OnlineStandardizer.newState();
    for (float v : new float[] {-1f, 1f, -1f, 1f}) {
      s = clipped.update(s, new float[] {v});
    }
    clipped.standardize(s, new float[] {100f}, out);
    assertEquals(2f, out[0]);
    clipped.standardize(s, new float[] {-0.5f}, out);
    assertEquals(-0.5f, out[0]);

    // In place, when the caller owns the vector.
    float[] owned = {3f};
    clipped.standardize(s, owned, owned);
    assertEquals(2f, owned[0]);
    assertThrows(IllegalArgumentException.class,
        () -> standardizer.standardize(new double[0], new float[2], new float[1]));
  }

  @Test
  void clipIsValidated() {
    ConfigException e = assertThrows(ConfigException.class, () -> new OnlineStandardizer(-1));
    assertEquals("model.standardize_clip must be >= 0, but was -1.0", e.getMessage());
  }
  @Test
  void extremeFiniteValuesNeverGiveANonFiniteStateOrResult() {
    OnlineStandardizer standardizer = new OnlineStandardizer(0);
    double[] state = OnlineStandardizer.newState();
    Random random = new Random(11);
    float[] out = new float[3];
    float[] extremes = {Float.MAX_VALUE, -Float.MAX_VALUE, 0f, Float.MIN_VALUE, 1e30f, -1e-30f};
    for (int i = 0; i < 10_000; i++) {
      float[] dense = new float[3];
      for (int j = 0; j < 3; j++) {
        dense[j] = j == 2 ? 1e20f : random.nextInt(3) == 0
            ? extremes[random.nextInt(extremes.length)] : (float) random.nextGaussian();
      }
      standardizer.standardize(state, dense, out);
      for (float z : out) {
        assertTrue(Float.isFinite(z), "standardized " + java.util.Arrays.toString(dense));
      }
      state = standardizer.update(state, dense);
      for (double x : state) {
        assertTrue(Double.isFinite(x), java.util.Arrays.toString(state));
      }
      for (int j = 0; j < 3; j++) {
        assertTrue(OnlineStandardizer.variance(state, j) >= 0, "variance of " + j);
      }
    }
    // Centred extremes beyond the float range are clamped to it: a constant position at
    // -MAX (std 0) centres MAX to 2 MAX.
    double[] constant = standardizer.update(OnlineStandardizer.newState(),
        new float[] {-Float.MAX_VALUE});
    standardizer.standardize(constant, new float[] {Float.MAX_VALUE}, out);
    assertEquals(Float.MAX_VALUE, out[0]);
  }
}
