package io.gradflow.model;

/**
 * Linear and logistic regression over parameter rows: {@code a = b + sum_i w_i x_i}, with the
 * link and loss chosen by {@link Loss} (identity and squared: linear regression; sigmoid and log
 * loss: logistic regression, as in McMahan et al. 2013, "Ad click prediction: a view from the
 * trenches"). Hashed sparse features and dense features are both rows: a dense feature is a row
 * whose value is the (standardized, see {@link OnlineStandardizer}) dense value.
 *
 * <p>Rows hold one weight. Gradients: {@code dL/dw_i = dL/da * x_i}, {@code dL/db = dL/da}. No
 * accumulator; the partial is one double, the activation so far. Memory: one float per row (plus
 * the optimizer's slots). Stateless and thread-safe.
 */
public final class LinearModel implements Model {
  private final LinearSpec spec;

  LinearModel(LinearSpec spec) {
    this.spec = spec;
  }

  @Override
  public LinearSpec spec() {
    return spec;
  }

  @Override
  public int rowWidth() {
    return 1;
  }

  @Override
  public void initializeRow(long rowId, float[] row, int offset, int stride) {
    row[offset] = 0f;
  }

  @Override
  public int accumulatorSize() {
    return 0;
  }

  /** The partial: the activation so far. */
  @Override
  public int partialSize() {
    return 1;
  }

  /** The same bits as the partials and the finish, without an accumulator. */
  @Override
  public double forward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, float[] dense, float[][] blocks, double[] acc) {
    double a = biasPage[biasOffset];
    for (int i = 0; i < n; i++) {
      a += (double) pages[i][offsets[i]] * values[i];
    }
    return a;
  }

  @Override
  public void beginPartial(float[] biasPage, int biasOffset, int stride, double[] partial) {
    partial[0] = biasPage[biasOffset];
  }

  @Override
  public void addPartials(float[][] pages, int[] offsets, float[] values, int from, int to,
      int stride, double[] partial) {
    double a = partial[0];
    for (int i = from; i < to; i++) {
      a += (double) pages[i][offsets[i]] * values[i];
    }
    partial[0] = a;
  }

  @Override
  public double finish(double[] acc, float[] dense, float[][] blocks, int stride) {
    return acc[0];
  }

  @Override
  public void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, float[] dense, float[][] blocks, double[] acc,
      double dLossDActivation, float[] grad, float[] biasGrad, float[][] blockGrads) {
    for (int i = 0; i < n; i++) {
      grad[i] = (float) (dLossDActivation * values[i]);
    }
    biasGrad[0] = (float) dLossDActivation;
  }

  @Override
  public String toString() {
    return "LinearModel";
  }
}
