package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradflow.flink.MetricsEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code evaluate --json}'s {@code last_window}: the figures of each model key's last report
 * that measured something, as the console's summary keeps them ({@code ProgressTaps}), combined
 * over model keys by their measured weight; and the run's reliability diagram, the windows' bins
 * summed by weight.
 */
class EvaluateReportTest {
  private static MetricsEvent report(String key, long step, double weight, double logLoss,
      double auc, double calibration) {
    MetricsEvent e = new MetricsEvent();
    e.modelKey = key;
    e.modelStep = step;
    e.examples = step;
    e.windowCount = weight;
    e.windowWeight = weight;
    e.logLoss = logLoss;
    e.baseRateLogLoss = logLoss + 0.1;
    e.auc = auc;
    e.rmse = logLoss / 2;
    e.calibration = calibration;
    return e;
  }

  private static EvaluateOutput of(MetricsEvent e) {
    return EvaluateOutput.of(e);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> lastWindow(Map<String, Object> json) {
    return (Map<String, Object>) json.get("last_window");
  }

  @Test
  void oneModelKeysLastMeasuredWindowExactly() {
    EvaluateReport report = new EvaluateReport(true, false, Map.of());
    report.add(of(report("m", 100, 100, 0.61, 0.70, 1.2)));
    report.add(of(report("m", 200, 100, 0.52, 0.75, 0.9)));
    // a report that measured nothing (a drift event alone) is not the last window
    report.add(of(report("m", 200, 0, Double.NaN, Double.NaN, Double.NaN)));
    Map<String, Object> last = lastWindow(report.toMap());
    assertEquals(100L, last.get("examples"));
    assertEquals(0.52, last.get("log_loss"));
    assertEquals(0.62, (Double) last.get("base_rate_log_loss"), 1e-15);
    assertEquals(0.75, last.get("auc"));
    assertEquals(0.9, last.get("calibration"));
    assertEquals(java.util.List.of("examples", "log_loss", "base_rate_log_loss", "auc",
        "calibration", "expected_calibration_error"), java.util.List.copyOf(last.keySet()));
  }

  @Test
  void severalModelKeysWeightedByTheirMeasuredWeightAsTheConsoleDoes() {
    EvaluateReport report = new EvaluateReport(true, false, Map.of());
    report.add(of(report("a", 100, 100, 0.6, 0.7, 1.0)));
    report.add(of(report("b", 50, 50, 0.4, Double.NaN, 2.0)));
    report.add(of(report("a", 200, 100, 0.5, 0.8, 1.5)));
    Map<String, Object> last = lastWindow(report.toMap());
    assertEquals(150L, last.get("examples"));
    // a: 0.5 with weight 200 over the run; b: 0.4 with weight 50
    assertEquals((0.5 * 200 + 0.4 * 50) / 250, (Double) last.get("log_loss"), 1e-15);
    assertEquals(0.8, last.get("auc")); // b has none: left out
    assertEquals((1.5 * 200 + 2.0 * 50) / 250, (Double) last.get("calibration"), 1e-15);
  }

  @Test
  void squaredLossGivesTheLastRmseAndARaceOneLastWindowPerCandidate() {
    EvaluateReport squared = new EvaluateReport(false, false, Map.of());
    squared.add(of(report("m", 10, 10, 0.8, Double.NaN, 1.1)));
    Map<String, Object> last = lastWindow(squared.toMap());
    assertEquals(0.4, last.get("rmse"));
    assertEquals(java.util.List.of("examples", "rmse", "calibration"),
        java.util.List.copyOf(last.keySet()));

    EvaluateReport race = new EvaluateReport(true, true, Map.of());
    race.add(of(report("m#fast", 10, 10, 0.3, 0.9, 1.0)));
    race.add(of(report("m#slow", 10, 10, 0.7, 0.6, 1.0)));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> candidates =
        (Map<String, Map<String, Object>>) race.toMap().get("candidates");
    assertEquals(0.3, lastWindow(candidates.get("fast")).get("log_loss"));
    assertEquals(0.6, lastWindow(candidates.get("slow")).get("auc"));
    assertNull(race.toMap().get("last_window"));
  }

  @Test
  void noMeasuredReportNoLastWindow() {
    EvaluateReport report = new EvaluateReport(true, false, Map.of());
    assertNull(report.toMap().get("last_window"));
    assertEquals(true, report.toMap().containsKey("last_window"));
  }

  /**
   * Two windows of two bins each: the run's bins are their weighted sums, its ECE theirs; per
   * model key for validate; null means in a bin no window filled. Independently: bin 0 holds
   * weight 3 at mean 0.1 (label 0) and weight 1 at 0.3 (label 1), so 4 at mean prediction 0.15
   * and mean label 0.25; bin 1 is empty in both.
   */
  @Test
  void theRunsBinsAreTheWindowsBinsSummedByWeight() {
    MetricsEvent first = report("m", 100, 3, 0.5, 0.7, 1.0);
    bins(first, new double[] {3, 0}, new double[] {0.1, Double.NaN},
        new double[] {0, Double.NaN}, 0.1);
    MetricsEvent second = report("m", 200, 1, 0.5, 0.7, 1.0);
    bins(second, new double[] {1, 0}, new double[] {0.3, Double.NaN},
        new double[] {1, Double.NaN}, 0.7);
    EvaluateReport report = new EvaluateReport(true, EvaluateReport.Grouping.MODEL_KEY,
        Map.of(), false, false);
    report.add(of(first));
    report.add(of(second));
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) report.models().get("m");
    @SuppressWarnings("unchecked")
    java.util.List<Map<String, Object>> bins =
        (java.util.List<Map<String, Object>>) m.get("calibration_bins");
    assertEquals(2, bins.size());
    assertEquals(0.0, bins.get(0).get("lower"));
    assertEquals(0.5, bins.get(0).get("upper"));
    assertEquals(4.0, bins.get(0).get("weight"));
    assertEquals(0.15, (Double) bins.get(0).get("mean_prediction"), 1e-15);
    assertEquals(0.25, (Double) bins.get(0).get("mean_label"), 1e-15);
    assertEquals(0.0, bins.get(1).get("weight"));
    assertNull(bins.get(1).get("mean_prediction"));
    assertNull(bins.get(1).get("mean_label"));
    assertEquals(0.1, (Double) m.get("expected_calibration_error"), 1e-15);
    @SuppressWarnings("unchecked")
    java.util.List<Map<String, Object>> windows =
        (java.util.List<Map<String, Object>>) m.get("windows");
    assertEquals(0.7, windows.get(1).get("expected_calibration_error"));
  }

  private static void bins(MetricsEvent e, double[] weight, double[] prediction,
      double[] label, double ece) {
    e.binLower = new double[] {0, 0.5};
    e.binUpper = new double[] {0.5, 1};
    e.binWeight = weight;
    e.binMeanPrediction = prediction;
    e.binMeanLabel = label;
    e.expectedCalibrationError = ece;
  }
}
