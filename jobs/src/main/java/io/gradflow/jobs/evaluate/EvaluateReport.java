package io.gradflow.jobs.evaluate;

import io.gradflow.drift.DriftEvent;
import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.metrics.Auc;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The result of an evaluation, from the trainer's own outputs as the client collected them: its
 * predictions (with their labels), its metrics reports and its changed rows. Nothing is learned
 * or re-scored here: the overall log loss, base rate and RMSE combine the metrics reports by
 * their importance weight (as {@code train}'s summary does), the AUC is the core's {@link Auc}
 * over the later half of the measured predictions ({@link #secondHalfAuc}).
 *
 * <p>{@link #toMap()} is the JSON object {@code evaluate --json} writes. Not thread-safe: filled
 * by one collecting thread, then read.
 *
 * <p>Memory: no prediction is kept as an object. Of a prediction that was learned or measured,
 * the columns the whole-run figures need ({@link Kept}: its model key's index, model step,
 * position, score, label, importance weight and two flags, 37 bytes); of any other, a count. So
 * a million learned predictions take about 37 MB (up to twice that while a column grows),
 * where they took 150-200 MB as {@link Scored} objects. The metrics reports and the rows changed
 * are kept as before (one report per window; one {@code Long} per row the model changed).
 */
public final class EvaluateReport {
  /** Per model group (all predictions, or one race candidate): what its JSON object needs. */
  static final class Group {
    /** Predictions made (scored), learned from, and measured. */
    long examples;
    long learned;
    long measured;
    final List<MetricsEvent> reports = new ArrayList<>();
    final Map<String, Set<Long>> rows = new HashMap<>();
    /** The group of every prediction ({@link #overall}), not one group's. */
    final boolean every;

    Group() {
      this(false);
    }

    Group(boolean every) {
      this.every = every;
    }
  }

  /**
   * The predictions that were learned or measured, in arrival order, as columns: the index of
   * the model key ({@link #keys}), the model step after it, its position (1-based, among its
   * group's predictions in arrival order), score, label, importance weight, and whether it was
   * measured ({@code 1}) and learned ({@code 2}). 37 bytes a prediction.
   */
  static final class Kept {
    int size;
    int[] key = new int[64];
    long[] step = new long[64];
    long[] position = new long[64];
    double[] score = new double[64];
    float[] label = new float[64];
    float[] weight = new float[64];
    byte[] flags = new byte[64];

    void add(int keyIndex, Scored s, long at) {
      if (size == key.length) {
        int n = key.length * 2;
        key = java.util.Arrays.copyOf(key, n);
        step = java.util.Arrays.copyOf(step, n);
        position = java.util.Arrays.copyOf(position, n);
        score = java.util.Arrays.copyOf(score, n);
        label = java.util.Arrays.copyOf(label, n);
        weight = java.util.Arrays.copyOf(weight, n);
        flags = java.util.Arrays.copyOf(flags, n);
      }
      key[size] = keyIndex;
      step[size] = s.modelStep;
      position[size] = at;
      score[size] = s.score;
      label[size] = s.label;
      weight[size] = s.weight;
      flags[size] = (byte) ((s.measured ? MEASURED : 0) | (s.learned ? LEARNED : 0));
      size++;
    }

    boolean measured(int i) {
      return (flags[i] & MEASURED) != 0;
    }

    boolean learned(int i) {
      return (flags[i] & LEARNED) != 0;
    }

    private static final byte MEASURED = 1;
    private static final byte LEARNED = 2;
  }

  /** How predictions are grouped into JSON objects. */
  public enum Grouping {
    /** One object for every model key together. */
    ALL,
    /** One object per candidate of a race. */
    CANDIDATE,
    /** One object per model key ({@code validate}). */
    MODEL_KEY
  }

  private final boolean probabilities;
  private final boolean race;
  private final Grouping grouping;
  private final boolean frozen;
  private final boolean boundedRows;
  private final Map<String, Group> groups = new LinkedHashMap<>();
  /** The model keys of the predictions, by first arrival, and the group of each. */
  private final List<String> keys = new ArrayList<>();
  private final List<Group> keyGroups = new ArrayList<>();
  private final Map<String, Integer> keyIndex = new HashMap<>();
  /** Every learned or measured prediction, in arrival order (over every group). */
  private final Kept kept = new Kept();
  private final Map<String, Long> deadLetters = new TreeMap<>();
  private long malformed;
  private long blank;
  private long imputed;
  private long lines;
  private double seconds;

  /**
   * @param probabilities the loss predicts probabilities (logistic): log loss and AUC apply;
   *     otherwise RMSE
   * @param race the job races candidates: one group per candidate
   */
  public EvaluateReport(boolean probabilities, boolean race) {
    this(probabilities, race, false);
  }

  /**
   * @param boundedRows the job has a {@code rows} policy (expiry or admission): {@code rows} is
   *     the live rows of the last metrics report, not the rows ever changed
   */
  public EvaluateReport(boolean probabilities, boolean race, boolean boundedRows) {
    this(probabilities, race ? Grouping.CANDIDATE : Grouping.ALL, boundedRows, false);
  }

  /**
   * @param frozen the predictions come from a frozen replay: nothing was learned, so windows and
   *     drift events are placed by the measured predictions
   */
  public EvaluateReport(boolean probabilities, Grouping grouping, boolean boundedRows,
      boolean frozen) {
    this.boundedRows = boundedRows;
    this.probabilities = probabilities;
    this.race = grouping == Grouping.CANDIDATE;
    this.grouping = grouping;
    this.frozen = frozen;
  }

  /** Adds one collected output. */
  public void add(EvaluateOutput o) {
    if (o.prediction != null) {
      Scored s = o.prediction;
      Integer k = keyIndex.get(s.modelKey);
      if (k == null) {
        k = keys.size();
        keyIndex.put(s.modelKey, k);
        keys.add(s.modelKey);
        keyGroups.add(group(s.modelKey));
      }
      Group g = keyGroups.get(k);
      g.examples++;
      if (s.learned) {
        g.learned++;
      }
      if (s.measured) {
        g.measured++;
      }
      if (s.learned || s.measured) {
        kept.add(k, s, g.examples);
      }
    } else if (o.metrics != null) {
      group(o.metrics.modelKey).reports.add(o.metrics);
    } else if (o.rowModelKey != null) {
      Set<Long> rows = group(o.rowModelKey).rows.computeIfAbsent(o.rowModelKey,
          k -> new HashSet<>());
      if (o.rowRemoved) {
        rows.remove(o.rowId); // expired (the rows come in the order the trainer emitted them)
      } else {
        rows.add(o.rowId);
      }
    } else if (o.deadLetterReason != null) {
      deadLetters.merge(o.deadLetterReason, 1L, Long::sum);
    }
  }

  /**
   * What the file's reading found: lines read, malformed lines skipped, blank and comment lines
   * skipped (lines without an example), missing numeric cells imputed (CSV; 0 otherwise); the
   * run's duration.
   */
  public void file(long lines, long malformed, long blank, long imputed, double seconds) {
    this.lines = lines;
    this.malformed = malformed;
    this.blank = blank;
    this.imputed = imputed;
    this.seconds = seconds;
  }

  private Group group(String modelKey) {
    String name = "";
    int at = modelKey.lastIndexOf(TrainerOperator.CANDIDATE_SEPARATOR);
    if (grouping == Grouping.MODEL_KEY) {
      name = modelKey;
    } else if (race && at >= 0) {
      name = modelKey.substring(at + 1);
    }
    return groups.computeIfAbsent(name, k -> new Group());
  }

  /** One JSON object per model key (with {@link Grouping#MODEL_KEY}), in arrival order. */
  public Map<String, Object> models() {
    Map<String, Object> m = new LinkedHashMap<>();
    groups.forEach((key, g) -> m.put(key, model(g)));
    return m;
  }

  /** One JSON object over every prediction and report together. */
  public Map<String, Object> overall() {
    Group all = new Group(true);
    for (Group g : groups.values()) {
      all.examples += g.examples;
      all.learned += g.learned;
      all.measured += g.measured;
      all.reports.addAll(g.reports);
      g.rows.forEach((k, v) -> all.rows.computeIfAbsent(k, x -> new HashSet<>()).addAll(v));
    }
    Map<String, Object> m = model(all);
    m.remove("model_keys");
    m.remove("windows");
    m.remove("drift_events");
    return m;
  }

  /** Predictions learned from, over every group (a race counts each candidate's). */
  public long learned() {
    return groups.values().stream().mapToLong(g -> g.learned).sum();
  }

  /** Examples scored, over every group. */
  public long examples() {
    return groups.values().stream().mapToLong(g -> g.examples).sum();
  }

  /** The JSON object of the evaluation, in a stable field order. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (race) {
      long examples = groups.isEmpty() ? 0 : groups.values().iterator().next().examples;
      m.put("examples", examples);
      run(m, examples);
      Map<String, Object> candidates = new LinkedHashMap<>();
      groups.forEach((name, g) -> {
        Map<String, Object> candidate = model(g);
        candidate.put("last_window", lastWindow(g));
        candidates.put(name, candidate);
      });
      m.put("candidates", candidates);
    } else {
      Group all = groups.getOrDefault("", new Group());
      Map<String, Object> model = model(all);
      m.putAll(model);
      m.put("last_window", lastWindow(all));
      run(m, ((Number) model.get("examples")).longValue());
    }
    return m;
  }

  /**
   * The last window's figures, as the console's summary prints them ({@code AUC 0.7608 (last
   * window)}, {@code RMSE 0.41 (last window 0.39)}): each model key's last report that measured
   * something ({@code windowWeight} above 0, in arrival order: the report the console's
   * accumulator keeps last). With one model key, that window's {@code examples},
   * {@code log_loss}, {@code base_rate_log_loss}, {@code auc} (or {@code rmse}) and
   * {@code calibration} (the report's: mean prediction over mean label) exactly; with several,
   * each key's figure weighted by the key's measured weight over the run, as the console's line
   * for many models combines their AUCs (a figure a key could not compute is left out), and
   * {@code examples} summed. Null when no report measured anything.
   */
  private Map<String, Object> lastWindow(Group g) {
    Map<String, MetricsEvent> last = new LinkedHashMap<>();
    Map<String, Double> weight = new HashMap<>();
    for (MetricsEvent e : g.reports) {
      if (e.windowWeight > 0) {
        last.put(e.modelKey, e);
        weight.merge(e.modelKey, e.windowWeight, Double::sum);
      }
    }
    if (last.isEmpty()) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("examples", last.values().stream().mapToLong(e -> Math.round(e.windowCount)).sum());
    java.util.function.Function<java.util.function.ToDoubleFunction<MetricsEvent>, Double>
        combined = figure -> {
          if (last.size() == 1) {
            return finite(figure.applyAsDouble(last.values().iterator().next()));
          }
          double sum = 0;
          double n = 0;
          for (MetricsEvent e : last.values()) {
            double v = figure.applyAsDouble(e);
            if (Double.isFinite(v)) {
              sum += v * weight.get(e.modelKey);
              n += weight.get(e.modelKey);
            }
          }
          return n > 0 ? finite(sum / n) : null;
        };
    if (probabilities) {
      m.put("log_loss", combined.apply(e -> e.logLoss));
      m.put("base_rate_log_loss", combined.apply(e -> e.baseRateLogLoss));
      m.put("auc", combined.apply(e -> e.auc));
    } else {
      m.put("rmse", combined.apply(e -> e.rmse));
    }
    m.put("calibration", combined.apply(e -> e.calibration));
    if (probabilities) {
      m.put("expected_calibration_error", combined.apply(e -> e.expectedCalibrationError));
    }
    return m;
  }

  private void run(Map<String, Object> m, long examples) {
    m.put("seconds", seconds);
    m.put("examples_per_second", seconds > 0 ? examples / seconds : null);
    m.put("lines", lines);
    m.put("malformed", malformed);
    m.put("blank", blank);
    m.put("imputed", imputed);
    m.put("dead_letters", new LinkedHashMap<>(deadLetters));
  }

  private Map<String, Object> model(Group g) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("examples", g.examples);
    m.put("learned", g.learned);
    double weight = 0;
    double logLoss = 0;
    double baseRate = 0;
    double squaredError = 0;
    double prediction = 0;
    double label = 0;
    for (MetricsEvent e : g.reports) {
      if (e.windowWeight > 0) {
        weight += e.windowWeight;
        logLoss += e.logLoss * e.windowWeight;
        baseRate += e.baseRateLogLoss * e.windowWeight;
        squaredError += e.rmse * e.rmse * e.windowWeight;
        prediction += e.meanPrediction * e.windowWeight;
        label += e.meanLabel * e.windowWeight;
      }
    }
    if (probabilities) {
      m.put("log_loss", finite(logLoss / weight));
      m.put("base_rate_log_loss", finite(baseRate / weight));
      m.put("auc", finite(secondHalfAuc(g)));
    } else {
      m.put("rmse", finite(Math.sqrt(squaredError / weight)));
    }
    m.put("calibration", label != 0 ? finite(prediction / label) : null);
    if (probabilities) {
      reliability(g, m);
    }
    if (grouping != Grouping.MODEL_KEY) {
      m.put("model_keys", modelKeys(g));
    }
    m.put("windows", windows(g));
    m.put("drift_events", driftEvents(g));
    Map<String, MetricsEvent> last = new HashMap<>();
    for (MetricsEvent e : g.reports) {
      last.merge(e.modelKey, e, (a, b) -> b.modelStep >= a.modelStep ? b : a);
    }
    m.put("rows", boundedRows ? last.values().stream().mapToLong(e -> e.rows).sum()
        : g.rows.values().stream().mapToLong(Set::size).sum());
    m.put("rows_expired", last.values().stream().mapToLong(e -> e.rowsExpired).sum());
    m.put("rows_refused", last.values().stream().mapToLong(e -> e.rowsRefused).sum());
    return m;
  }

  /**
   * The run's reliability diagram and expected calibration error: each bin's weight, weighted
   * prediction and weighted label summed over every report of the group (the windows partition
   * the measured predictions, so the sums are the run's own, as if one window held them all),
   * then {@code calibration_bins} (lower, upper, weight, mean_prediction, mean_label; an empty
   * bin's means null) and {@code expected_calibration_error}, the bins' weighted mean of
   * |mean prediction - mean label| (null without bins or weight).
   */
  private static void reliability(Group g, Map<String, Object> m) {
    int n = 0;
    for (MetricsEvent e : g.reports) {
      n = Math.max(n, e.binWeight == null ? 0 : e.binWeight.length);
    }
    double[] lower = new double[n];
    double[] upper = new double[n];
    double[] weight = new double[n];
    double[] prediction = new double[n];
    double[] label = new double[n];
    for (MetricsEvent e : g.reports) {
      for (int b = 0; e.binWeight != null && b < e.binWeight.length; b++) {
        lower[b] = e.binLower[b];
        upper[b] = e.binUpper[b];
        if (e.binWeight[b] > 0) {
          weight[b] += e.binWeight[b];
          prediction[b] += e.binMeanPrediction[b] * e.binWeight[b];
          label[b] += e.binMeanLabel[b] * e.binWeight[b];
        }
      }
    }
    double total = 0;
    double error = 0;
    List<Map<String, Object>> bins = new ArrayList<>(n);
    for (int b = 0; b < n; b++) {
      Map<String, Object> bin = new LinkedHashMap<>();
      bin.put("lower", lower[b]);
      bin.put("upper", upper[b]);
      bin.put("weight", weight[b]);
      bin.put("mean_prediction", weight[b] > 0 ? finite(prediction[b] / weight[b]) : null);
      bin.put("mean_label", weight[b] > 0 ? finite(label[b] / weight[b]) : null);
      bins.add(bin);
      total += weight[b];
      error += Math.abs(prediction[b] - label[b]);
    }
    m.put("expected_calibration_error", total > 0 ? finite(error / total) : null);
    m.put("calibration_bins", bins);
  }

  /**
   * Per model key, the position (1-based, in file or replay order) of the measured predictions
   * whose index among the key's measured predictions (1-based) is {@code wanted}: what a metrics
   * report's {@code examples} count and a frozen replay's drift event point at. Measured is
   * {@link Scored#measured}: labeled, a non-zero weight, and accepted by the metrics, so a
   * prediction they refused (not finite) moves no window. With {@code byStep}, instead, the
   * position of the prediction learned at each wanted model step.
   */
  private Map<String, Map<Long, Long>> positions(Group g, Map<String, Set<Long>> wanted,
      boolean byStep) {
    Map<String, Map<Long, Long>> positions = new HashMap<>();
    long[] measured = new long[keys.size()];
    for (int i = 0; i < kept.size; i++) {
      int k = kept.key[i];
      if (!holds(g, k)) {
        continue;
      }
      long at;
      if (byStep) {
        if (!kept.learned(i)) {
          continue;
        }
        at = kept.step[i];
      } else {
        if (!kept.measured(i)) {
          continue;
        }
        at = ++measured[k];
      }
      Set<Long> w = wanted.get(keys.get(k));
      if (w != null && w.contains(at)) {
        positions.computeIfAbsent(keys.get(k), x -> new HashMap<>()).put(at, kept.position[i]);
      }
    }
    return positions;
  }

  /**
   * Every drift detection, in file order: {@code example} (the position in the file of the
   * example that completed it), {@code event_time}, {@code detector}, {@code action}, and the
   * {@code model_key} and {@code model_step}.
   */
  private List<Map<String, Object>> driftEvents(Group g) {
    // A learning model's event names its model step; a frozen one's, the examples measured.
    Map<String, Set<Long>> wanted = new HashMap<>();
    for (MetricsEvent e : g.reports) {
      for (DriftEvent d : e.drifts()) {
        wanted.computeIfAbsent(e.modelKey, k -> new HashSet<>()).add(d.example());
      }
    }
    Map<String, Map<Long, Long>> positions = positions(g, wanted, !frozen);
    List<Map<String, Object>> out = new ArrayList<>();
    for (MetricsEvent e : g.reports) {
      for (DriftEvent d : e.drifts()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("example", positions.getOrDefault(e.modelKey, Map.of()).getOrDefault(d.example(),
            0L));
        m.put("event_time", Instant.ofEpochMilli(d.eventTime()).toString());
        m.put("detector", d.detector());
        m.put("action", d.action());
        m.put("model_key", e.modelKey);
        m.put("model_step", d.example());
        out.add(m);
      }
    }
    out.sort((a, b) -> Long.compare((Long) a.get("example"), (Long) b.get("example")));
    return out;
  }

  /**
   * Each model key's own figures over the run, by key in the order of their first reports: the
   * labeled {@code examples} its reports measured, its prequential {@code log_loss} and
   * {@code base_rate_log_loss} (or {@code rmse}) and {@code calibration}, each its windows'
   * figures weighted by their measured weight, as the group's are over every key.
   */
  private Map<String, Object> modelKeys(Group g) {
    // per key: measured count, weight, and the weighted log loss, base rate, squared error,
    // prediction and label
    Map<String, double[]> sums = new LinkedHashMap<>();
    for (MetricsEvent e : g.reports) {
      double[] s = sums.computeIfAbsent(e.modelKey, k -> new double[7]);
      s[0] += e.windowCount;
      if (e.windowWeight > 0) {
        s[1] += e.windowWeight;
        s[2] += e.logLoss * e.windowWeight;
        s[3] += e.baseRateLogLoss * e.windowWeight;
        s[4] += e.rmse * e.rmse * e.windowWeight;
        s[5] += e.meanPrediction * e.windowWeight;
        s[6] += e.meanLabel * e.windowWeight;
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    sums.forEach((key, s) -> {
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("examples", Math.round(s[0]));
      if (probabilities) {
        k.put("log_loss", finite(s[2] / s[1]));
        k.put("base_rate_log_loss", finite(s[3] / s[1]));
      } else {
        k.put("rmse", finite(Math.sqrt(s[4] / s[1])));
      }
      k.put("calibration", s[6] != 0 ? finite(s[5] / s[6]) : null);
      out.put(key, k);
    });
    return out;
  }

  /**
   * One entry per metrics report, at the last example (1-based, in file order) its metrics
   * measured: the example that closed it, unless the metrics refused that one's prediction.
   */
  private List<Map<String, Object>> windows(Group g) {
    Map<String, Set<Long>> wanted = new HashMap<>();
    for (MetricsEvent e : g.reports) {
      wanted.computeIfAbsent(e.modelKey, k -> new HashSet<>()).add(e.examples);
    }
    Map<String, Map<Long, Long>> positions = positions(g, wanted, false);
    List<MetricsEvent> reports = new ArrayList<>(g.reports);
    reports.sort((a, b) -> Long.compare(position(positions, a), position(positions, b)));
    List<Map<String, Object>> out = new ArrayList<>();
    // Each model key's own cumulative sums: {weight, weighted log loss}.
    Map<String, double[]> cumulative = new HashMap<>();
    for (MetricsEvent e : reports) {
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("end_example", position(positions, e));
      w.put("end_event_time", Instant.ofEpochMilli(e.eventTime).toString());
      w.put("model_key", e.modelKey);
      w.put("examples", Math.round(e.windowCount));
      if (probabilities) {
        w.put("log_loss", finite(e.logLoss));
        w.put("base_rate_log_loss", finite(e.baseRateLogLoss));
        w.put("auc", finite(e.auc));
        double[] sums = cumulative.computeIfAbsent(e.modelKey, k -> new double[2]);
        if (e.windowWeight > 0) {
          sums[0] += e.windowWeight;
          sums[1] += e.logLoss * e.windowWeight;
        }
        w.put("prequential_log_loss", finite(sums[1] / sums[0]));
        w.put("expected_calibration_error", finite(e.expectedCalibrationError));
      } else {
        w.put("rmse", finite(e.rmse));
      }
      out.add(w);
    }
    return out;
  }

  /** Where a report's window closed: the position of the key's examples-th measured prediction. */
  private static long position(Map<String, Map<Long, Long>> positions, MetricsEvent e) {
    return positions.getOrDefault(e.modelKey, Map.of()).getOrDefault(e.examples, 0L);
  }

  /**
   * The AUC of the later half of the measured predictions ({@link Scored#measured}: labeled,
   * importance weight above 0, accepted by the metrics), in the order the trainer measured them:
   * of {@code m} measured predictions, those from the {@code m / 2}-th (0-based) on.
   *
   * <p>Only measured predictions count towards the half. Unmeasured ones (an unlabeled example's
   * first scoring with {@code labels.delayed}, weight 0) do not: with delayed labels an unlabeled
   * example reaches the trainer through the label join, on another channel than the labeled
   * examples, so where its first scoring falls among them varies from run to run, and the half
   * of all predictions moved with it (a six-line file gave null in one run and 0.5 in another).
   * The measured predictions are the trainer's learning order (or, frozen, its replay order),
   * which the arrival order of anything unmeasured does not change.
   */
  private double secondHalfAuc(Group g) {
    long from = g.measured / 2;
    int n = (int) (g.measured - from);
    double[] scores = new double[n];
    double[] labels = new double[n];
    double[] w = new double[n];
    long measured = 0;
    int j = 0;
    for (int i = 0; i < kept.size && j < n; i++) {
      if (kept.measured(i) && holds(g, kept.key[i]) && measured++ >= from) {
        scores[j] = kept.score[i];
        labels[j] = kept.label[i];
        w[j] = kept.weight[i];
        j++;
      }
    }
    return n == 0 ? Double.NaN : Auc.of(scores, labels, w, n);
  }

  /** Whether group {@code g}'s predictions include those of the model key of index {@code k}. */
  private boolean holds(Group g, int k) {
    return g.every || keyGroups.get(k) == g;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
