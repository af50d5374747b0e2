package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.flink.MetricsEvent;
import org.junit.jupiter.api.Test;

/** The console's per-model totals combine metrics reports by their importance weight. */
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
}
