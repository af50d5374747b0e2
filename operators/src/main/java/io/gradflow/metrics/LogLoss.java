package io.gradflow.metrics;

/**
 * The log loss (binary cross-entropy) of a predicted probability, as scikit-learn's
 * {@code sklearn.metrics.log_loss} computes it: the prediction is clipped to
 * {@code [eps, 1 - eps]} with {@code eps} the machine epsilon of {@code double} (2^-52,
 * scikit-learn's {@code eps="auto"} for float64), so a confident mistake costs about 36 nats, not
 * infinity. Natural logarithm. Labels in [0, 1]; soft labels give the cross-entropy.
 *
 * <p>Stateless and thread-safe.
 */
public final class LogLoss {
  /** The clipping bound: {@code Math.ulp(1.0)}, numpy's {@code finfo(float64).eps}. */
  public static final double EPSILON = 0x1.0p-52;

  private LogLoss() {}

  /**
   * {@code -(y log p + (1 - y) log(1 - p))} with {@code p} clipped to [eps, 1 - eps].
   *
   * <p>A hard label (exactly 0 or 1, the usual case) takes one logarithm, not two, with the same
   * bits as the full formula: for a clipped {@code p} both logarithms are finite and negative, so
   * the zero-weighted term is {@code -0.0}, and {@code x + -0.0} is {@code x}
   * ({@code LogLossTest} holds the two equal bit for bit).
   */
  public static double of(double prediction, double label) {
    double p = Math.max(EPSILON, Math.min(1 - EPSILON, prediction));
    if (p == p) { // not NaN: NaN keeps the full formula's NaN
      if (label == 1) {
        return -Math.log(p);
      }
      if (label == 0) {
        return -Math.log(1 - p);
      }
    }
    return -(label * Math.log(p) + (1 - label) * Math.log(1 - p));
  }

  /**
   * The log loss of always predicting {@code m} when the mean label is {@code m}: the binary
   * entropy {@code -(m log m + (1 - m) log(1 - m))} in nats, 0 at m = 0 and m = 1, NaN outside
   * [0, 1]. The log loss is linear in the label, so this holds for soft labels too.
   */
  public static double binaryEntropy(double m) {
    if (!(m >= 0 && m <= 1)) {
      return Double.NaN;
    }
    double h = 0;
    if (m > 0) {
      h -= m * Math.log(m);
    }
    if (m < 1) {
      h -= (1 - m) * Math.log1p(-m);
    }
    return h;
  }
}
