package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.flink.MetricsEvent;
import org.junit.jupiter.api.Test;

/**
 * The console's per-model totals combine metrics reports by their importance weight; row counts
 * are the latest model step's, whatever order reports arrive and merge in.
 */
class ProgressTapsTest {
  private static MetricsEvent report(double count, double weight, double logLoss, long step) {
    MetricsEvent e = new MetricsEvent();
    e.modelKey = "m";
    e.windowCount = count;
    e.windowWeight = weight;
    e.logLoss = logLoss;
    e.baseRateLogLoss = 0.7;
    e.rmse = 0.5;
    e.modelStep = step;
    return e;
  }

  @Test
  void reportsAreCombinedByWeightNotByCount() {
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    // Two windows of 10 examples each: one of total weight 1, one of total weight 3.
    metrics.add(report(10, 1, 0.2, 10));
    metrics.add(report(10, 3, 0.6, 20));
    double[] m = metrics.getLocalValue().get("m");
    assertEquals(0.5, m[ProgressTaps.ModelMetrics.LOG_LOSS_SUM]
        / m[ProgressTaps.ModelMetrics.WEIGHT], 1e-12);
    assertEquals(2, m[ProgressTaps.ModelMetrics.REPORTS]);
  }

  @Test
  void aWindowOfWeightZeroAddsNothing() {
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    metrics.add(report(5, 0, 0.9, 5));
    assertEquals(null, metrics.getLocalValue().get("m"));
  }

  private static MetricsEvent rows(String key, long step, long live, double weight) {
    MetricsEvent e = report(10, weight, 0.5, step);
    e.modelKey = key;
    e.rows = live;
    return e;
  }

  private static double live(ProgressTaps.ModelMetrics metrics, String key) {
    return metrics.getLocalValue().get(key)[ProgressTaps.ModelMetrics.ROWS_LIVE];
  }

  @Test
  void rowCountsAreTheLatestStepsIncludingADriftAloneReport() {
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    metrics.add(rows("m", 100, 40, 1));
    MetricsEvent drift = rows("m", 150, 55, 0); // a drift detection reported alone, no window
    drift.driftExamples = new long[] {150};
    metrics.add(drift);
    metrics.add(rows("m", 120, 47, 1)); // an earlier step arriving later
    assertEquals(55, live(metrics, "m"));
  }

  @Test
  void mergedSubtasksKeepTheLatestStepsRows() {
    ProgressTaps.ModelMetrics a = new ProgressTaps.ModelMetrics();
    a.add(rows("m", 200, 80, 1));
    ProgressTaps.ModelMetrics b = new ProgressTaps.ModelMetrics();
    MetricsEvent drift = rows("m", 260, 90, 0);
    drift.driftExamples = new long[] {260};
    b.add(rows("m", 100, 30, 1));
    b.add(drift);
    a.merge(b);
    assertEquals(90, live(a, "m"));
  }

  @Test
  void theOtherModelsBucketCarriesNoRowCount() {
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    for (int k = 0; k < ProgressTaps.MAX_MODELS; k++) {
      metrics.add(rows("k" + k, 1, 5, 1));
    }
    metrics.add(rows("one more", 1, 7_000, 1));
    double[] other = metrics.getLocalValue().get(ProgressTaps.OTHER_MODELS);
    assertEquals(1, other[ProgressTaps.ModelMetrics.REPORTS]);
    assertEquals(0, other[ProgressTaps.ModelMetrics.ROWS_LIVE]);
  }
}
