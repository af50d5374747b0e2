package io.gradflow.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The finiteness guard inside each optimizer's own loop ({@link Optimizer#update}'s
 * {@code saved} copy and result): for every optimizer, at the edges of its accepted
 * configurations, an update whose result is not finite is undone by {@link RowUpdater} with the
 * row left bit for bit as it was, with and without slot decay; and the formula's copy and result
 * are exactly what a copy of the row beforehand and a scan of it afterwards would give.
 */
class FiniteGuardTest {
  private static final int WIDTH = 5;

  static Stream<Arguments> optimizersWithAndWithoutDecay() {
    return OptimizerPropertyTest.everyOptimizerAtItsEdges()
        .flatMap(spec -> Stream.of(Arguments.of(spec, 1.0), Arguments.of(spec, 0.9)));
  }

  private static int[] bits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  private static float[] learnedRow(RowUpdater updater, int offset, long seed) {
    RowLayout layout = updater.layout(WIDTH);
    float[] row = new float[offset + layout.size() + 3];
    Arrays.fill(row, 42f);
    Random random = new Random(seed);
    for (int i = 0; i < WIDTH; i++) {
      row[offset + layout.weight(i)] = (float) random.nextGaussian();
    }
    updater.initialize(row, offset, WIDTH);
    float[] g = new float[WIDTH];
    for (int s = 0; s < 5; s++) {
      for (int i = 0; i < WIDTH; i++) {
        g[i] = (float) (0.1 * random.nextGaussian());
      }
      assertTrue(updater.update(row, offset, WIDTH, g, 0, s + 1, 0.01));
    }
    return row;
  }

  /**
   * Gradients at the float maximum with a rate of 1e30 overflow every optimizer's result (a
   * squared gradient, an accumulator or the step), so the update is undone: the row, its slots
   * and its step count keep their bits, the refusal is counted and says why, and the next
   * ordinary update applies.
   */
  @ParameterizedTest
  @MethodSource("optimizersWithAndWithoutDecay")
  void anUpdateWithANonFiniteResultIsUndoneAndTheRowStaysExactlyAsItWas(OptimizerSpec spec,
      double slotDecay) {
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE, slotDecay);
    int offset = 7;
    float[] row = learnedRow(updater, offset, 3);
    float[] before = row.clone();
    float[] huge = new float[WIDTH];
    Arrays.fill(huge, Float.MAX_VALUE);
    huge[1] = -Float.MAX_VALUE;
    long applied = updater.appliedCount();
    assertFalse(updater.update(row, offset, WIDTH, huge, 0, 6, 1e30), spec::toString);
    assertArrayEquals(bits(before), bits(row), () -> spec + ": the refused update left a trace");
    assertEquals(1, updater.refusedCount());
    assertEquals(applied, updater.appliedCount());
    assertTrue(updater.lastRefusal().contains("a row must stay finite"), updater.lastRefusal());
    float[] small = {0.01f, -0.02f, 0.03f, 0f, 0.05f};
    assertTrue(updater.update(row, offset, WIDTH, small, 0, 6, 0.01), spec::toString);
    assertEquals(6, updater.layout(WIDTH).step(row, offset));
  }

  /**
   * Called directly, under gradients and rates from every region of the float range, the formula
   * copies exactly the row's weights and slots as they were into {@code saved} (and nothing
   * beyond them), and returns exactly whether a scan of the row afterwards finds every weight and
   * slot finite; both outcomes occur, including results where only a slot is not finite.
   */
  @ParameterizedTest
  @MethodSource("io.gradflow.optim.OptimizerPropertyTest#everyOptimizerAtItsEdges")
  void theFormulasCopyAndResultAreThoseOfACopyBeforeAndAScanAfter(OptimizerSpec spec) {
    Optimizer optimizer = spec.create();
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    int offset = 3;
    int values = WIDTH * (1 + optimizer.slotsPerWeight());
    float[] row = learnedRow(updater, offset, 5);
    Random random = new Random(spec.hashCode());
    float[] g = new float[WIDTH];
    int finite = 0;
    int notFinite = 0;
    for (int s = 0; s < 3_000; s++) {
      for (int i = 0; i < WIDTH; i++) {
        g[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(44) - 6));
      }
      double learningRate = random.nextInt(20) == 0 ? 0 : Math.pow(10, random.nextInt(40) - 8);
      float[] before = row.clone();
      float[] saved = new float[values + 2];
      Arrays.fill(saved, -7f);
      boolean result = optimizer.update(row, offset, WIDTH, g, 0, s + 6, learningRate, saved);
      assertArrayEquals(bits(Arrays.copyOfRange(before, offset, offset + values)),
          bits(Arrays.copyOf(saved, values)), () -> spec + ": saved is not the row before");
      assertEquals(-7f, saved[values]);
      boolean scan = true;
      for (int k = offset; k < offset + values; k++) {
        scan &= Float.isFinite(row[k]);
      }
      assertEquals(scan, result, spec + " at step " + s + ": " + Arrays.toString(row));
      if (result) {
        finite++;
      } else {
        notFinite++;
        System.arraycopy(before, 0, row, 0, row.length);
      }
    }
    assertTrue(finite > 0 && notFinite > 0, spec + ": finite " + finite + ", not " + notFinite);
  }
}
