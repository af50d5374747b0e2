package io.gradflow.model;

/**
 * A second-order factorization machine (Rendle 2010, "Factorization Machines", ICDM; the
 * O(nk) reformulation is his Lemma 3.1):
 *
 * <pre>
 *   a = b + sum_i w_i x_i + sum_{i &lt; j} &lt;v_i, v_j&gt; x_i x_j
 *     = b + sum_i w_i x_i + 1/2 sum_f [ S_f^2 - sum_i v_if^2 x_i^2 ],   S_f = sum_i v_if x_i
 *
 *   da/db = 1,   da/dw_i = x_i,   da/dv_if = x_i (S_f - v_if x_i)
 * </pre>
 *
 * <p>Matrix factorization (Koren, Bell and Volinsky 2009, with user and item biases) is the
 * special case of an example with two rows of value 1, a user row {@code u} and an item row
 * {@code i}: {@code a = b + w_u + w_i + <v_u, v_i>} (Rendle 2010, section V.A).
 *
 * <p>Rows hold {@code 1 + k} weights: {@code w} at weight 0, then {@code v_1 .. v_k}. The bias row
 * uses only weight 0; its factors get zero gradients. New rows start at {@code w = 0} and factors
 * from N(0, initStd^2), drawn by a counter-based generator (SplitMix64, Steele et al. 2014,
 * "Fast splittable pseudorandom number generators", and the Box-Muller transform with
 * {@link StrictMath}) keyed by the model seed and the row id alone: the same row gets the same
 * initial factors on every machine and in every arrival order.
 *
 * <p>Accumulator: the k sums {@code S_f}. Forward and backward each cost O(nk). Memory:
 * {@code 1 + k} floats per row (plus the optimizer's slots). Immutable and thread-safe.
 */
public final class FactorizationMachine implements Model {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private final FactorizationMachineSpec spec;
  private final int factors;
  private final double initStd;
  private final long seed;

  FactorizationMachine(FactorizationMachineSpec spec) {
    this.spec = spec;
    this.factors = spec.factors();
    this.initStd = spec.initStd();
    this.seed = spec.seed();
  }

  @Override
  public FactorizationMachineSpec spec() {
    return spec;
  }

  /** k. */
  public int factors() {
    return factors;
  }

  @Override
  public int rowWidth() {
    return 1 + factors;
  }

  @Override
  public void initializeRow(long rowId, float[] row, int offset, int stride) {
    row[offset] = 0f;
    // A SplitMix64 stream whose start depends on (seed, rowId) only.
    long state = mix64(seed ^ mix64(rowId * GOLDEN_GAMMA + 0x632BE59BD9B4E019L));
    for (int f = 0; f < factors; f += 2) {
      state += GOLDEN_GAMMA;
      double u1 = ((mix64(state) >>> 11) + 1) * 0x1.0p-53; // (0, 1]: the log is finite
      state += GOLDEN_GAMMA;
      double u2 = (mix64(state) >>> 11) * 0x1.0p-53; // [0, 1)
      double r = StrictMath.sqrt(-2 * StrictMath.log(u1)) * initStd;
      double theta = 2 * Math.PI * u2;
      row[offset + (1 + f) * stride] = (float) (r * StrictMath.cos(theta));
      if (f + 1 < factors) {
        row[offset + (2 + f) * stride] = (float) (r * StrictMath.sin(theta));
      }
    }
  }

  @Override
  public int accumulatorSize() {
    return factors;
  }

  @Override
  public double forward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc) {
    int k = factors;
    for (int f = 0; f < k; f++) {
      acc[f] = 0;
    }
    double linear = biasPage[biasOffset];
    double squares = 0;
    for (int i = 0; i < n; i++) {
      float[] page = pages[i];
      int at = offsets[i];
      double x = values[i];
      linear += page[at] * x;
      for (int f = 0; f < k; f++) {
        at += stride;
        double t = page[at] * x;
        acc[f] += t;
        squares += t * t;
      }
    }
    double sums = 0;
    for (int f = 0; f < k; f++) {
      sums += acc[f] * acc[f];
    }
    return linear + 0.5 * (sums - squares);
  }

  @Override
  public void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc, double dLossDActivation, float[] grad,
      float[] biasGrad) {
    int k = factors;
    int width = 1 + k;
    for (int i = 0; i < n; i++) {
      float[] page = pages[i];
      int at = offsets[i];
      double x = values[i];
      double gx = dLossDActivation * x;
      int g = i * width;
      grad[g] = (float) gx;
      for (int f = 0; f < k; f++) {
        at += stride;
        grad[g + 1 + f] = (float) (gx * (acc[f] - page[at] * x));
      }
    }
    biasGrad[0] = (float) dLossDActivation;
    for (int f = 1; f < width; f++) {
      biasGrad[f] = 0f;
    }
  }

  /** SplitMix64's finalizer (Stafford's variant 13): a bijective 64-bit mix. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public String toString() {
    return "FactorizationMachine{k=" + factors + ", initStd=" + initStd + ", seed=" + seed + "}";
  }
}
