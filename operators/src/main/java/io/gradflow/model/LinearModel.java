package io.gradflow.model;

/**
 * Linear and logistic regression over parameter rows: {@code a = b + sum_i w_i x_i}, with the
 * link and loss chosen by {@link Loss} (identity and squared: linear regression; sigmoid and log
 * loss: logistic regression, as in McMahan et al. 2013, "Ad click prediction: a view from the
 * trenches"). Hashed sparse features and dense features are both rows: a dense feature is a row
 * whose value is the (standardized, see {@link OnlineStandardizer}) dense value.
 *
 * <p>Rows hold one weight. Gradients: {@code dL/dw_i = dL/da * x_i}, {@code dL/db = dL/da}. No
 * accumulator. Memory: one float per row (plus the optimizer's slots). Stateless and thread-safe.
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

  @Override
  public double forward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc) {
    double a = biasPage[biasOffset];
    for (int i = 0; i < n; i++) {
      a += (double) pages[i][offsets[i]] * values[i];
    }
    return a;
  }

  @Override
  public void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc, double dLossDActivation, float[] grad,
      float[] biasGrad) {
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
