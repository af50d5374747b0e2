package io.gradflow.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.metrics.MetricsSnapshot.ReliabilityBin;
import io.gradflow.metrics.MetricsSnapshot.View;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The views' bookkeeping on small hand-computed examples; state, restore and validation. */
class PrequentialMetricsTest {
  @Test
  void fadingViewMatchesAHandComputedExample() {
    // alpha = 1/2; records (prediction, label, weight), oldest first:
    //   (0.8, 1, 1)  (0.4, 0, 2)  (0.6, 1, 1)  (0.7, 0, 1)
    // Faded weights, newest first: 1, 1/2, 2/4, 1/8 -> total 2.125; effective count
    // 1 + 1/2 + 1/4 + 1/8 = 1.875.
    PrequentialMetrics m = new PrequentialMetrics(new MetricsSpec(10, 0.5, 0), true);
    m.record(0.8, 1, 1);
    m.record(0.4, 0, 2);
    m.record(0.6, 1, 1);
    m.record(0.7, 0, 1);
    View fading = m.snapshot().fading();
    assertEquals(1.875, fading.count(), 1e-15);
    assertEquals(2.125, fading.weight(), 1e-15);
    // Squared errors 0.04, 0.16, 0.16, 0.49 with weights 1/8, 1/2, 1/2, 1.
    double mse = (0.04 / 8 + 0.16 / 2 + 0.16 / 2 + 0.49) / 2.125;
    assertEquals(Math.sqrt(mse), fading.rmse(), 1e-15);
    double logLoss = (-Math.log(0.8) / 8 - Math.log(0.6) / 2 - Math.log(0.6) / 2
        - Math.log(0.3)) / 2.125;
    assertEquals(logLoss, fading.logLoss(), 1e-15);
    assertEquals((0.8 / 8 + 0.4 / 2 + 0.6 / 2 + 0.7) / 2.125, fading.meanPrediction(), 1e-15);
    assertEquals((1.0 / 8 + 1.0 / 2) / 2.125, fading.meanLabel(), 1e-15);
    // AUC: positives 0.8 (1/8), 0.6 (1/2); negatives 0.4 (1/2), 0.7 (1). Pairs ranked right:
    // 0.8 > both (1/8 * 3/2), 0.6 > 0.4 (1/2 * 1/2); wrong: 0.6 < 0.7.
    double auc = (1.0 / 8 * 1.5 + 0.5 * 0.5) / ((1.0 / 8 + 0.5) * 1.5);
    assertEquals(auc, fading.auc(), 1e-15);

    // The windowed view of the same records is the plain weighted mean.
    View windowed = m.snapshot().windowed();
    assertEquals(4, windowed.count());
    assertEquals(5, windowed.weight());
    assertEquals(Math.sqrt((0.04 + 2 * 0.16 + 0.16 + 0.49) / 5), windowed.rmse(), 1e-15);
    // 0.8 beats both negatives (2 + 1), 0.6 beats 0.4 (2), of 2 * 3 weighted pairs.
    assertEquals((3 + 2) / 6.0, windowed.auc(), 1e-15);
  }

  @Test
  void theWindowedViewRestartsAtEachReportAndTheFadingViewDoesNot() {
    PrequentialMetrics m = new PrequentialMetrics(new MetricsSpec(100, 0.9, 4), true);
    m.record(0.9, 1, 1);
    m.record(0.2, 0, 1);
    MetricsSnapshot first = m.report();
    assertEquals(2, first.windowed().count());
    assertEquals(1.0, first.windowed().auc());
    MetricsSnapshot empty = m.snapshot();
    assertEquals(0, empty.windowed().count());
    assertTrue(Double.isNaN(empty.windowed().logLoss()));
    assertTrue(Double.isNaN(empty.windowed().auc()));
    assertTrue(Double.isNaN(empty.windowed().rmse()));
    assertEquals(first.fading(), empty.fading());
    m.record(0.1, 1, 1);
    m.record(0.3, 0, 1);
    MetricsSnapshot second = m.report();
    assertEquals(0.0, second.windowed().auc(), "only the records since the report");
    assertEquals(2, second.windowed().count());
    assertEquals(4, second.examples());
    // Over all four, faded: positives 0.9 (w 0.729), 0.1 (w 0.9); negatives 0.2 (0.81), 0.3 (1).
    double auc = 0.729 * (0.81 + 1) / ((0.729 + 0.9) * (0.81 + 1));
    assertEquals(auc, second.fading().auc(), 1e-12);
  }

  @Test
  void reliabilityBinsAndCalibration() {
    PrequentialMetrics m = new PrequentialMetrics(new MetricsSpec(100, 1, 2), true);
    m.record(0.1, 0, 1);
    m.record(0.3, 1, 1);
    m.record(0.8, 1, 2);
    m.record(1.0, 0, 1); // 1.0 falls into the last bin
    View v = m.snapshot().windowed();
    assertEquals(2, v.bins().size());
    ReliabilityBin low = v.bins().get(0);
    ReliabilityBin high = v.bins().get(1);
    assertEquals(new ReliabilityBin(0, 0.5, 2, 0.2, 0.5), low);
    assertEquals(3, high.weight());
    assertEquals((1.6 + 1.0) / 3, high.meanPrediction(), 1e-15);
    assertEquals(2.0 / 3, high.meanLabel(), 1e-15);
    double meanPrediction = (0.1 + 0.3 + 1.6 + 1.0) / 5;
    double meanLabel = 3.0 / 5;
    assertEquals(meanPrediction / meanLabel, v.calibration(), 1e-15);
    double ece = 2.0 / 5 * 0.3 + 3.0 / 5 * Math.abs((2.6 / 3) - 2.0 / 3);
    assertEquals(ece, v.expectedCalibrationError(), 1e-15);
    assertEquals(LogLoss.binaryEntropy(0.6), v.baseRateLogLoss(), 1e-15);
    assertEquals(Math.sqrt(0.6 * 0.4), v.baseRateRmse(), 1e-15);
    assertThrows(UnsupportedOperationException.class, () -> v.bins().clear());
  }

  @Test
  void realValuedPredictionsHaveNoProbabilityMetrics() {
    PrequentialMetrics m = new PrequentialMetrics(new MetricsSpec(10, 0.99, 10), false);
    assertTrue(m.record(5, 3, 1));
    assertTrue(m.record(-1, 1, 1));
    View v = m.snapshot().windowed();
    assertEquals(Math.sqrt((4 + 4) / 2.0), v.rmse(), 1e-15);
    assertTrue(Double.isNaN(v.logLoss()) && Double.isNaN(v.auc())
        && Double.isNaN(v.baseRateLogLoss()) && Double.isNaN(v.expectedCalibrationError()));
    assertTrue(v.bins().isEmpty());
    assertEquals(1, v.baseRateRmse(), 1e-15);
    assertEquals(2.0 / 2.0, v.calibration(), 1e-15);
  }

  @Test
  void invalidRecordsAreCountedNotAdded() {
    PrequentialMetrics m = new PrequentialMetrics(new MetricsSpec(10, 0.99, 10), true);
    assertFalse(m.record(Double.NaN, 1, 1));
    assertFalse(m.record(0.5, 2, 1));
    assertFalse(m.record(1.5, 1, 1));
    assertFalse(m.record(0.5, 1, -1));
    assertFalse(m.record(0.5, 1, Double.POSITIVE_INFINITY));
    assertTrue(m.record(0.5, 1, 0)); // a zero weight is valid and weighs nothing
    MetricsSnapshot s = m.snapshot();
    assertEquals(5, s.rejected());
    assertEquals(1, s.examples());
    assertEquals(0, s.windowed().weight());
    PrequentialMetrics real = new PrequentialMetrics(new MetricsSpec(10, 0.99, 10), false);
    assertTrue(real.record(1.5, 7, 1));
    assertFalse(real.record(Double.POSITIVE_INFINITY, 7, 1));
  }

  @Test
  void aRestoredStateContinuesExactly() {
    MetricsSpec spec = new MetricsSpec(50, 0.97, 5);
    Random random = new Random(8);
    PrequentialMetrics straight = new PrequentialMetrics(spec, true);
    PrequentialMetrics restored = null;
    for (int t = 0; t < 400; t++) {
      double p = random.nextInt(21) / 20.0;
      double y = random.nextDouble() < p ? 1 : 0;
      double w = 0.5 + random.nextDouble();
      straight.record(p, y, w);
      if (restored != null) {
        restored.record(p, y, w);
      }
      if (t == 123) {
        straight.report();
        double[] state = straight.copyState();
        assertEquals(PrequentialMetrics.stateSize(spec, true), state.length);
        restored = PrequentialMetrics.restore(spec, true, state);
        state[3] = -5; // the restored metrics hold their own copy
      }
      if (t % 77 == 0 && restored != null) {
        assertEquals(straight.report(), restored.report());
      }
    }
    assertEquals(straight.snapshot(), restored.snapshot());
    assertArrayEquals(straight.copyState(), restored.copyState());

    // Other calibration bins cannot continue this state.
    double[] state = straight.copyState();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PrequentialMetrics.restore(new MetricsSpec(50, 0.97, 6), true, state));
    assertTrue(e.getMessage().contains("calibration bins"), e.getMessage());
    // Another window keeps the sums and starts its ring empty.
    assertEquals(straight.snapshot().fading().logLoss(), PrequentialMetrics.restore(
        new MetricsSpec(60, 0.97, 5), true, state).snapshot().fading().logLoss());
    // A new fading factor can.
    PrequentialMetrics.restore(new MetricsSpec(50, 0.5, 5), true, state);
  }

  @Test
  void aucSortAgreesWithArraysSortAndUndefinedCasesAreNaN() {
    Random random = new Random(4);
    for (int n = 0; n < 300; n += 7) {
      double[] scores = new double[n];
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        scores[i] = random.nextInt(50) / 7.0;
        order[i] = i;
      }
      Auc.sortByScore(scores, order, new int[n], n);
      double[] sorted = new double[n];
      for (int i = 0; i < n; i++) {
        sorted[i] = scores[order[i]];
      }
      double[] expected = scores.clone();
      Arrays.sort(expected);
      assertArrayEquals(expected, sorted);
      int[] seen = order.clone();
      Arrays.sort(seen);
      for (int i = 0; i < n; i++) {
        assertEquals(i, seen[i], "a permutation");
      }
    }
    assertTrue(Double.isNaN(Auc.of(new double[] {0.1, 0.2}, new double[] {1, 1}, null, 2)));
    assertTrue(Double.isNaN(Auc.of(new double[0], new double[0], null, 0)));
    assertEquals(0.5, Auc.of(new double[] {0.3, 0.3}, new double[] {1, 0}, null, 2));
  }

  @Test
  void logLossClipsLikeScikitLearn() {
    assertEquals(-Math.log(0x1.0p-52), LogLoss.of(0, 1), 1e-12);
    assertEquals(-Math.log(0x1.0p-52), LogLoss.of(1, 0), 1e-12);
    assertTrue(LogLoss.of(1, 1) < 1e-15);
    assertEquals(Math.log(2), LogLoss.binaryEntropy(0.5), 1e-15);
    assertEquals(0, LogLoss.binaryEntropy(0));
    assertTrue(Double.isNaN(LogLoss.binaryEntropy(1.5)));
  }

  @Test
  void specIsValidated() {
    ConfigException e = assertThrows(ConfigException.class, () -> new MetricsSpec(-1, 0.9, 10));
    assertEquals("metrics.window must be >= 0, but was -1", e.getMessage());
    e = assertThrows(ConfigException.class, () -> new MetricsSpec(10, 0, 10));
    assertEquals("metrics.fading_factor must be in (0, 1], but was 0.0", e.getMessage());
    e = assertThrows(ConfigException.class, () -> new MetricsSpec(10, 1.01, 10));
    assertEquals("metrics.fading_factor", e.key());
    e = assertThrows(ConfigException.class, () -> new MetricsSpec(10, 0.9, -1));
    assertEquals("metrics.calibration_bins must be >= 0, but was -1", e.getMessage());
    assertEquals("metrics.window", assertThrows(ConfigException.class,
        () -> new MetricsSpec(MetricsSpec.MAX_WINDOW + 1, 0.9, 1)).key());
  }
  /** Every value of a view that is not NaN (undefined) is finite. */
  private static void noInfinity(View v) {
    double[] values = {v.count(), v.weight(), v.logLoss(), v.baseRateLogLoss(), v.auc(), v.rmse(),
        v.baseRateRmse(), v.meanPrediction(), v.meanLabel(), v.calibration(),
        v.expectedCalibrationError()};
    for (double x : values) {
      assertFalse(Double.isInfinite(x), v.toString());
    }
  }

  @Test
  void undefinedValuesAreNaNNeverInfinite() {
    // One class only (mean label 0), predictions at exactly 0 and 1: the log loss is clipped
    // (about 36 nats for the confident mistake), calibration and AUC are undefined.
    PrequentialMetrics m = new PrequentialMetrics(MetricsSpec.DEFAULT, true);
    assertTrue(m.record(1.0, 0, 1));
    assertTrue(m.record(0.0, 0, 1));
    View v = m.snapshot().windowed();
    noInfinity(v);
    assertEquals(-Math.log(LogLoss.EPSILON) / 2, v.logLoss(), 1e-9);
    assertTrue(Double.isNaN(v.calibration()), "calibration with mean label 0");
    assertTrue(Double.isNaN(v.auc()), "AUC with one class");
    assertEquals(0, v.baseRateLogLoss());
    // Squared loss: a mean label of exactly 0 from labels of both signs.
    PrequentialMetrics real = new PrequentialMetrics(MetricsSpec.DEFAULT, false);
    real.record(2, 1, 1);
    real.record(2, -1, 1);
    View r = real.snapshot().windowed();
    noInfinity(r);
    assertTrue(Double.isNaN(r.calibration()));
  }

  @Test
  void aRecordWhoseSumsWouldOverflowIsRefusedAndTheStateStaysFinite() {
    PrequentialMetrics m = new PrequentialMetrics(new MetricsSpec(10, 0.9, 4), false);
    assertTrue(m.record(1, 0, 1));
    assertFalse(m.record(1e200, 0, 1), "(1e200)^2 overflows the squared error");
    assertFalse(m.record(2, 0, Double.MAX_VALUE), "the weighted squared error overflows");
    assertTrue(m.record(1e150, 0, 1));
    assertFalse(m.record(1e150, 0, 1e10), "the sum of squared errors would overflow");
    for (double x : m.copyState()) {
      assertTrue(Double.isFinite(x));
    }
    MetricsSnapshot snapshot = m.snapshot();
    assertEquals(2, snapshot.examples());
    assertEquals(3, snapshot.rejected());
    noInfinity(snapshot.windowed());
    noInfinity(snapshot.fading());
  }

  @Test
  void theCompactFormHoldsEveryValueBitForBit() {
    // Runs of zeros of every length between values, at both ends, signed zeros, NaN, infinities.
    double[] full = {0, 0, 1.5, 0, -0.0, 0, 0, 0, 2, Double.NaN, 0, 0, 0, 0, 0,
        Double.MIN_VALUE, 0, 0, Double.NEGATIVE_INFINITY, 7, 0};
    for (int cut = 0; cut <= full.length; cut++) {
      double[] part = Arrays.copyOf(full, cut);
      double[] back = PrequentialMetrics.expand(PrequentialMetrics.compact(part));
      assertEquals(part.length, back.length);
      for (int i = 0; i < part.length; i++) {
        assertEquals(Double.doubleToRawLongBits(part[i]), Double.doubleToRawLongBits(back[i]),
            "value " + i + " of " + cut);
      }
    }
    // Random states: dense, sparse, empty.
    Random random = new Random(7);
    for (int t = 0; t < 200; t++) {
      double[] state = new double[random.nextInt(600)];
      double density = random.nextDouble();
      for (int i = 0; i < state.length; i++) {
        state[i] = random.nextDouble() < density ? random.nextGaussian() : 0;
      }
      double[] compact = PrequentialMetrics.compact(state);
      assertArrayEquals(state, PrequentialMetrics.expand(compact));
      // The header, a map word per 32 values, the nonzero values.
      long nonzero = Arrays.stream(state).filter(x -> x != 0).count();
      assertEquals(2 + (state.length + 31) / 32 + nonzero, compact.length);
    }
  }

  /**
   * Sparse histograms (new metrics without a ring, and those restored from a compact form with
   * few histogram values) record, report, scale and store exactly what the format-2 array does
   * (metrics restored from {@code copyState()} keep it), through the turn into that array: scores
   * in a few bins and in all of them, weights of 0 and -0.0, fractional labels, a fading factor
   * that rescales the fading histogram every few hundred records, reports, round trips through
   * the compact form.
   */
  @Test
  void sparseHistogramsMeasureExactlyAsTheFullArray() {
    for (MetricsSpec spec : new MetricsSpec[] {MetricsSpec.DEFAULT, new MetricsSpec(0, 0.5, 3),
        new MetricsSpec(0, 1, 0)}) {
      for (int spread : new int[] {3, 40, 1000}) {
        Random random = new Random(spread);
        PrequentialMetrics sparse = new PrequentialMetrics(spec, true);
        PrequentialMetrics full = PrequentialMetrics.restore(spec, true, sparse.copyState());
        assertTrue(sparse.sparse());
        assertFalse(full.sparse());
        boolean wasSparse = false;
        for (int t = 0; t < 3000; t++) {
          double p = spread >= 1000 ? random.nextDouble() : 0.02 + random.nextInt(spread) / 50.0;
          double y = random.nextInt(10) == 0 ? random.nextDouble() : random.nextInt(2);
          int kind = random.nextInt(20);
          double w = kind == 0 ? 0 : kind == 1 ? -0.0 : 0.25 + random.nextDouble();
          assertEquals(full.record(p, y, w), sparse.record(p, y, w));
          wasSparse |= sparse.sparse();
          if (t % 97 == 0) {
            assertEquals(full.report(), sparse.report(), spec + ", record " + t);
            assertEquals(full.aucErrorBound(true), sparse.aucErrorBound(true));
          }
          if (t % 13 == 0) {
            sparse = PrequentialMetrics.restore(spec, true, sparse.compactState());
          }
          assertArrayEquals(full.copyState(), sparse.copyState(), spec + ", record " + t);
        }
        assertArrayEquals(full.compactState(), sparse.compactState());
        assertEquals(full.snapshot(), sparse.snapshot());
        assertEquals(full.aucErrorBound(false), sparse.aucErrorBound(false));
        assertTrue(wasSparse, spec + ", spread " + spread);
        // Scores in every bin fill more pairs than sparse histograms keep.
        assertEquals(spread < 1000, sparse.sparse(), spec + ", spread " + spread);
      }
    }
    // A restore of a compact form with few histogram values is sparse; of a ring, never.
    PrequentialMetrics few = new PrequentialMetrics(MetricsSpec.DEFAULT, true);
    few.record(0.3, 0, 1);
    assertTrue(PrequentialMetrics.restore(MetricsSpec.DEFAULT, true, few.compactState())
        .sparse());
    assertFalse(new PrequentialMetrics(new MetricsSpec(5, 0.9, 3), true).sparse());
    assertFalse(new PrequentialMetrics(MetricsSpec.DEFAULT, false).sparse());
  }

  /**
   * The AUC and its bound of sparse metrics come from their pairs without building the array:
   * bit for bit the array's, after every record and report, for histograms with one class only,
   * empty bins between, zero and -0.0 weights (pairs of zero mass), and labels in between.
   */
  @Test
  void sparseAucIsTheArraysToTheBit() {
    for (MetricsSpec spec : new MetricsSpec[] {MetricsSpec.DEFAULT, new MetricsSpec(0, 0.5, 3),
        new MetricsSpec(0, 1, 0)}) {
      for (int seed = 0; seed < 12; seed++) {
        Random random = new Random(seed);
        PrequentialMetrics sparse = new PrequentialMetrics(spec, true);
        int classes = seed % 3; // 0: negatives only, 1: positives only, 2: both
        boolean checked = false;
        for (int t = 0; t < 400 && sparse.sparse(); t++) {
          double p = seed < 6 ? 0.001 + random.nextInt(30) / 31.0 : random.nextDouble();
          double y = classes == 0 ? 0 : classes == 1 ? 1
              : random.nextInt(8) == 0 ? random.nextDouble() : random.nextInt(2);
          int kind = random.nextInt(10);
          double w = kind == 0 ? 0 : kind == 1 ? -0.0 : 0.1 + 3 * random.nextDouble();
          sparse.record(p, y, w);
          PrequentialMetrics full = PrequentialMetrics.restore(spec, true, sparse.copyState());
          assertFalse(full.sparse());
          MetricsSnapshot a = full.snapshot();
          MetricsSnapshot b = sparse.snapshot();
          assertEquals(Double.doubleToRawLongBits(a.windowed().auc()),
              Double.doubleToRawLongBits(b.windowed().auc()), spec + ", record " + t);
          assertEquals(Double.doubleToRawLongBits(a.fading().auc()),
              Double.doubleToRawLongBits(b.fading().auc()), spec + ", record " + t);
          for (boolean fading : new boolean[] {false, true}) {
            assertEquals(Double.doubleToRawLongBits(full.aucErrorBound(fading)),
                Double.doubleToRawLongBits(sparse.aucErrorBound(fading)), spec + ", " + t);
          }
          checked |= classes == 2 && !Double.isNaN(b.fading().auc());
          if (random.nextInt(50) == 0) {
            sparse.report(); // empties the windowed histogram's pairs
          }
        }
        assertEquals(classes == 2, checked, spec + ", seed " + seed);
      }
    }
  }

  @Test
  void metricsRestoredFromTheCompactFormContinueExactly() {
    for (MetricsSpec spec : new MetricsSpec[] {MetricsSpec.DEFAULT, new MetricsSpec(50, 0.97, 5),
        new MetricsSpec(10, 1, 0), new MetricsSpec(0, 0.5, 3)}) {
      for (boolean probabilities : new boolean[] {true, false}) {
        Random random = new Random(11);
        PrequentialMetrics straight = new PrequentialMetrics(spec, probabilities);
        PrequentialMetrics restored = PrequentialMetrics.restore(spec, probabilities,
            straight.compactState());
        for (int t = 0; t < 300; t++) {
          double p = random.nextInt(21) / 20.0;
          double y = random.nextDouble() < p ? 1 : 0;
          double w = random.nextInt(4) == 0 ? 0 : 0.5 + random.nextDouble();
          straight.record(p, y, w);
          restored.record(p, y, w);
          if (t % 37 == 0) {
            assertEquals(straight.report(), restored.report());
          }
          if (t % 23 == 0) {
            double[] compact = restored.compactState();
            restored = PrequentialMetrics.restore(spec, probabilities, compact);
            compact[compact.length - 1] = -5; // the restored metrics hold their own array
          }
          if (t % 31 == 0) {
            restored = PrequentialMetrics.restore(spec, probabilities, restored.copyState());
          }
          assertArrayEquals(straight.copyState(), restored.copyState(), "record " + t);
          // The compact form that reads only the bins records touched is the whole array's.
          assertArrayEquals(PrequentialMetrics.compact(straight.copyState()),
              restored.compactState(), "record " + t);
          assertArrayEquals(PrequentialMetrics.compact(straight.copyState()),
              straight.compactState(), "record " + t);
        }
        assertEquals(straight.snapshot(), restored.snapshot());
      }
    }
    // A model that has seen a few examples stores a small part of the 4.8 kB.
    PrequentialMetrics few = new PrequentialMetrics(MetricsSpec.DEFAULT, true);
    few.record(0.3, 0, 1);
    few.record(0.6, 1, 1);
    few.record(0.2, 0, 1);
    int full = PrequentialMetrics.stateSize(MetricsSpec.DEFAULT, true);
    assertEquals(full, few.copyState().length);
    assertTrue(few.compactState().length < full / 5, few.compactState().length + " doubles");
    // A compact state of other calibration bins is refused as the full form is.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PrequentialMetrics.restore(new MetricsSpec(0, 0.999, 5), true,
            few.compactState()));
    assertTrue(e.getMessage().contains("calibration bins"), e.getMessage());
    // A damaged one too, with a message rather than an index error: cut short, cut in its map,
    // a map word that is no 32-bit integer, one value too many.
    double[] good = few.compactState();
    for (double[] bad : new double[][] {Arrays.copyOf(good, good.length - 1),
        Arrays.copyOf(good, 5), Arrays.copyOf(good, 2), withValue(good, 2, 0.5),
        withValue(good, 3, -1), withValue(good, 2, 1L << 32),
        Arrays.copyOf(good, good.length + 1)}) {
      assertThrows(IllegalArgumentException.class,
          () -> PrequentialMetrics.restore(MetricsSpec.DEFAULT, true, bad));
    }
  }

  private static double[] withValue(double[] a, int at, double value) {
    double[] b = a.clone();
    b[at] = value;
    return b;
  }
}
