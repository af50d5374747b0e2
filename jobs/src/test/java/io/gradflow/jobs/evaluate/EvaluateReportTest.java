package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import java.util.List;
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
    EvaluateReport report = new EvaluateReport(true, false);
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
    EvaluateReport report = new EvaluateReport(true, false);
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

  /**
   * With several model keys each window's {@code prequential_log_loss} is its own key's, and
   * {@code model_keys} gives each key's figures over the run (trial 23: the windows carried the
   * run's cumulative figure of every key, labelled with one key).
   */
  @Test
  @SuppressWarnings("unchecked")
  void eachWindowsPrequentialLogLossAndEachKeysFiguresAreItsOwnKeys() {
    EvaluateReport report = new EvaluateReport(true, false);
    report.add(of(report("de", 100, 100, 0.2, 0.7, 1.0)));
    report.add(of(report("fr", 100, 100, 0.4, 0.7, 1.0)));
    report.add(of(report("de", 200, 100, 0.1, 0.7, 1.0)));
    report.add(of(report("fr", 150, 50, 0.7, 0.7, 1.0)));
    Map<String, Object> json = report.toMap();
    List<Map<String, Object>> windows = (List<Map<String, Object>>) json.get("windows");
    assertEquals(List.of("de", "fr", "de", "fr"),
        windows.stream().map(w -> w.get("model_key")).toList());
    assertEquals(0.2, (Double) windows.get(0).get("prequential_log_loss"), 1e-15);
    assertEquals(0.4, (Double) windows.get(1).get("prequential_log_loss"), 1e-15);
    assertEquals(0.15, (Double) windows.get(2).get("prequential_log_loss"), 1e-15);
    assertEquals((0.4 * 100 + 0.7 * 50) / 150,
        (Double) windows.get(3).get("prequential_log_loss"), 1e-15);
    Map<String, Map<String, Object>> keys =
        (Map<String, Map<String, Object>>) json.get("model_keys");
    assertEquals(List.of("de", "fr"), List.copyOf(keys.keySet()));
    assertEquals(200L, keys.get("de").get("examples"));
    assertEquals(0.15, (Double) keys.get("de").get("log_loss"), 1e-15);
    assertEquals(0.25, (Double) keys.get("de").get("base_rate_log_loss"), 1e-15);
    assertEquals(150L, keys.get("fr").get("examples"));
    assertEquals((0.4 * 100 + 0.7 * 50) / 150, (Double) keys.get("fr").get("log_loss"), 1e-15);
  }

  @Test
  void squaredLossGivesTheLastRmseAndARaceOneLastWindowPerCandidate() {
    EvaluateReport squared = new EvaluateReport(false, false);
    squared.add(of(report("m", 10, 10, 0.8, Double.NaN, 1.1)));
    Map<String, Object> last = lastWindow(squared.toMap());
    assertEquals(0.4, last.get("rmse"));
    assertEquals(java.util.List.of("examples", "rmse", "calibration"),
        java.util.List.copyOf(last.keySet()));

    EvaluateReport race = new EvaluateReport(true, true);
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
    EvaluateReport report = new EvaluateReport(true, false);
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
        false, false);
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

  /**
   * The whole-run AUC does not depend on where the unmeasured predictions arrive.
   * EvaluateStreamingITCase's six-line VW file with {@code labels.delayed} (timeout 1 min, default label 0): lines 1, 3, 5,
   * 6 are labeled (line 3 weight 2, line 6 weight 0), lines 2 and 4 are not. The labeled examples
   * reach the trainer on one channel, in file order; the unlabeled ones through the label join on
   * another: scored on arrival (unmeasured), then scored and learned with label 0 at the end of
   * the input. Where the two first scorings fall among the labeled examples varies from run to
   * run; the trainer's learning order does not. Taking the later half of all 8 predictions, the
   * file order gave [5, 6, 2', 4'] (AUC 0.5) and the join's scorings arriving after the labeled
   * ones gave [2, 4, 2', 4'] (no positive: null), as in CI. Now: the later half of the 5 measured
   * predictions, [5, 2', 4'] in every order: one positive at 0.6 between negatives at 0.4 and
   * 0.7, AUC 0.5.
   */
  @Test
  void theWholeRunAucIsTheSameWhereverTheUnmeasuredPredictionsArrive() {
    Scored l1 = scored("1", 1, 0.5, 1f, true);
    Scored u2 = scored("2", 1, 0.45, Float.NaN, false);
    Scored l3 = scored("3", 2, 0.55, 0f, true).weighted(2f);
    Scored u4 = scored("4", 2, 0.5, Float.NaN, false);
    Scored l5 = scored("5", 3, 0.6, 1f, true);
    Scored l6 = scored("6", 3, 0.58, 0f, false).weighted(0f); // scored, not learned
    Scored t2 = scored("2", 4, 0.4, 0f, true);
    Scored t4 = scored("4", 5, 0.7, 0f, true);
    List<List<Scored>> orders = List.of(
        List.of(l1, u2, l3, u4, l5, l6, t2, t4), // file order
        List.of(l1, l3, l5, l6, u2, u4, t2, t4), // the join's channel behind
        List.of(u2, u4, l1, l3, l5, l6, t2, t4), // the join's channel ahead
        List.of(l1, l3, u2, l5, u4, l6, t2, t4));
    Map<String, Object> first = null;
    for (List<Scored> order : orders) {
      EvaluateReport report = new EvaluateReport(true, false);
      order.forEach(s -> report.add(EvaluateOutput.of(s)));
      Map<String, Object> m = report.toMap();
      assertEquals(0.5, m.get("auc"), order.toString());
      assertEquals(8L, m.get("examples"));
      assertEquals(5L, m.get("learned"));
      if (first == null) {
        first = m;
      }
      assertEquals(first, m, order.toString());
    }
  }

  private static Scored scored(String id, long step, double score, float label,
      boolean learned) {
    return new Scored(id, "m", step, score, 0, label, learned);
  }

  /**
   * Many predictions, kept as columns: the whole-run figures equal those computed from the
   * predictions kept whole (as the report did before), by a plain computation here: the AUC of
   * the later half of the measured predictions with their weights, each window at the position of
   * its key's {@code examples}-th measured prediction, each drift event at the position of the
   * prediction learned at its model step. 300,000 predictions of two model keys: some unlabeled,
   * some of weight 0 or 3, some refused by the metrics (learned, not measured).
   */
  @Test
  void manyPredictionsGiveTheFiguresOfThePredictionsKeptWhole() {
    java.util.Random random = new java.util.Random(7);
    List<Scored> all = new java.util.ArrayList<>();
    Map<String, Long> steps = new java.util.HashMap<>();
    Map<String, Long> measuredOf = new java.util.HashMap<>();
    Map<String, List<Long>> measuredAt = new java.util.HashMap<>();
    Map<String, Map<Long, Long>> learnedAt = new java.util.HashMap<>();
    for (int i = 0; i < 300_000; i++) {
      String key = random.nextInt(4) == 0 ? "b" : "a";
      int kind = random.nextInt(20);
      boolean labeled = kind != 0;
      float weight = kind == 1 ? 0f : kind == 2 ? 3f : 1f;
      boolean learned = labeled && weight > 0;
      boolean measured = learned && kind != 3;
      long step = steps.merge(key, learned ? 1L : 0L, Long::sum);
      double score = Math.round(random.nextDouble() * 1000) / 1000.0; // ties among them
      float label = !labeled ? Float.NaN : random.nextDouble() < score ? 1f : 0f;
      Scored s = new Scored("e" + i, key, step, score, i, label, learned).measured(measured)
          .weighted(weight);
      all.add(s);
      if (measured) {
        measuredOf.merge(key, 1L, Long::sum);
        measuredAt.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(i + 1L);
      }
      if (learned) {
        learnedAt.computeIfAbsent(key, k -> new java.util.HashMap<>()).put(step, i + 1L);
      }
    }
    EvaluateReport report = new EvaluateReport(true, false);
    all.forEach(s -> report.add(EvaluateOutput.of(s)));
    List<long[]> windows = new java.util.ArrayList<>(); // key 0 a, 1 b; examples; drift step
    for (String key : List.of("a", "b")) {
      for (long k = 1000; k <= measuredOf.get(key); k += 1000) {
        MetricsEvent e = report(key, k, 1000, 0.5, 0.7, 1.0);
        e.examples = k;
        e.driftExamples = new long[] {k / 2 + 1};
        e.driftEventTimes = new long[] {0};
        e.driftDetectors = new String[] {"adwin"};
        e.driftActions = new String[] {"none"};
        report.add(of(e));
        windows.add(new long[] {key.equals("a") ? 0 : 1, k, k / 2 + 1});
      }
    }
    Map<String, Object> m = report.toMap();
    assertEquals(300_000L, m.get("examples"));
    assertEquals(all.stream().filter(s -> s.learned).count(), m.get("learned"));

    List<Scored> measured = all.stream().filter(s -> s.measured).toList();
    List<Scored> later = measured.subList(measured.size() / 2, measured.size());
    double[] scores = later.stream().mapToDouble(s -> s.score).toArray();
    double[] labels = later.stream().mapToDouble(s -> s.label).toArray();
    double[] weights = later.stream().mapToDouble(s -> s.weight).toArray();
    assertEquals(io.gradflow.metrics.Auc.of(scores, labels, weights, scores.length),
        m.get("auc"));

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> json = (List<Map<String, Object>>) m.get("windows");
    java.util.Set<List<Object>> expected = new java.util.HashSet<>();
    for (long[] w : windows) {
      String key = w[0] == 0 ? "a" : "b";
      expected.add(List.of(key, measuredAt.get(key).get((int) w[1] - 1)));
    }
    java.util.Set<List<Object>> got = new java.util.HashSet<>();
    json.forEach(w -> got.add(List.of(w.get("model_key"), w.get("end_example"))));
    assertEquals(windows.size(), json.size());
    assertEquals(expected, got);

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> drifts = (List<Map<String, Object>>) m.get("drift_events");
    java.util.Set<List<Object>> expectedDrifts = new java.util.HashSet<>();
    for (long[] w : windows) {
      String key = w[0] == 0 ? "a" : "b";
      expectedDrifts.add(List.of(key, learnedAt.get(key).get(w[2]), w[2]));
    }
    java.util.Set<List<Object>> gotDrifts = new java.util.HashSet<>();
    drifts.forEach(d -> gotDrifts.add(List.of(d.get("model_key"), d.get("example"),
        d.get("model_step"))));
    assertEquals(expectedDrifts, gotDrifts);
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
