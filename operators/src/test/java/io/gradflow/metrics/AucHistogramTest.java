package io.gradflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The histogram AUC ({@link AucHistogram}) against the exact {@link Auc}: within its own bound on
 * every stream, the bound small on spread scores, and the metrics that use it (window 0) within
 * the bound in both views, restored from format 1 (the ring) exactly where the ring is kept.
 */
class AucHistogramTest {
  /** Scores of several shapes: spread, concentrated at small rates, tied, extreme. */
  static DoubleSupplier[] shapes(SplittableRandom r) {
    return new DoubleSupplier[] {
        r::nextDouble,
        () -> 1 / (1 + Math.exp(-(-4 + 0.8 * r.nextGaussian()))), // click rates near 2%
        () -> r.nextInt(11) / 10.0, // ties
        () -> r.nextInt(3) == 0 ? 0.0 : r.nextInt(2) == 0 ? 1.0 : r.nextDouble(),
        () -> 1 / (1 + Math.exp(-3 * r.nextGaussian())),
    };
  }

  @Test
  void theHistogramAucIsWithinItsBoundOfTheExactAuc() {
    SplittableRandom r = new SplittableRandom(1);
    double worstSpread = 0;
    double worstError = 0;
    for (int trial = 0; trial < 40; trial++) {
      DoubleSupplier[] shapes = shapes(r);
      DoubleSupplier shape = shapes[trial % shapes.length];
      int n = 50 + r.nextInt(5_000);
      double[] scores = new double[n];
      double[] labels = new double[n];
      double[] weights = new double[n];
      double[] h = new double[AucHistogram.SIZE + 3];
      double signal = r.nextDouble() * 4;
      for (int i = 0; i < n; i++) {
        scores[i] = shape.getAsDouble();
        double logit = Math.log(scores[i] / (1 - scores[i]));
        double p = 1 / (1 + Math.exp(-signal * Math.max(-20, Math.min(20, logit))));
        labels[i] = trial % 7 == 0 ? r.nextDouble() : r.nextDouble() < p ? 1 : 0;
        weights[i] = 0.1 + r.nextDouble();
        AucHistogram.add(h, 3, scores[i], labels[i], weights[i]);
      }
      double exact = Auc.of(scores, labels, weights, n);
      double approx = AucHistogram.auc(h, 3);
      double bound = AucHistogram.errorBound(h, 3);
      if (Double.isNaN(exact)) {
        assertTrue(Double.isNaN(approx) && Double.isNaN(bound), "one class only: undefined");
        continue;
      }
      assertTrue(Math.abs(approx - exact) <= bound + 1e-12,
          "trial " + trial + ": " + approx + " vs exact " + exact + ", bound " + bound);
      worstError = Math.max(worstError, Math.abs(approx - exact));
      if (trial % shapes.length == 0 || trial % shapes.length == 1) {
        worstSpread = Math.max(worstSpread, bound);
      }
    }
    // Spread scores (uniform, or click rates with a logit sd of 0.8: about 26 bins) share few
    // bins: a bound of about 1 / (4 * 26).
    assertTrue(worstSpread < 0.03, "bound on spread scores " + worstSpread);
    System.out.printf("histogram AUC: worst error %.2e, worst bound on spread scores %.4f%n",
        worstError, worstSpread);
  }

  @Test
  void theBoundIsReachedWhenEveryPairTies() {
    double[] h = new double[AucHistogram.SIZE];
    AucHistogram.add(h, 0, 0.5, 1, 1);
    AucHistogram.add(h, 0, 0.5001, 0, 1);
    // Exact AUC 0 (the positive scores lower), histogram 0.5, bound 0.5.
    assertEquals(0.5, AucHistogram.auc(h, 0));
    assertEquals(0.5, AucHistogram.errorBound(h, 0));
    assertEquals(0, Auc.of(new double[] {0.5, 0.5001}, new double[] {1, 0}, null, 2));
    assertTrue(Double.isNaN(AucHistogram.auc(new double[AucHistogram.SIZE], 0)));
    assertEquals(0, AucHistogram.bin(0));
    assertEquals(AucHistogram.BINS - 1, AucHistogram.bin(1));
    assertEquals(AucHistogram.BINS / 2, AucHistogram.bin(0.5));
  }

  /** The windowed and fading AUC of the last records exactly, newest weighted 1. */
  static double[] exact(double[] p, double[] y, double[] w, int from, int to, double alpha) {
    int n = to - from;
    double[] faded = new double[to];
    for (int i = 0; i < to; i++) {
      faded[i] = w[i] * Math.pow(alpha, to - 1 - i);
    }
    double windowed = Auc.of(Arrays.copyOfRange(p, from, to), Arrays.copyOfRange(y, from, to),
        Arrays.copyOfRange(w, from, to), n);
    return new double[] {windowed, Auc.of(p, y, faded, to)};
  }

  @Test
  void metricsWithoutAWindowAreWithinTheBoundInBothViewsAndAFewKilobytes() {
    MetricsSpec spec = new MetricsSpec(0, 0.999, 10);
    assertTrue(8 * PrequentialMetrics.stateSize(spec, true) < 5_000,
        PrequentialMetrics.stateSize(spec, true) + " doubles");
    assertEquals(spec, MetricsSpec.DEFAULT);
    SplittableRandom r = new SplittableRandom(5);
    int n = 6_000;
    double[] p = new double[n];
    double[] y = new double[n];
    double[] w = new double[n];
    PrequentialMetrics m = new PrequentialMetrics(spec, true);
    int reported = 0;
    for (int i = 0; i < n; i++) {
      double z = -3 + 1.2 * r.nextGaussian();
      p[i] = 1 / (1 + Math.exp(-z));
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-(z + r.nextGaussian()))) ? 1 : 0;
      w[i] = 0.5 + r.nextDouble();
      m.record(p[i], y[i], w[i]);
      if (i % 2_000 == 1_999) {
        double[] want = exact(p, y, w, reported, i + 1, 0.999);
        double windowedBound = m.aucErrorBound(false);
        double fadingBound = m.aucErrorBound(true);
        MetricsSnapshot s = m.report();
        assertTrue(Math.abs(s.windowed().auc() - want[0]) <= windowedBound,
            s.windowed().auc() + " vs " + want[0] + " bound " + windowedBound);
        assertTrue(Math.abs(s.fading().auc() - want[1]) <= fadingBound,
            s.fading().auc() + " vs " + want[1] + " bound " + fadingBound);
        assertTrue(windowedBound < 0.02 && fadingBound < 0.02, windowedBound + " " + fadingBound);
        reported = i + 1;
      }
    }
  }

  @Test
  void aFormatOneStateRestoresItsHistogramsFromItsRing() {
    MetricsSpec ring = new MetricsSpec(3_000, 0.99, 4);
    PrequentialMetrics m = new PrequentialMetrics(ring, true);
    SplittableRandom r = new SplittableRandom(9);
    for (int i = 0; i < 2_500; i++) {
      double p = r.nextDouble();
      m.record(p, r.nextDouble() < p ? 1 : 0, 1);
      if (i == 1_000) {
        m.report();
      }
    }
    // Format 1: the 8-double header (version 1), the sums, the ring; no scale, no histograms.
    double[] v2 = m.copyState();
    int sums = 2 * (7 + 3 * 4);
    double[] v1 = new double[8 + sums + 3 * 3_000];
    System.arraycopy(v2, 0, v1, 0, 8);
    v1[0] = 1;
    System.arraycopy(v2, 9, v1, 8, sums);
    System.arraycopy(v2, 9 + sums + 2 * AucHistogram.SIZE, v1, 8 + sums, 3 * 3_000);

    PrequentialMetrics same = PrequentialMetrics.restore(ring, true, v1);
    assertEquals(m.snapshot(), same.snapshot(), "the ring kept: exactly the same metrics");
    PrequentialMetrics histogram =
        PrequentialMetrics.restore(new MetricsSpec(0, 0.99, 4), true, v1);
    MetricsSnapshot exact = m.snapshot();
    MetricsSnapshot approx = histogram.snapshot();
    assertEquals(exact.windowed().logLoss(), approx.windowed().logLoss());
    assertEquals(exact.examples(), approx.examples());
    assertTrue(Math.abs(exact.windowed().auc() - approx.windowed().auc())
        <= histogram.aucErrorBound(false));
    assertTrue(Math.abs(exact.fading().auc() - approx.fading().auc())
        <= histogram.aucErrorBound(true));
    assertTrue(histogram.aucErrorBound(false) < 0.01);
  }
}
