package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradflow.flink.MetricsEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code evaluate --json}'s {@code last_window}: the figures of each model key's last report
 * that measured something, as the console's summary keeps them ({@code ProgressTaps}), combined
 * over model keys by their measured weight.
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
        "calibration"), java.util.List.copyOf(last.keySet()));
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
}
