package io.gradflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LogLoss#of}'s one-logarithm path for hard labels against the full two-term formula, bit
 * for bit: the metrics state (and so every report and checkpoint) must not change by a bit.
 */
class LogLossTest {
  /** The formula as it was written before the hard-label path. */
  static double full(double prediction, double label) {
    double p = Math.max(LogLoss.EPSILON, Math.min(1 - LogLoss.EPSILON, prediction));
    return -(label * Math.log(p) + (1 - label) * Math.log(1 - p));
  }

  static void same(double prediction, double label) {
    assertEquals(Double.doubleToRawLongBits(full(prediction, label)),
        Double.doubleToRawLongBits(LogLoss.of(prediction, label)),
        () -> "prediction " + prediction + " (" + Double.toHexString(prediction) + "), label "
            + label + ": " + full(prediction, label) + " against "
            + LogLoss.of(prediction, label));
  }

  @Test
  void hardLabelsGiveTheFullFormulasBits() {
    double eps = LogLoss.EPSILON;
    double[] edges = {0, -0.0, 1, 0.5, eps, eps / 2, 2 * eps, Math.nextDown(eps),
        Math.nextUp(eps), 1 - eps, Math.nextDown(1 - eps), Math.nextUp(1 - eps), Math.nextDown(1.0),
        Double.MIN_VALUE, Double.MIN_NORMAL, 1e-300, 1e-17, 1e-16, 1 - 1e-16, 1 - 1e-15, 1e-8,
        1 - 1e-8, -1, 2, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
    double[] labels = {0, -0.0, 1, 0.5, 0.25, 1e-9, Math.nextDown(1.0), Double.MIN_VALUE};
    for (double p : edges) {
      for (double y : labels) {
        same(p, y);
      }
    }
    SplittableRandom r = new SplittableRandom(12);
    for (int i = 0; i < 2_000_000; i++) {
      // Uniform, then log-uniform towards 0 and towards 1, as a classifier's scores spread.
      double p = switch (i % 3) {
        case 0 -> r.nextDouble();
        case 1 -> Math.pow(10, -20 * r.nextDouble());
        default -> 1 - Math.pow(10, -17 * r.nextDouble());
      };
      same(p, i % 2);
      same((float) p, i % 2); // the trainer's scores come from floats' arithmetic too
    }
  }
}
