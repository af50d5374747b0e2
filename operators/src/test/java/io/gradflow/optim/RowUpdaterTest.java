package io.gradflow.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The driver's own work: clipping, maximize, the step count, layout arithmetic. */
class RowUpdaterTest {
  /** SGD with lr 1 turns the transformed gradient into minus the weight change. */
  private static float[] transformed(GradientSpec spec, float... gradient) {
    RowUpdater updater = new RowUpdater(SgdSpec.of(1.0), spec);
    float[] row = new float[updater.layout(gradient.length).size()];
    updater.update(row, 0, gradient.length, gradient, 0, 1.0);
    float[] g = new float[gradient.length];
    for (int i = 0; i < g.length; i++) {
      g[i] = -row[i];
    }
    return g;
  }

  @Test
  void clipValueClampsEachValue() {
    assertArrayEquals(new float[] {0.5f, -0.5f, 0.25f},
        transformed(new GradientSpec(0.5, 0, false), 3f, -7f, 0.25f));
  }

  @Test
  void maxNormScalesTheRowLikeClipGradNorm() {
    // ||(3, 4)|| = 5: PyTorch's clip_grad_norm_(max_norm=1) multiplies by 1 / (5 + 1e-6).
    float coefficient = (float) (1.0 / (5.0 + 1e-6));
    assertArrayEquals(new float[] {3f * coefficient, 4f * coefficient},
        transformed(new GradientSpec(0, 1, false), 3f, 4f));
    // Below the bound nothing changes.
    assertArrayEquals(new float[] {0.3f, 0.4f},
        transformed(new GradientSpec(0, 1, false), 0.3f, 0.4f));
  }

  @Test
  void valueClippingComesBeforeNormClipping() {
    // Clamped to (1, 1), norm sqrt(2) > 1: scaled by 1 / (sqrt(2) + 1e-6).
    float c = (float) (1.0 / (Math.sqrt(2) + 1e-6));
    assertArrayEquals(new float[] {c, -c}, transformed(new GradientSpec(1, 1, false), 5f, -9f));
  }

  @Test
  void maximizeAscends() {
    assertArrayEquals(new float[] {-2f, 3f}, transformed(new GradientSpec(0, 0, true), 2f, -3f));
  }

  @Test
  void theStepCountIsALongThatSurvivesFloatAndIntRanges() {
    RowUpdater updater = new RowUpdater(AdamSpec.of(0.01), GradientSpec.NONE);
    RowLayout layout = updater.layout(2);
    float[] row = new float[layout.size()];
    updater.initialize(row, 0, 2);
    for (long step : new long[] {(1L << 24) + 1, Integer.MAX_VALUE, 2139095041L, 1L << 40,
        RowLayout.MAX_STEP - 1}) {
      layout.setStep(row, 0, step);
      assertEquals(step, layout.step(row, 0));
      updater.update(row, 0, 2, new float[] {0.1f, -0.1f}, 0, 0.01);
      assertEquals(step + 1, layout.step(row, 0));
      assertTrue(Float.isFinite(row[0]) && Float.isFinite(row[layout.weight(1)]));
    }
  }

  @Test
  void theStepCountSurvivesFloatSerializationThatCanonicalizesNaNs() {
    RowLayout layout = new RowLayout(1, 0);
    float[] row = new float[layout.size()];
    for (long step = 0; step < (1L << 48); step = step * 3 + 1) {
      layout.setStep(row, 0, step);
      float[] copy = new float[row.length];
      for (int i = 0; i < row.length; i++) {
        copy[i] = Float.intBitsToFloat(Float.floatToIntBits(row[i]));
      }
      assertEquals(step, layout.step(copy, 0));
    }
  }

  @Test
  void layoutOffsetsInterleaveWeightsAndSlots() {
    RowLayout layout = new RowLayout(3, 2);
    assertEquals(3, layout.stride());
    assertEquals(3 * 3 + 2, layout.size());
    assertEquals(6, layout.weight(2));
    assertEquals(4, layout.slot(1, 0));
    assertEquals(5, layout.slot(1, 1));
    assertEquals(9, layout.stepOffset());
    float[] row = new float[layout.size()];
    layout.setWeights(row, 0, new float[] {1, 2, 3}, 0);
    float[] out = new float[3];
    layout.copyWeights(row, 0, out, 0);
    assertArrayEquals(new float[] {1, 2, 3}, out);
    assertEquals(1f, row[0]);
    assertEquals(2f, row[3]);
  }

  @Test
  void gradientSettingsAreValidated() {
    ConfigException e = assertThrows(ConfigException.class, () -> new GradientSpec(-1, 0, false));
    assertEquals("gradient.clip_value must be >= 0, but was -1.0", e.getMessage());
    assertEquals("gradient.max_norm", assertThrows(ConfigException.class,
        () -> new GradientSpec(0, Double.NaN, false)).key());
  }
}
