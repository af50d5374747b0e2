package io.gradflow.model;

import io.gradflow.config.Check;
import java.util.Arrays;

/**
 * Online standardization of dense features: each dense position {@code j} is mapped to
 * {@code (x_j - mean_j) / std_j} with its running mean and population standard deviation, kept
 * by Welford's update (Welford 1962, "Note on a method for calculating corrected sums of squares
 * and products"; Knuth, TAOCP vol. 2, 4.2.2), which stays accurate where the naive sum of squares
 * cancels catastrophically.
 *
 * <h2>State</h2>
 * The statistics live in a caller-owned flat {@code double[]} of three values per dense position,
 * {@code [count_j, mean_j, m2_j]} (variance {@code m2_j / count_j}), so the trainer keeps them in
 * Flink keyed state ({@code ValueState<double[]>}, a primitive array with Flink's own serializer)
 * beside the model's rows; an empty array is the initial state. Memory: 24 bytes per dense
 * position. {@link #update} changes the array in place and returns a longer copy when a dense
 * vector is longer than any seen before (positions seen later start their own count), so the
 * caller stores the returned array; like a page, an array loaded from the heap backend is cloned
 * before it is modified.
 *
 * <h2>Prequential use</h2>
 * For each example: {@link #standardize} with the statistics of the examples before it (predict
 * and learn with that vector), then {@link #update} with the raw values.
 *
 * <h2>Edge cases</h2>
 * <ul>
 *   <li>A position never seen (count 0, or beyond the state) standardizes to 0: there is nothing
 *       to centre it on yet, and a raw value of arbitrary scale would produce a huge first step.
 *   <li>A constant position (standard deviation 0, or below 1e-10 of |mean|: rounding noise, far
 *       below the float resolution of the values) is only centred: {@code x - mean}, as
 *       scikit-learn's StandardScaler does.
 *   <li>A missing value (NaN, or infinite) is not counted and standardizes to 0, the mean; the
 *       trainer should reject such records before they get here if they are errors.
 *   <li>With {@code clip > 0}, results are clamped to [-clip, clip] against outliers.
 *   <li>Finite input never gives a non-finite result or state: the sum of squares is kept at or
 *       above 0 against rounding (so the root is real), and a result beyond the float range
 *       (a centred extreme value) is clamped to it.
 * </ul>
 *
 * <p>Immutable (the clip) and thread-safe; the state array is not synchronized. No allocation
 * except when the state grows.
 */
public final class OnlineStandardizer {
  /** Doubles of state per dense position. */
  public static final int STATE_PER_FEATURE = 3;

  private static final double CONSTANT_RELATIVE_STD = 1e-10;

  private final double clip;

  /**
   * @param clip {@code model.standardize_clip}: clamp standardized values to [-clip, clip]; 0
   *     disables
   */
  public OnlineStandardizer(double clip) {
    this.clip = Check.nonNegative("model.standardize_clip", clip);
  }

  public double clip() {
    return clip;
  }

  /** The initial state: no dense position seen. */
  public static double[] newState() {
    return new double[0];
  }

  /** How many dense positions the state holds statistics for. */
  public static int dimension(double[] state) {
    return state.length / STATE_PER_FEATURE;
  }

  /** How many finite values position {@code j} has seen. */
  public static long count(double[] state, int j) {
    return j < dimension(state) ? (long) state[STATE_PER_FEATURE * j] : 0;
  }

  /** The running mean of position {@code j} (0 if never seen). */
  public static double mean(double[] state, int j) {
    return j < dimension(state) ? state[STATE_PER_FEATURE * j + 1] : 0;
  }

  /** The running population variance of position {@code j} (0 if seen fewer than twice). */
  public static double variance(double[] state, int j) {
    if (j >= dimension(state)) {
      return 0;
    }
    double n = state[STATE_PER_FEATURE * j];
    return n > 0 ? state[STATE_PER_FEATURE * j + 2] / n : 0;
  }

  /**
   * Adds one dense vector to the statistics.
   *
   * @return {@code state} itself, updated in place, or a longer copy if {@code dense} is longer
   *     than the state: store the returned array
   */
  public double[] update(double[] state, float[] dense) {
    double[] s = state;
    if (dense.length > dimension(state)) {
      s = Arrays.copyOf(state, STATE_PER_FEATURE * dense.length);
    }
    for (int j = 0; j < dense.length; j++) {
      double x = dense[j];
      if (!Double.isFinite(x)) {
        continue;
      }
      int at = STATE_PER_FEATURE * j;
      double n = s[at] + 1;
      double delta = x - s[at + 1];
      double mean = s[at + 1] + delta / n;
      s[at] = n;
      s[at + 1] = mean;
      // Never negative, whatever rounding does to the signs of delta and (x - mean).
      s[at + 2] = Math.max(0, s[at + 2] + delta * (x - mean));
    }
    return s;
  }

  /**
   * Writes the standardized {@code dense} to {@code out[0 .. dense.length)} ({@code out} may be
   * {@code dense} itself when the caller owns it). The state is not changed.
   */
  public void standardize(double[] state, float[] dense, float[] out) {
    if (out.length < dense.length) {
      throw new IllegalArgumentException("out has " + out.length + " places for "
          + dense.length + " dense values");
    }
    int seen = dimension(state);
    for (int j = 0; j < dense.length; j++) {
      double x = dense[j];
      int at = STATE_PER_FEATURE * j;
      if (j >= seen || state[at] == 0 || !Double.isFinite(x)) {
        out[j] = 0f;
        continue;
      }
      double mean = state[at + 1];
      double std = Math.sqrt(state[at + 2] / state[at]);
      double z = x - mean;
      if (std > CONSTANT_RELATIVE_STD * Math.abs(mean)) {
        z /= std;
      }
      if (clip > 0) {
        z = Math.max(-clip, Math.min(clip, z));
      }
      // Finite in double, but a centred extreme value may exceed the float range.
      out[j] = (float) Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, z));
    }
  }

  @Override
  public String toString() {
    return "OnlineStandardizer{clip=" + clip + "}";
  }
}
