package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import io.gradflow.jobs.kafka.AccumulatorTable;
import io.gradflow.jobs.kafka.DeadLetter;
import io.gradflow.jobs.kafka.DeadLetterAccumulator;
import io.gradflow.jobs.kafka.InputAccumulator;
import io.gradflow.jobs.kafka.InputPositions;
import io.gradflow.jobs.kafka.InputPositions.Loss;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The console's lines from accumulator values, as the job would report them. */
class TrainConsoleTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private TrainConsole console(boolean quiet, boolean probabilities) {
    return new TrainConsole(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), quiet, probabilities, "examples");
  }

  private static Map<String, Object> accumulators(int models, double logLoss) {
    return accumulators(models, logLoss, 1000);
  }

  private static Map<String, Object> accumulators(int models, double logLoss, int examples) {
    return accumulators(models, logLoss, examples, 0.6);
  }

  private static Map<String, Object> accumulators(int models, double logLoss, int examples,
      double baseRateLogLoss) {
    InputAccumulator input = new InputAccumulator();
    for (int i = 0; i < examples; i++) {
      input.add("examples", 0, i);
    }
    input.add("labels", 0, 0);
    DeadLetterAccumulator dead = new DeadLetterAccumulator();
    for (int i = 0; i < 3; i++) {
      dead.add(new DeadLetter("LABEL_OUT_OF_DOMAIN", "label 4.0 is outside [0, 1]", "examples",
          0, 1000 + i, 0, null, null));
    }
    ProgressTaps.PredictionCounts predictions = new ProgressTaps.PredictionCounts();
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    for (int m = 0; m < models; m++) {
      for (int i = 0; i < 10; i++) {
        // Eight labeled examples, of which one has importance weight 0: scored, not learned.
        predictions.add(new Scored("x" + i, "m" + m, i, 0.5, 0, i < 8 ? 1f : Float.NaN, i < 7));
      }
      MetricsEvent e = new MetricsEvent();
      e.modelKey = "m" + m;
      e.windowCount = 8;
      e.windowWeight = 8;
      e.logLoss = logLoss + m * 0.01;
      e.baseRateLogLoss = baseRateLogLoss;
      e.auc = 0.75;
      e.rmse = 0.5;
      e.modelStep = 8;
      metrics.add(e);
    }
    Map<String, Object> a = new HashMap<>();
    a.put(InputAccumulator.NAME, input.getLocalValue());
    a.put(DeadLetterAccumulator.NAME, dead.getLocalValue());
    a.put(ProgressTaps.PREDICTIONS, predictions.getLocalValue());
    a.put(ProgressTaps.METRICS, metrics.getLocalValue());
    return a;
  }

  @Test
  void progressCountsTheExamplesTopicAndAlertsOncePerReason() {
    TrainConsole c = console(false, true);
    c.progress(accumulators(1, 0.5), 2);
    c.progress(accumulators(1, 0.5), 4);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("[2s] examples 1,000 (500/s) | log loss 0.5000 (base rate 0.6000)"
        + " | AUC 0.7500 | dead letters 3"), e);
    assertEquals(1, e.split("dead letter: LABEL_OUT_OF_DOMAIN at examples-0@1000", -1).length - 1,
        e);
    assertTrue(e.contains("model.loss") && e.contains("--label-threshold"), e);
  }

  @Test
  void progressShowsTheRateSinceThePreviousLineAndTheSummaryTheAverage() {
    TrainConsole c = console(false, true);
    c.progress(accumulators(1, 0.5, 1000), 2);
    c.progress(accumulators(1, 0.5, 4000), 4);
    c.progress(accumulators(1, 0.5, 4000), 9); // nothing arrives: 0/s, not the falling average
    c.progress(accumulators(1, 0.5, 300), 10); // the job restarted: the counts start again
    c.progress(accumulators(1, 0.5, 500), 12);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("[2s] examples 1,000 (500/s) |"), e);
    assertTrue(e.contains("[4s] examples 4,000 (1,500/s) |"), e);
    assertTrue(e.contains("[9s] examples 4,000 (0/s) |"), e);
    assertTrue(e.contains("[10s] examples 300 (counting again after a restart) |"), e);
    assertTrue(e.contains("[12s] examples 500 (100/s) |"), e);
    c.summary(accumulators(1, 0.5, 4000), 16, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("examples read   4,000 from examples (250/s on average)\n"), o);
  }

  private static Map<String, Object> attempt(Map<String, Object> accumulators, int attempt) {
    accumulators.put(InputAccumulator.ATTEMPT, attempt);
    return accumulators;
  }

  /**
   * A restart whose new attempt passed the previous line's count within one progress interval:
   * the count rose, but the attempt number says the counts started again, so the line gives no
   * rate (before, it gave (1,500 - 1,000) / 2 s = 250/s, a rate no one measured). The lines
   * after it, of the same attempt, have their rate again; a snapshot without the attempt number
   * (no decode task has reported yet) is judged by its count.
   */
  @Test
  void aRestartThatPassedThePreviousCountGivesNoRate() {
    TrainConsole c = console(false, true);
    c.progress(attempt(accumulators(1, 0.5, 1000), 0), 2);
    c.progress(attempt(accumulators(1, 0.5, 1500), 1), 4); // restarted, already past 1,000
    c.progress(attempt(accumulators(1, 0.5, 2500), 1), 6);
    c.progress(accumulators(1, 0.5, 0), 8); // restarted again: nothing reported yet
    c.progress(attempt(accumulators(1, 0.5, 400), 2), 10);
    c.progress(attempt(accumulators(1, 0.5, 800), 2), 12);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("[2s] examples 1,000 (500/s) |"), e);
    assertTrue(e.contains("[4s] examples 1,500 (counting again after a restart) |"), e);
    assertTrue(e.contains("[6s] examples 2,500 (500/s) |"), e);
    assertTrue(e.contains("[8s] examples 0 (counting again after a restart) |"), e);
    assertTrue(e.contains("[10s] examples 400 (counting again after a restart) |"), e);
    assertTrue(e.contains("[12s] examples 800 (200/s) |"), e);
  }

  /**
   * {@code accumulators} with the metrics in {@code columns}: each a column of this release's
   * layout, or another release's (valued 42).
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> metricsIn(Map<String, Object> accumulators,
      List<String> columns) {
    AccumulatorTable<double[]> table =
        (AccumulatorTable<double[]>) accumulators.get(ProgressTaps.METRICS);
    AccumulatorTable<double[]> other = new AccumulatorTable<>(columns);
    table.forEach((key, row) -> {
      double[] r = new double[columns.size()];
      for (int i = 0; i < r.length; i++) {
        int at = table.columns().indexOf(columns.get(i));
        r[i] = at >= 0 ? row[at] : 42;
      }
      other.put(key, r);
    });
    Map<String, Object> copy = new HashMap<>(accumulators);
    copy.put(ProgressTaps.METRICS, other);
    return copy;
  }

  /** What a console prints (progress lines, then the summary) for {@code accumulators}. */
  private static String printed(Map<String, Object> accumulators) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    TrainConsole c = new TrainConsole(new PrintStream(o, true, StandardCharsets.UTF_8),
        new PrintStream(e, true, StandardCharsets.UTF_8), false, true, "examples");
    c.progress(accumulators, 2);
    c.summary(accumulators, 4, null, TrainConsole.Ending.FINISHED);
    return o.toString(StandardCharsets.UTF_8) + e.toString(StandardCharsets.UTF_8);
  }

  /**
   * The metrics accumulator of a job of another release is read by its columns' names, not by
   * their positions: columns in another order and one this release does not know print what the
   * same values print in this release's layout; a layout without {@code lastEce} (before
   * 2026-12-02, when it was inserted at index 7) prints the window's ECE as unknown and every
   * other figure right. Before, the console read fixed positions: the older layout's last step,
   * reports and drift counts shifted by one.
   */
  @Test
  @SuppressWarnings("unchecked")
  void metricsOfAnotherReleaseAreReadByColumnName() {
    Map<String, Object> current = accumulators(2, 0.5);
    List<String> reordered = new ArrayList<>(ProgressTaps.ModelMetrics.COLUMNS);
    java.util.Collections.reverse(reordered);
    reordered.add(3, "aColumnOfAnotherRelease");
    String expected = printed(current);
    assertEquals(expected, printed(metricsIn(current, reordered)));

    List<String> older = new ArrayList<>(ProgressTaps.ModelMetrics.COLUMNS);
    older.remove("lastEce");
    Map<String, Object> withoutEce = metricsIn(current, ProgressTaps.ModelMetrics.COLUMNS);
    ((Map<String, double[]>) withoutEce.get(ProgressTaps.METRICS)).values()
        .forEach(row -> row[ProgressTaps.ModelMetrics.LAST_ECE] = Double.NaN);
    assertEquals(printed(withoutEce), printed(metricsIn(current, older)));
  }

  /** The first line of a job that restarted before it gives no rate since the start either. */
  @Test
  void aFirstLineAfterARestartGivesNoRate() {
    TrainConsole c = console(false, true);
    c.progress(attempt(accumulators(1, 0.5, 1000), 1), 2);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("[2s] examples 1,000 (counting again after a restart) |"), e);
  }

  @Test
  void progressEndsWithTheNewestCheckpoint() {
    console(false, true).progress(accumulators(1, 0.5), 2, "checkpoint 12");
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("| dead letters 3 | checkpoint 12\n"), e);
  }

  /** A report of model m0's window of 8 examples at a model step: log loss 0.5, base 0.6. */
  private static MetricsEvent window(long step) {
    MetricsEvent e = new MetricsEvent();
    e.modelKey = "m0";
    e.windowCount = 8;
    e.windowWeight = 8;
    e.logLoss = 0.5;
    e.baseRateLogLoss = 0.6;
    e.modelStep = step;
    return e;
  }

  @Test
  void theSummarySaysEachModelsRowsAndEachPageCache() {
    Map<String, Object> a = accumulators(1, 0.5);
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    for (long step : new long[] {8, 16}) {
      MetricsEvent e = window(step);
      e.rows = step == 16 ? 394 : 1;
      e.rowsExpired = step == 16 ? 1174 : 1;
      e.rowsRefused = step == 16 ? 4854 : 1;
      metrics.add(e);
    }
    a.put(ProgressTaps.METRICS, metrics.getLocalValue());
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "hits.", 970L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "misses.", 30L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "evictions.", 12L);
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("; rows 394 live, 1,174 expired, 4,854 sightings refused\n"), o);
    assertTrue(o.contains("  page cache      hit rate 97.0% of 1,000 lookups, 12 evictions"
        + " (raise state.cache_memory if evictions are many)\n"), o);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "pages-min.", 12_685L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "pages-max.", 12_685L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "page-bytes.", 8_464L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "hits.adam", 1L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "misses.adam", 3L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "pages-min.adam", 4_000L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "pages-max.adam", 4_096L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "page-bytes.adam", 8_464L);
    assertEquals(List.of("  page cache      hit rate 97.0% of 1,000 lookups, 12 evictions;"
        + " room for 12,685 pages (102.4 MB) per subtask from state.cache_memory 0.1 of the heap"
        + " (raise state.cache_memory if evictions are many)",
        "  page cache      adam: hit rate 25.0% of 4 lookups, 0 evictions; room for 4,000-4,096"
        + " pages"
        + " (33.1 MB) per subtask from state.cache_memory 0.1 of the heap"
        + " (raise state.cache_memory if evictions are many)"),
        TrainConsole.pageCaches(a, io.gradflow.state.CacheSize.DEFAULT));
    assertEquals("  page cache      hit rate 97.0% of 1,000 lookups, 12 evictions; room for"
        + " 12,685 pages (102.4 MB) per subtask from state.cache_pages (raise state.cache_pages if evictions"
        + " are many)", TrainConsole.pageCaches(a, io.gradflow.state.CacheSize.ofPages(12_685))
        .get(0));
  }

  /**
   * The model line gives the last window's expected calibration error beside its AUC, also when
   * that window came from another subtask's accumulator (merged), and nothing without bins.
   */
  @Test
  void theModelLineShowsTheLastWindowsExpectedCalibrationError() {
    Map<String, Object> a = accumulators(1, 0.5);
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    ProgressTaps.ModelMetrics other = new ProgressTaps.ModelMetrics();
    for (long step : new long[] {8, 16}) {
      MetricsEvent e = window(step);
      e.auc = 0.75;
      e.expectedCalibrationError = step == 16 ? 0.0123 : 0.3;
      (step == 16 ? other : metrics).add(e);
    }
    metrics.merge(other);
    a.put(ProgressTaps.METRICS, metrics.getLocalValue());
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("model m0: scored 10, learned 7; log loss 0.5000, base rate 0.6000"
        + " (16.7% lower); AUC 0.7500, ECE 0.0123 (last window, 8 examples)"), o);
  }

  @Test
  void aBaseRateOfLogLossZeroGivesNoRatio() {
    console(false, true).summary(accumulators(1, 0.0002, 1000, 0.0), 10, null,
        TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("model m0: scored 10, learned 7; log loss 0.0002, base rate 0.0000"
        + " (no ratio: the base rate's log loss is 0); AUC 0.7500 (last window, 8 examples)"), o);
  }

  @Test
  void aStopBetweenReportsNamesTheLearnedExamplesNoReportHolds() {
    // A model restored at step 10,000 learns 2,998 more; its reports came at every 500 steps up
    // to 12,500: a stop with a savepoint writes no partial report, so the figures end there.
    Map<String, Object> a = accumulators(1, 0.5);
    ProgressTaps.PredictionCounts predictions = new ProgressTaps.PredictionCounts();
    for (int i = 1; i <= 2998; i++) {
      predictions.add(new Scored("x" + i, "m0", 10_000 + i, 0.5, 0, 1f, true));
    }
    // a zero-weight example after them: scored at the same step, not learned
    predictions.add(new Scored("w", "m0", 12_998, 0.5, 0, 1f, false));
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    for (int r = 1; r <= 5; r++) {
      MetricsEvent e = new MetricsEvent();
      e.modelKey = "m0";
      e.windowCount = 500;
      e.windowWeight = 500;
      e.logLoss = 0.5;
      e.baseRateLogLoss = 0.6;
      e.auc = 0.75;
      e.modelStep = 10_000 + 500L * r;
      metrics.add(e);
    }
    a.put(ProgressTaps.PREDICTIONS, predictions.getLocalValue());
    a.put(ProgressTaps.METRICS, metrics.getLocalValue());
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED_WITH_SAVEPOINT);
    String stopped = out.toString(StandardCharsets.UTF_8);
    assertTrue(stopped.contains("model m0: scored 2,999, learned 2,998; figures up to model step"
        + " 12,500, the last metrics report (498 learned after it); log loss 0.5000, base rate"
        + " 0.6000 (16.7% lower); AUC 0.7500 (last window, 500 examples)"), stopped);
    assertTrue(stopped.contains("  note            a model reports its metrics every"
        + " metrics.every examples, and a stopped run writes no partial report"), stopped);
    out.reset();
    // The same counts from a run whose end wrote the last, partial report: nothing to name.
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String ended = out.toString(StandardCharsets.UTF_8);
    assertTrue(ended.contains("model m0: scored 2,999, learned 2,998; log loss 0.5000, base rate"),
        ended);
    assertFalse(ended.contains("note"), ended);
  }

  @Test
  void anAucOfOneClassIsUndefinedNotNaN() {
    Map<String, Object> a = accumulators(1, 0.5);
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    MetricsEvent e = new MetricsEvent();
    e.modelKey = "m0";
    e.windowCount = 8;
    e.windowWeight = 8;
    e.logLoss = 0.45;
    e.baseRateLogLoss = 0.6;
    e.auc = Double.NaN;
    metrics.add(e);
    a.put(ProgressTaps.METRICS, metrics.getLocalValue());
    TrainConsole c = console(false, true);
    c.progress(a, 2);
    c.summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("; AUC undefined (one class) (last window, 8 examples)"), o);
    assertFalse(o.contains("NaN"), o);
    String e2 = err.toString(StandardCharsets.UTF_8);
    assertTrue(e2.contains("| AUC undefined (one class) |"), e2);
  }

  @Test
  void theSummaryListsFewModelsAndSumsMany() {
    console(false, true).summary(accumulators(2, 0.5), 10, "deleted x",
        TrainConsole.Ending.FINISHED);
    String few = out.toString(StandardCharsets.UTF_8);
    assertTrue(few.contains("examples read   1,000 from examples"), few);
    assertTrue(few.contains("predictions     20 scored, 14 learned (2 model keys)"), few);
    assertTrue(few.contains("dead letters    3: LABEL_OUT_OF_DOMAIN 3"), few);
    assertTrue(few.contains("model m0: scored 10, learned 7; log loss 0.5000, base rate 0.6000"
        + " (16.7% lower); AUC 0.7500 (last window, 8 examples)"), few);
    assertTrue(few.contains("checkpoints     deleted x"), few);
    out.reset();
    console(false, true).summary(accumulators(12, 0.5), 10, null, TrainConsole.Ending.FINISHED);
    String many = out.toString(StandardCharsets.UTF_8);
    assertTrue(many.contains("12 models: log loss 0.5550 (base rate 0.6000), AUC 0.7500 (the AUC:"
        + " the models' last windows', each weighted by its examples)"), many);
    assertTrue(many.contains("best  m0:") && many.contains("worst m11:"), many);
    assertFalse(many.contains("model m3:"), many);
  }

  @Test
  void aStopOfManyModelsCountsTheExamplesAfterTheirLastReportsOnTheTotalsLine() {
    Map<String, Object> a = accumulators(12, 0.5);
    ProgressTaps.PredictionCounts predictions = new ProgressTaps.PredictionCounts();
    for (int m = 0; m < 12; m++) {
      for (int i = 0; i < 10; i++) {
        predictions.add(new Scored("x" + i, "m" + m, i, 0.5, 0, 1f, i < 7));
      }
    }
    // m3 (neither the best nor the worst) learns 12 more after its report at step 8, m5 one
    for (int step = 9; step <= 20; step++) {
      predictions.add(new Scored("y" + step, "m3", step, 0.5, 0, 1f, true));
    }
    predictions.add(new Scored("z", "m5", 9, 0.5, 0, 1f, true));
    a.put(ProgressTaps.PREDICTIONS, predictions.getLocalValue());
    console(false, true).summary(a, 10, null, TrainConsole.Ending.STOPPED);
    String stopped = out.toString(StandardCharsets.UTF_8);
    assertTrue(stopped.contains("12 models: figures up to each model's last metrics report (13"
        + " learned after them); log loss 0.5550"), stopped);
    assertTrue(stopped.contains("  note            a model reports its metrics"), stopped);
    out.reset();
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String ended = out.toString(StandardCharsets.UTF_8);
    assertTrue(ended.contains("12 models: log loss 0.5550"), ended);
    assertFalse(ended.contains("note"), ended);
  }

  /**
   * A race over six markets (trial 23 F2): a line per candidate over its keys; best and worst
   * ranked by log loss against each key's base rate, not raw log loss (markets of different click
   * rates: raw, m0#fm would be best only because m0's base rate is lowest).
   */
  @Test
  void aRaceOverManyKeysGivesALinePerCandidateAndRanksAgainstTheBaseRate() {
    Map<String, Object> a = accumulators(1, 0.5);
    ProgressTaps.PredictionCounts predictions = new ProgressTaps.PredictionCounts();
    ProgressTaps.ModelMetrics metrics = new ProgressTaps.ModelMetrics();
    for (int m = 0; m < 6; m++) {
      double base = 0.2 + 0.05 * m;
      for (String candidate : List.of("lr", "fm")) {
        String key = "m" + m + "#" + candidate;
        predictions.add(new Scored("x", key, 1, 0.5, 0, 1f, true));
        MetricsEvent e = new MetricsEvent();
        e.modelKey = key;
        e.windowCount = 8;
        e.windowWeight = 8;
        e.baseRateLogLoss = base;
        e.logLoss = base * (candidate.equals("lr") ? (m == 0 ? 1.02 : 0.9)
            : (m == 5 ? 0.8 : 0.95));
        e.auc = 0.7;
        e.modelStep = 8;
        metrics.add(e);
      }
    }
    a.put(ProgressTaps.PREDICTIONS, predictions.getLocalValue());
    a.put(ProgressTaps.METRICS, metrics.getLocalValue());
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "hits.lr", 10L);
    a.put(io.gradflow.flink.TrainerOperator.PAGE_CACHE + "hits.fm", 10L);
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("  best  m5#fm: "), o);
    assertTrue(o.contains("  worst m0#lr: "), o);
    assertTrue(o.contains("  candidate fm 6 model keys; log loss 0.2975, base rate 0.3250"
        + " (8.5% lower)"), o);
    assertTrue(o.contains("  candidate lr 6 model keys; log loss 0.2965, base rate 0.3250"
        + " (8.8% lower)"), o);
  }

  /** Trial 23 F11: with delayed labels the summary says whose figures they are. */
  @Test
  void delayedLabelsNoteThatTheFiguresAreTheLearnedPredictions() {
    TrainConsole c = console(false, true);
    c.delayedLabels();
    c.summary(accumulators(1, 0.5), 10, null, TrainConsole.Ending.FINISHED);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains(TrainConsole.DELAYED_NOTE));
    out.reset();
    console(false, true).summary(accumulators(1, 0.5), 10, null, TrainConsole.Ending.FINISHED);
    assertFalse(out.toString(StandardCharsets.UTF_8).contains("labels.delayed"));
  }

  /** Trial 23 L6, L7, L11: a label's undecodable record, a level log loss, a key with a blank. */
  @Test
  void labelsAdviceLevelLogLossAndBlankKeysReadRight() {
    TrainConsole c = console(false, true);
    assertTrue(c.advice("UNDECODABLE", "clicks").contains("not a Gradflow Label"));
    assertTrue(c.advice("UNDECODABLE", "examples").contains("not a Gradflow Example"));
    assertEquals("fr", TrainConsole.shown("fr"));
    assertEquals("'fr '", TrainConsole.shown("fr "));
    assertEquals("''", TrainConsole.shown(""));
    c.summary(accumulators(1, 0.6), 10, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("log loss 0.6000, base rate 0.6000 (level with it, within 0.05%)"), o);
  }

  /** Trial 23 L9: the labels line adds up, with the labels still waiting for their example. */
  @Test
  void theLabelsLineCountsLabelsWaitingForTheirExample() {
    String line = console(false, true).describe(new TrainConsole.LabelCounts(2_845, 2_170, 0, 0,
        0, 0));
    assertTrue(line.endsWith(", 0 orphans (no example with their id), 675 waiting for their"
        + " example (in the join's state, which a checkpoint or savepoint keeps)"), line);
    assertFalse(console(false, true).describe(new TrainConsole.LabelCounts(10, 8, 0, 0, 1, 1))
        .contains("waiting for their example"));
  }

  /** Review 23 L1: a model of one class (no ratio to its base rate) is not always "worst". */
  @Test
  @SuppressWarnings("unchecked")
  void aModelWithoutARatioIsNotRanked() {
    Map<String, Object> a = accumulators(12, 0.5);
    ((Map<String, double[]>) a.get(ProgressTaps.METRICS)).get("m3")[
        ProgressTaps.ModelMetrics.BASE_RATE_SUM] = 0;
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("  best  m0: ") && o.contains("  worst m11: "), o);
  }

  @Test
  void aModelThatLearnedBeforeItsFirstReportSaysWhy() {
    Map<String, Object> a = accumulators(1, 0.5);
    a.put(ProgressTaps.METRICS, new ProgressTaps.ModelMetrics().getLocalValue());
    console(false, true).summary(a, 10, null, TrainConsole.Ending.FINISHED);
    String s = out.toString(StandardCharsets.UTF_8);
    assertTrue(s.contains("model m0: scored 10, learned 7; no metrics reported (a model reports"
        + " every metrics.every learned examples; lower it for a short run)"), s);
  }

  @Test
  void squaredLossShowsRmse() {
    TrainConsole c = console(false, false);
    c.progress(accumulators(1, Double.NaN), 1);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("| RMSE 0.5000 |"), err.toString());
  }

  @Test
  void quietKeepsWarningsOnly() {
    TrainConsole c = console(true, true);
    c.fact("job id 1");
    c.progress(accumulators(1, 0.5), 1);
    c.summary(accumulators(1, 0.5), 1, null, TrainConsole.Ending.FINISHED);
    assertTrue(c.losses(List.of(new Loss(new TopicPartition("examples", 0), 0, 400, 400))));
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("dead letter: LABEL_OUT_OF_DOMAIN"), e);
    assertTrue(e.contains("DATA LOSS: examples-0: 400 records from offset 0"), e);
    assertFalse(e.contains("/s) |"), e);
  }

  @Test
  void everyReasonHasItsOwnAdviceNamingTheSetting() {
    assertTrue(TrainConsole.advice("VALUE_OUT_OF_RANGE").contains("input.max_abs_value"));
    assertTrue(TrainConsole.advice("EVENT_TIME_OUT_OF_RANGE")
        .contains("input.max_event_time_ahead"));
    assertTrue(TrainConsole.advice("LABEL_OUT_OF_DOMAIN").contains("model.loss"));
    for (io.gradflow.jobs.kafka.DeadLetterReason r
        : io.gradflow.jobs.kafka.DeadLetterReason.values()) {
      assertFalse(TrainConsole.advice(r.name()).startsWith("see the records"),
          r + " falls to the generic advice");
    }
  }

  /** The label join's accumulators as {@link LabelJoinFunction} names them. */
  private static Map<String, Object> withLabels(Map<String, Object> a, long read, long joined,
      long defaulted, long dropped, long orphans) {
    a.put(LabelJoinFunction.LABELS_READ, read);
    a.put(LabelJoinFunction.JOINED, joined);
    a.put(LabelJoinFunction.DEFAULTED, defaulted);
    a.put(LabelJoinFunction.DROPPED, dropped);
    a.put(LabelJoinFunction.ORPHANS, orphans);
    return a;
  }

  private static io.gradflow.jobs.config.TrainConfig.LabelSettings delayed(
      io.gradflow.jobs.config.TrainConfig.OnTimeout onTimeout) {
    return new io.gradflow.jobs.config.TrainConfig.LabelSettings(true,
        java.time.Duration.ofMinutes(10), onTimeout, 0f);
  }

  @Test
  void summaryAndProgressSayWhatTheLabelJoinDid() {
    TrainConsole c = console(false, true);
    c.labels(delayed(io.gradflow.jobs.config.TrainConfig.OnTimeout.DEFAULT_LABEL));
    Map<String, Object> a = withLabels(accumulators(1, 0.5), 443, 440, 40, 0, 3);
    c.progress(a, 2);
    c.summary(a, 3, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("\n  labels          443 read: 440 joined, 40 examples learned with"
        + " the default label 0.0 (no label within labels.timeout 10m), 3 orphans (no example"
        + " with their id)\n"), o);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains(" | dead letters 3 | labels 440 joined, 40 timed out\n"), e);
    assertFalse(e.contains("warning"), e);
  }

  @Test
  void droppedExamplesAreNamedAsDropped() {
    TrainConsole c = console(false, true);
    c.labels(delayed(io.gradflow.jobs.config.TrainConfig.OnTimeout.DROP));
    c.summary(withLabels(accumulators(1, 0.5), 1, 1, 0, 1, 0), 3, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("  labels          1 read: 1 joined, 1 example dropped (no label"
        + " within labels.timeout 10m, labels.on_timeout: drop), 0 orphans (no example with"
        + " their id)\n"), o);
  }

  /** With on_timeout: drop and every label joined, nothing is said to be default-labeled. */
  @Test
  void droppingWithNothingTimedOutSaysNoDefaultLabel() {
    TrainConsole c = console(false, true);
    c.labels(delayed(io.gradflow.jobs.config.TrainConfig.OnTimeout.DROP));
    c.summary(withLabels(accumulators(1, 0.5), 2, 2, 0, 0, 0), 3, null, TrainConsole.Ending.FINISHED);
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("  labels          2 read: 2 joined, 0 examples dropped (no label"
        + " within labels.timeout 10m, labels.on_timeout: drop), 0 orphans"), o);
    assertFalse(o.contains("default label"), o);
  }

  /** evaluate reads no labels topic: no counts of it, and no warning that none was read. */
  @Test
  void withoutALabelsTopicNeitherCountsNorWarning() {
    TrainConsole c = console(false, true);
    c.noLabelsTopic();
    Map<String, Object> a = withLabels(accumulators(1, 0.5), 0, 0, 40, 0, 0);
    c.progress(a, 2);
    c.summary(a, 3, null, TrainConsole.Ending.FINISHED);
    assertFalse(out.toString(StandardCharsets.UTF_8).contains("  labels   "));
    String e = err.toString(StandardCharsets.UTF_8);
    assertFalse(e.contains("| labels ") || e.contains("warning"), e);
  }

  @Test
  void withoutALabelJoinThereIsNoLabelsLine() {
    TrainConsole c = console(false, true);
    c.progress(accumulators(1, 0.5), 2);
    c.summary(accumulators(1, 0.5), 3, null, TrainConsole.Ending.FINISHED);
    assertFalse(out.toString(StandardCharsets.UTF_8).contains("  labels   "));
    assertFalse(err.toString(StandardCharsets.UTF_8).contains("| labels "));
  }

  /** Labels whose example_id never matches: every delayed example learned as 0, said loudly. */
  @Test
  void warnsWhenMostDelayedExamplesTimedOutWithoutALabel() {
    TrainConsole c = console(true, true); // warnings print even with --quiet
    c.summary(withLabels(accumulators(1, 0.5), 500, 2, 498, 0, 498), 3, null, TrainConsole.Ending.FINISHED);
    c.summary(withLabels(accumulators(1, 0.5), 500, 2, 498, 0, 498), 4, null, TrainConsole.Ending.FINISHED);
    assertEquals("gradflow train: warning: 498 of 500 delayed examples got no label within"
        + " labels.timeout (learned with the default label); 500 labels read, 498 of them with"
        + " no example of their id: do the labels' example_id values match the examples'"
        + " exactly, and do labels come within labels.timeout of their example's event time?\n",
        err.toString(StandardCharsets.UTF_8), "once");
    assertEquals("", out.toString(StandardCharsets.UTF_8));

    err.reset();
    console(true, true).summary(withLabels(accumulators(1, 0.5), 0, 0, 0, 7, 0), 3, null, TrainConsole.Ending.FINISHED);
    assertEquals("gradflow train: warning: 7 of 7 delayed examples got no label within"
        + " labels.timeout (dropped); no label was read at all: is anything writing the labels"
        + " topic (kafka.topics.labels)?\n", err.toString(StandardCharsets.UTF_8));

    err.reset(); // half or fewer timed out: no warning
    console(true, true).summary(withLabels(accumulators(1, 0.5), 10, 5, 5, 0, 5), 3, null, TrainConsole.Ending.FINISHED);
    assertEquals("", err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void eventTimesBefore2000AreSaidOnceDuringTheRunAndInTheSummary() {
    TrainConsole c = console(true, true); // warnings print also with --quiet
    Map<String, Object> a = accumulators(1, 0.5);
    c.progress(a, 1);
    assertFalse(err.toString(StandardCharsets.UTF_8).contains("event_time"));
    io.gradflow.jobs.kafka.EarlyEventTimes early = new io.gradflow.jobs.kafka.EarlyEventTimes();
    early.add(1_733_000_000L);
    a.put(io.gradflow.jobs.kafka.EarlyEventTimes.NAME, early.getLocalValue());
    c.progress(a, 2);
    early.add(1_733_000_001L);
    a.put(io.gradflow.jobs.kafka.EarlyEventTimes.NAME, early.getLocalValue());
    c.progress(a, 3);
    String during = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, during.split("event_time before", -1).length - 1, during);
    assertTrue(during.contains("gradflow train: warning: 1 example has an event_time before"
        + " 2000-01-01 (earliest: 1733000000 = 1970-01-21T01:23:20Z); event_time is in milliseconds"
        + " since the epoch: a producer writing seconds?"), during);
    c.summary(a, 4, null, TrainConsole.Ending.FINISHED);
    String end = err.toString(StandardCharsets.UTF_8).substring(during.length());
    assertTrue(end.contains("gradflow train: warning: 2 examples have an event_time before"
        + " 2000-01-01 (earliest: 1733000000"), end);
  }

  /** {@code a} with one example of event time {@code millis} before 2000 counted. */
  private static Map<String, Object> withEarlyEventTime(Map<String, Object> a, long millis) {
    io.gradflow.jobs.kafka.EarlyEventTimes early = new io.gradflow.jobs.kafka.EarlyEventTimes();
    early.add(millis);
    a.put(io.gradflow.jobs.kafka.EarlyEventTimes.NAME, early.getLocalValue());
    return a;
  }

  @Test
  void evaluatesWarningOnACsvTimeColumnNamesTheEpochSecondsFlag() {
    TrainConsole c = new TrainConsole(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false, true, "ratings.csv",
        "evaluate");
    c.csvEventTimes();
    c.progress(withEarlyEventTime(accumulators(1, 0.5), 1_733_000_000L), 1);
    String warning = err.toString(StandardCharsets.UTF_8);
    assertTrue(warning.contains("a producer writing seconds?; if the file's times are epoch"
        + " seconds, give --csv-timestamp-format epoch-seconds"), warning);
  }

  @Test
  void syntheticEventTimesAreNotWarnedAbout() {
    TrainConsole c = new TrainConsole(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false, true, "file.libsvm",
        "evaluate");
    c.syntheticEventTimes();
    Map<String, Object> a = withEarlyEventTime(accumulators(1, 0.5), 0L);
    c.progress(a, 1);
    c.summary(a, 2, null, TrainConsole.Ending.FINISHED);
    assertFalse(err.toString(StandardCharsets.UTF_8).contains("event_time"), err::toString);
  }

  /**
   * A broker outage as {@code train} sees it: one line when Kafka stops answering, the progress
   * line saying since when, one line per restart (with the checkpoint and the budget), one line
   * when Kafka answers again; nothing repeated while nothing changes.
   */
  @Test
  void aBrokerOutageIsSaidWhenItBeginsAtEachRestartAndWhenItEnds() {
    TrainConsole console = console(false, true);
    console.restartAttempts(3, java.time.ZoneOffset.UTC);
    java.time.Instant t0 = java.time.Instant.parse("2026-12-02T11:52:03Z");
    console.kafka(true, t0, "broker:9092", "checkpoint 4");
    console.jobStatus("RUNNING", 0, "checkpoint 4", "broker:9092");
    assertEquals("", err.toString(StandardCharsets.UTF_8), "nothing while all is well");

    console.kafka(false, t0, "broker:9092", "checkpoint 4");
    console.kafka(false, t0.plusSeconds(5), "broker:9092", "checkpoint 4");
    console.progress(accumulators(1, 0.5), 12.0, "checkpoint 4");
    console.jobStatus("RESTARTING", 1, "checkpoint 4", "broker:9092");
    console.jobStatus("RESTARTING", 1, "checkpoint 4", "broker:9092");
    console.jobStatus("RUNNING", 1, "checkpoint 4", "broker:9092");
    console.jobStatus("RESTARTING", 2, "checkpoint 4", "broker:9092");
    console.jobStatus("RUNNING", 2, "checkpoint 4", "broker:9092");
    console.kafka(true, t0.plusSeconds(71), "broker:9092", "checkpoint 4");
    console.kafka(true, t0.plusSeconds(72), "broker:9092", "checkpoint 5");

    // the accumulators' dead letter's own lines left out
    String[] lines = err.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("gradflow train: ") || l.startsWith("[")).toArray(String[]::new);
    assertEquals(5, lines.length, String.join("\n", lines));
    assertEquals("gradflow train: Kafka unreachable at broker:9092 since 11:52:03 (newest"
        + " checkpoint 4); the job waits for the broker and restarts when a Kafka client gives"
        + " up (checkpoints.restart_attempts: 3)", lines[0]);
    assertTrue(lines[1].endsWith(" | checkpoint 4 | Kafka unreachable since 11:52:03"),
        lines[1]);
    assertEquals("gradflow train: Kafka unreachable at broker:9092 since 11:52:03; the job"
        + " restarts from checkpoint 4 (restart 1 of 3)", lines[2]);
    assertEquals("gradflow train: Kafka unreachable at broker:9092 since 11:52:03; the job"
        + " restarts from checkpoint 4 (restart 2 of 3)", lines[3]);
    assertEquals("gradflow train: Kafka at broker:9092 answers again, after 71 s unreachable"
        + " (since 11:52:03); the job is running (2 restarts in this run)", lines[4]);
  }

  /** A restart while Kafka answers names no outage; the last one the budget allows says so. */
  @Test
  void aRestartWithoutAnOutageSaysItsNumberAndTheLastOne() {
    TrainConsole console = console(true, true);
    console.restartAttempts(1, java.time.ZoneOffset.UTC);
    console.jobStatus("RESTARTING", 1, null, "broker:9092");
    console.jobStatus("RUNNING", 1, "checkpoint 2", "broker:9092");
    console.progress(accumulators(1, 0.5), 3.0, "checkpoint 2");
    assertEquals(List.of("gradflow train: the job restarts from its start (no checkpoint yet)"
        + " (restart 1 of 1, the last checkpoints.restart_attempts allows)"),
        err.toString(StandardCharsets.UTF_8).lines()
            .filter(l -> l.startsWith("gradflow train: ")).toList());
  }

  private List<String> said() {
    return err.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("gradflow train: ")).toList();
  }

  /**
   * Before its first checkpoint a restored run restarts from what it was restored from; where
   * the checkpoints cannot be seen (a cluster), the line does not claim there is none.
   */
  @Test
  void aRestartBeforeTheFirstCheckpointNamesWhatTheJobRestartsFrom() {
    TrainConsole restored = console(true, true);
    restored.restartSource(true, "the savepoint /sp/savepoint-1");
    restored.jobStatus("RESTARTING", 1, null, "broker:9092");
    TrainConsole unseen = console(true, true);
    unseen.restartSource(false, null);
    unseen.jobStatus("RESTARTING", 1, null, "broker:9092");
    TrainConsole both = console(true, true);
    both.restartSource(false, "the savepoint /sp/savepoint-1");
    both.jobStatus("RESTARTING", 1, null, "broker:9092");
    assertEquals(List.of(
        "gradflow train: the job restarts from the savepoint /sp/savepoint-1 (no checkpoint yet)"
            + " (restart 1)",
        "gradflow train: the job restarts from its newest checkpoint (restart 1)",
        "gradflow train: the job restarts from its newest checkpoint, or the savepoint"
            + " /sp/savepoint-1 before the first (restart 1)"), said());
  }

  /** With no restart allowed, a Kafka client giving up fails the job, and the line says so. */
  @Test
  void noRestartAttemptsSayTheJobFailsWhenAKafkaClientGivesUp() {
    TrainConsole none = console(true, true);
    none.restartAttempts(0, java.time.ZoneOffset.UTC);
    none.kafka(false, java.time.Instant.parse("2026-12-02T11:52:03Z"), "broker:9092", null);
    TrainConsole unknown = console(true, true);
    unknown.kafka(false, java.time.Instant.parse("2026-12-02T11:52:03Z"), "broker:9092", null);
    List<String> lines = said();
    assertEquals(2, lines.size(), String.join("\n", lines));
    assertTrue(lines.get(0).endsWith("; the job waits for the broker and fails when a Kafka"
        + " client gives up (checkpoints.restart_attempts: 0)"), lines.get(0));
    assertTrue(lines.get(1).endsWith("; the job waits for the broker and restarts when a Kafka"
        + " client gives up"), lines.get(1));
  }

  private static final org.apache.kafka.common.TopicPartition P0 =
      new org.apache.kafka.common.TopicPartition("examples", 0);

  private static TrainCommand.LogStarts unreachable() {
    return partitions -> {
      throw new io.gradflow.jobs.kafka.KafkaPreflight.Unreachable("no Kafka broker answered");
    };
  }

  /**
   * A restored run (no loss judged: its positions are inside the savepoint) still asks Kafka, so
   * it says when Kafka stops answering; records deleted below its start are not called lost.
   */
  @Test
  void aRestoredRunStillSaysWhenKafkaStopsAnswering() {
    TrainConsole console = console(true, true);
    List<io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent> none = List.of();
    InputPositions.Watch watch = new InputPositions.Watch(none);
    assertFalse(TrainCommand.checkLoss(console, unreachable(), watch, List.of(P0), false,
        Map.of(), false, "broker:9092", null));
    assertFalse(TrainCommand.checkLoss(console, partitions -> Map.of(P0, 500L), watch,
        List.of(P0), false, Map.of(), true, "broker:9092", null));
    List<String> lines = said();
    assertEquals(2, lines.size(), String.join("\n", lines));
    assertTrue(lines.get(0).startsWith("gradflow train: Kafka unreachable at broker:9092 since "),
        lines.get(0));
    assertTrue(lines.get(1).startsWith("gradflow train: Kafka at broker:9092 answers again"),
        lines.get(1));
  }

  /**
   * A broker that answers with a refusal ends an outage: a later failure must not be called an
   * outage ("Kafka unreachable ... start the broker again") when Kafka answered meanwhile.
   */
  @Test
  void aRefusingBrokerEndsAnOutage() {
    TrainConsole console = console(true, true);
    InputPositions.Watch watch = new InputPositions.Watch(List.of());
    TrainCommand.checkLoss(console, unreachable(), watch, List.of(P0), true, Map.of(), false,
        "broker:9092", null);
    assertTrue(console.kafkaDown());
    TrainCommand.checkLoss(console, partitions -> {
      throw new io.gradflow.jobs.cli.UserException("not authorized to describe examples");
    }, watch, List.of(P0), true, Map.of(), false, "broker:9092", null);
    assertFalse(console.kafkaDown());
  }

  /**
   * After the job ended, a broker that does not answer is a loss check not made (as before
   * outages were reported), not the start of an outage.
   */
  @Test
  void anUnansweredLookAfterTheEndSaysDataLossIsNotChecked() {
    TrainConsole console = console(true, true);
    InputPositions.Watch watch = new InputPositions.Watch(List.of(
        new io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent(P0, 0, 100, 0, 100)));
    assertFalse(TrainCommand.checkLoss(console, unreachable(), watch, List.of(P0), true,
        Map.of(), true, "broker:9092", null));
    assertEquals(List.of("gradflow train: could not read the log start offsets (no Kafka broker"
        + " answered); data loss is not checked this time"), said());
    assertFalse(console.kafkaDown());
  }

  /**
   * {@link TrainCommand.StatusWatch} counts a restart each time it sees RESTARTING after another
   * status: RUNNING, RESTARTING, RUNNING, RESTARTING (then RUNNING) are 2 restarts.
   */
  @Test
  void theStatusWatchCountsEachRestart() throws Exception {
    java.util.Iterator<String> statuses =
        List.of("RUNNING", "RESTARTING", "RUNNING", "RESTARTING").iterator();
    java.util.concurrent.CountDownLatch seen = new java.util.concurrent.CountDownLatch(6);
    org.apache.flink.core.execution.JobClient job = (org.apache.flink.core.execution.JobClient)
        java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {org.apache.flink.core.execution.JobClient.class}, (proxy, m, a) -> {
              if (!m.getName().equals("getJobStatus")) {
                throw new UnsupportedOperationException(m.getName());
              }
              String next;
              synchronized (statuses) {
                next = statuses.hasNext() ? statuses.next() : "RUNNING";
              }
              seen.countDown();
              return java.util.concurrent.CompletableFuture.completedFuture(
                  org.apache.flink.api.common.JobStatus.valueOf(next));
            });
    TrainConsole console = console(true, true);
    try (TrainCommand.StatusWatch watch = new TrainCommand.StatusWatch(job)) {
      assertTrue(seen.await(30, java.util.concurrent.TimeUnit.SECONDS), "the watch looked");
      watch.report(console, "checkpoint 3", "broker:9092");
    }
    assertEquals(List.of("gradflow train: the job restarts from checkpoint 3 (restart 2)"),
        said());
  }

  /** Examples read, every one a dead letter ({@code count} of {@code reason}), none scored. */
  private static Map<String, Object> allDeadLetters(String reason, int count, String... more) {
    InputAccumulator input = new InputAccumulator();
    DeadLetterAccumulator dead = new DeadLetterAccumulator();
    for (int i = 0; i < count + more.length; i++) {
      input.add("examples", 0, i);
      dead.add(new DeadLetter(i < count ? reason : more[i - count], "detail", "examples", 0, i,
          0, null, null));
    }
    Map<String, Object> a = new HashMap<>();
    a.put(InputAccumulator.NAME, input.getLocalValue());
    a.put(DeadLetterAccumulator.NAME, dead.getLocalValue());
    a.put(ProgressTaps.PREDICTIONS, new ProgressTaps.PredictionCounts().getLocalValue());
    return a;
  }

  /** Trial M3: the closing line of a run whose every example was refused. */
  @Test
  void aRunThatScoredNothingBecauseEveryExampleWasRefusedSaysWhyAndWhatToDo() {
    TrainConsole c = console(false, true);
    assertEquals("nothing was scored or learned: every example read from kafka.topics.examples"
        + " ('examples') was a dead letter (DENSE_WIDTH 10,000; what to do: an example does not"
        + " have the model's model.inputs dense values: check the producer's dense columns"
        + " against model.inputs)", c.nothingScored(allDeadLetters("DENSE_WIDTH", 10_000)));
    Map<String, Object> two = allDeadLetters("DENSE_WIDTH", 4, "UNDECODABLE");
    assertTrue(c.nothingScored(two).endsWith("was a dead letter (DENSE_WIDTH 4, UNDECODABLE 1;"
        + " what to do: see each reason's dead letter line above)"), c.nothingScored(two));
    // Something scored, or nothing read: not this line.
    assertEquals(null, c.nothingScored(accumulators(1, 0.5)));
    // A live run stopped with examples still in flight: 1,000 read, one refused, none scored yet.
    Map<String, Object> inFlight = allDeadLetters("DENSE_WIDTH", 1);
    InputAccumulator read = new InputAccumulator();
    for (int i = 0; i < 1_000; i++) {
      read.add("examples", 0, i);
    }
    inFlight.put(InputAccumulator.NAME, read.getLocalValue());
    assertEquals(null, c.nothingScored(inFlight));
    assertEquals(null, c.nothingScored(Map.of()));
  }

  @Test
  void aStoppedRunsCountsWithoutFinalValuesSayWhenTheyWereRead() {
    java.time.ZoneId utc = java.time.ZoneId.of("UTC");
    assertEquals("  note            the counts above are as of 16:03:12, the last look at the"
        + " running job (Flink gave no final values on the stop): the job did more before it"
        + " stopped", TrainConsole.countsAsOf(java.time.Instant.parse("2026-12-02T16:03:12Z"),
            utc));
    assertTrue(TrainConsole.countsAsOf(null, utc).contains("as of the start"));
  }

  /** A restored run reads from the savepoint's positions (trial L6), or claims no range. */
  @Test
  void aRestoredRunsExtentIsFromTheSavepointsPositions() {
    var p0 = new io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent(
        new TopicPartition("fraud", 0), 0, 0, 0, 0);
    var p1 = new io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent(
        new TopicPartition("fraud", 1), 0, 80_000, 0, 80_000);
    List<io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent> restored =
        TrainCommand.fromPositions(List.of(p0, p1), "fraud", Map.of("fraud:0", -2L,
            "fraud:1", 70_000L));
    TrainConsole c = console(false, true);
    c.extent("fraud", restored, ", from the savepoint's positions");
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("input fraud: 2 partitions, 10,000 records to read (bounded), from the"
        + " savepoint's positions"), o);
    assertTrue(o.contains("fraud-1: log 0..80,000, reading 70,000..80,000: 10,000 records"), o);
    assertTrue(o.contains("fraud-0: log 0..0, reading 0..0: 0 records"), o);
    // A partition the savepoint does not hold starts at the starting offsets; -3 (the group's
    // committed offset) is not known before the job runs: no range is claimed.
    assertEquals(List.of(p1), TrainCommand.fromPositions(List.of(p1), "fraud", Map.of()));
    assertEquals(null, TrainCommand.fromPositions(List.of(p1), "fraud", Map.of("fraud:1", -3L)));
    out.reset();
    c.extentFromUnknownPositions("fraud", List.of(p0, p1), "s3://b/sp-1");
    o = out.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("input fraud: 2 partitions (bounded), read from the positions in"
        + " s3://b/sp-1 (not readable here, so how much is to read is not known)"), o);
    assertTrue(o.contains("fraud-1: log 0..80,000, reading from the savepoint's position to"
        + " 80,000"), o);
    assertFalse(o.contains("records to read"), o);
  }
}
