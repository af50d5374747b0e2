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
 * <p>Accumulator: the k sums {@code S_f}; the additive partial ({@link #partialSize()}) adds the
 * linear term and the sum of squares after them. Forward and backward each cost O(nk). Memory:
 * {@code 1 + k} floats per row (plus the optimizer's slots). Immutable and thread-safe.
 */
public final class FactorizationMachine implements Model {
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
    SeededInit.factorRow(seed, rowId, initStd, row, offset, stride, factors);
  }

  @Override
  public int accumulatorSize() {
    return factors;
  }

  /** {@code [S_1 .. S_k, b + sum_i w_i x_i, sum_if (v_if x_i)^2]}: the sums first, as in the
   * accumulator, so {@link #backward} reads either. */
  @Override
  public int partialSize() {
    return factors + 2;
  }

  @Override
  public void beginPartial(float[] biasPage, int biasOffset, int stride, double[] partial) {
    for (int f = 0; f < factors; f++) {
      partial[f] = 0;
    }
    partial[factors] = biasPage[biasOffset];
    partial[factors + 1] = 0;
  }

  @Override
  public void addPartials(float[][] pages, int[] offsets, float[] values, int from, int to,
      int stride, double[] partial) {
    int k = factors;
    double linear = partial[k];
    double squares = partial[k + 1];
    for (int i = from; i < to; i++) {
      float[] page = pages[i];
      int at = offsets[i];
      double x = values[i];
      linear += page[at] * x;
      for (int f = 0; f < k; f++) {
        at += stride;
        double t = page[at] * x;
        partial[f] += t;
        squares += t * t;
      }
    }
    partial[k] = linear;
    partial[k + 1] = squares;
  }

  @Override
  public double finish(double[] partial, float[] dense, float[][] blocks, int stride) {
    return finish(partial, partial[factors], partial[factors + 1]);
  }

  private double finish(double[] sumsOf, double linear, double squares) {
    double sums = 0;
    for (int f = 0; f < factors; f++) {
      sums += sumsOf[f] * sumsOf[f];
    }
    return linear + 0.5 * (sums - squares);
  }

  /**
   * The same bits as {@link #beginPartial}, {@link #addPartials} and {@link #finish} in order,
   * in an accumulator of only the k sums (the linear term and the squares stay in registers).
   */
  @Override
  public double forward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, float[] dense, float[][] blocks, double[] acc) {
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
    return finish(acc, linear, squares);
  }

  @Override
  public void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, float[] dense, float[][] blocks, double[] acc,
      double dLossDActivation, float[] grad, float[] biasGrad, float[][] blockGrads) {
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

  @Override
  public String toString() {
    return "FactorizationMachine{k=" + factors + ", initStd=" + initStd + ", seed=" + seed + "}";
  }
}
