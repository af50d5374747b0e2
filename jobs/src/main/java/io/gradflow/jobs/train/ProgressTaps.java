package io.gradflow.jobs.train;

import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import io.gradflow.jobs.kafka.AccumulatorTable;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * What the console of {@code train} shows per model, gathered without touching the trainer: two
 * pass-through functions chained behind it count its predictions and keep its metrics reports
 * (the core's {@code PrequentialMetrics}, as the metrics topic carries them) in Flink accumulators.
 * Flink merges the subtasks' accumulators (a model key lives in one subtask) and reports them to
 * the client with the task managers' heartbeats and in the job's result, on a MiniCluster and on a
 * cluster alike. Accumulators restart with a restored job: they describe this run. Their values are
 * {@link AccumulatorTable}s: Flink's REST API and UI show them with their columns named.
 *
 * <p>Memory: a few numbers per model key, at most {@link #MAX_MODELS} keys (the rest are summed
 * under {@link #OTHER_MODELS}). Thread-safe: the task thread adds while the heartbeat thread
 * serializes snapshots, so both synchronize on the accumulator.
 */
public final class ProgressTaps {
  /** Accumulator of predictions per model key: {@code [scored, learned]}. */
  public static final String PREDICTIONS = "gradflow.predictions";
  /** Accumulator of metrics per model key, see {@link ModelMetrics}. */
  public static final String METRICS = "gradflow.metrics";
  static final int MAX_MODELS = 10_000;
  static final String OTHER_MODELS = "(other models)";

  private ProgressTaps() {}

  private static String capped(Map<String, ?> map, String key) {
    return map.size() < MAX_MODELS || map.containsKey(key) ? key : OTHER_MODELS;
  }

  /** Counts predictions per model key; passes every prediction on unchanged. */
  public static final class CountPredictions extends RichMapFunction<Scored, Scored> {
    private static final long serialVersionUID = 1L;
    private transient PredictionCounts counts;

    @Override
    public void open(OpenContext context) {
      counts = new PredictionCounts();
      getRuntimeContext().addAccumulator(PREDICTIONS, counts);
    }

    @Override
    public Scored map(Scored s) {
      counts.add(s);
      return s;
    }
  }

  /** Keeps the metrics reports' sums and latest values per model key; passes them on. */
  public static final class CollectMetrics extends RichMapFunction<MetricsEvent, MetricsEvent> {
    private static final long serialVersionUID = 1L;
    private transient ModelMetrics metrics;

    @Override
    public void open(OpenContext context) {
      metrics = new ModelMetrics();
      getRuntimeContext().addAccumulator(METRICS, metrics);
    }

    @Override
    public MetricsEvent map(MetricsEvent e) {
      metrics.add(e);
      return e;
    }
  }

  /**
   * Predictions per model key: {@code [scored, learned, learnedStep]}, where scored counts every
   * prediction, learned those the model learned from (a label and a non-zero importance weight)
   * and learnedStep is the highest model step a learned prediction carried (-1 before any; the
   * state's step, so it compares with a metrics report's {@code modelStep} across restores).
   */
  public static final class PredictionCounts
      implements Accumulator<Scored, AccumulatorTable<long[]>> {
    private static final long serialVersionUID = 1L;
    static final List<String> COLUMNS = List.of("scored", "learned", "learnedStep");
    private HashMap<String, long[]> models = new HashMap<>();
    private transient String lastKey;
    private transient long[] last;

    @Override
    public synchronized void add(Scored s) {
      long[] e;
      if (last != null && s.modelKey.equals(lastKey)) {
        e = last;
      } else {
        e = models.computeIfAbsent(capped(models, s.modelKey), k -> newEntry());
        lastKey = s.modelKey;
        last = e;
      }
      e[0]++;
      if (s.learned) {
        e[1]++;
        e[2] = Math.max(e[2], s.modelStep);
      }
    }

    private static long[] newEntry() {
      return new long[] {0, 0, -1};
    }

    @Override
    public synchronized AccumulatorTable<long[]> getLocalValue() {
      AccumulatorTable<long[]> copy = new AccumulatorTable<>(COLUMNS);
      models.forEach((k, v) -> copy.put(k, v.clone()));
      return copy;
    }

    @Override
    public synchronized void resetLocal() {
      models = new HashMap<>();
      last = null;
    }

    @Override
    public synchronized void merge(Accumulator<Scored, AccumulatorTable<long[]>> other) {
      other.getLocalValue().forEach((k, v) -> {
        long[] mine = models.computeIfAbsent(k, x -> newEntry());
        mine[0] += v[0];
        mine[1] += v[1];
        mine[2] = Math.max(mine[2], v[2]);
      });
      last = null;
    }

    @Override
    public synchronized PredictionCounts clone() {
      PredictionCounts c = new PredictionCounts();
      models.forEach((k, v) -> c.models.put(k, v.clone()));
      return c;
    }

    private synchronized void writeObject(ObjectOutputStream out) throws IOException {
      out.defaultWriteObject();
    }
  }

  /**
   * Metrics per model key, from its reports: {@code [count, logLossSum, baseRateLogLossSum,
   * squaredErrorSum, lastLogLoss, lastAuc, lastRmse, lastEce, lastStep, reports, drifts,
   * lastDriftStep, rowsLive, rowsExpired, rowsRefused, rowsStep, lastCount]}, the row counts
   * those of the report of the latest model step (metrics or drift alone; since the model's
   * first row: the state's, not this run's); {@link #OTHER_MODELS} carries none (its keys'
   * counts are not kept apart, so no one model's count stands for them). The sums are weighted
   * by each report's window count, so {@code logLossSum / count} is the prequential log loss
   * over every labeled example of the run (as the demo computes it from the metrics topic).
   */
  public static final class ModelMetrics
      implements Accumulator<MetricsEvent, AccumulatorTable<double[]>> {
    private static final long serialVersionUID = 1L;
    /** The reports' importance weight: each report's means are combined weighted by it. */
    static final int WEIGHT = 0;
    static final int LOG_LOSS_SUM = 1;
    static final int BASE_RATE_SUM = 2;
    static final int SQUARED_ERROR_SUM = 3;
    static final int LAST_LOG_LOSS = 4;
    static final int LAST_AUC = 5;
    static final int LAST_RMSE = 6;
    /** The last window's expected calibration error (NaN without calibration bins). */
    static final int LAST_ECE = 7;
    static final int LAST_STEP = 8;
    static final int REPORTS = 9;
    /** Drift detections reported, and the model step of the latest (-1 before any). */
    static final int DRIFTS = 10;
    static final int LAST_DRIFT_STEP = 11;
    /** The latest report's rows: live, expired and sightings refused admission (cumulative). */
    static final int ROWS_LIVE = 12;
    static final int ROWS_EXPIRED = 13;
    static final int ROWS_REFUSED = 14;
    /** The model step of the report the row counts come from (-1 before any). */
    static final int ROWS_STEP = 15;
    /**
     * The labeled examples the last window measured (NaN before a report, and in the table of a
     * job of an earlier release, read by column name).
     */
    static final int LAST_COUNT = 16;
    static final int SIZE = 17;
    static final List<String> COLUMNS = List.of("weight", "logLossSum", "baseRateLogLossSum",
        "squaredErrorSum", "lastLogLoss", "lastAuc", "lastRmse", "lastEce", "lastStep",
        "reports", "drifts", "lastDriftStep", "rowsLive", "rowsExpired", "rowsRefused",
        "rowsStep", "lastCount");

    private HashMap<String, double[]> models = new HashMap<>();

    @Override
    public synchronized void add(MetricsEvent e) {
      double n = e.windowWeight;
      int drifts = e.driftExamples == null ? 0 : e.driftExamples.length;
      if (!(n > 0) && drifts == 0) {
        return;
      }
      String key = capped(models, e.modelKey);
      double[] m = models.computeIfAbsent(key, k -> newEntry());
      if (!key.equals(OTHER_MODELS) && e.modelStep >= m[ROWS_STEP]) {
        m[ROWS_LIVE] = e.rows;
        m[ROWS_EXPIRED] = e.rowsExpired;
        m[ROWS_REFUSED] = e.rowsRefused;
        m[ROWS_STEP] = e.modelStep;
      }
      if (drifts > 0) {
        m[DRIFTS] += drifts;
        m[LAST_DRIFT_STEP] = Math.max(m[LAST_DRIFT_STEP], e.driftExamples[drifts - 1]);
      }
      if (!(n > 0)) {
        return;
      }
      m[WEIGHT] += n;
      m[LOG_LOSS_SUM] += e.logLoss * n;
      m[BASE_RATE_SUM] += e.baseRateLogLoss * n;
      m[SQUARED_ERROR_SUM] += e.rmse * e.rmse * n;
      m[LAST_LOG_LOSS] = e.logLoss;
      m[LAST_AUC] = e.auc;
      m[LAST_RMSE] = e.rmse;
      m[LAST_ECE] = e.expectedCalibrationError;
      m[LAST_STEP] = e.modelStep;
      m[LAST_COUNT] = e.windowCount;
      m[REPORTS]++;
    }

    /**
     * The rows of a {@link #METRICS} value in this release's layout ({@link #COLUMNS}), read by
     * column name, so that a job of another release is read right: its columns may stand in
     * another order ({@code lastEce} was inserted at index 7 on 2026-12-02, moving the ones after
     * it) or be others. A column of this layout that the value lacks takes a new entry's value
     * (NaN for a latest figure, -1 for a step, 0 for a sum: shown as unknown or none), and a column
     * this release does not know is left out. A value without column names (not an
     * {@link AccumulatorTable}) is taken as in this layout.
     */
    @SuppressWarnings("unchecked")
    static Map<String, double[]> rows(Object value) {
      if (!(value instanceof AccumulatorTable<?> table) || table.columns().equals(COLUMNS)) {
        return value == null ? Map.of() : (Map<String, double[]>) value;
      }
      int[] from = new int[SIZE];
      for (int i = 0; i < SIZE; i++) {
        from[i] = table.columns().indexOf(COLUMNS.get(i));
      }
      Map<String, double[]> rows = new HashMap<>();
      table.forEach((key, row) -> {
        double[] theirs = (double[]) row;
        double[] mine = newEntry();
        for (int i = 0; i < SIZE; i++) {
          if (from[i] >= 0 && from[i] < theirs.length) {
            mine[i] = theirs[from[i]];
          }
        }
        rows.put(key, mine);
      });
      return rows;
    }

    private static double[] newEntry() {
      double[] m = new double[SIZE];
      m[LAST_LOG_LOSS] = Double.NaN;
      m[LAST_AUC] = Double.NaN;
      m[LAST_COUNT] = Double.NaN;
      m[LAST_RMSE] = Double.NaN;
      m[LAST_ECE] = Double.NaN;
      m[LAST_DRIFT_STEP] = -1;
      m[ROWS_STEP] = -1;
      return m;
    }

    @Override
    public synchronized AccumulatorTable<double[]> getLocalValue() {
      AccumulatorTable<double[]> copy = new AccumulatorTable<>(COLUMNS);
      models.forEach((k, v) -> copy.put(k, v.clone()));
      return copy;
    }

    @Override
    public synchronized void resetLocal() {
      models = new HashMap<>();
    }

    @Override
    public synchronized void merge(Accumulator<MetricsEvent, AccumulatorTable<double[]>> other) {
      other.getLocalValue().forEach((k, v) -> {
        double[] mine = models.get(k);
        if (mine == null) {
          models.put(k, v.clone());
          return;
        }
        boolean theirsNewer = v[LAST_STEP] > mine[LAST_STEP];
        boolean theirRowsNewer = v[ROWS_STEP] > mine[ROWS_STEP];
        for (int i = WEIGHT; i <= SQUARED_ERROR_SUM; i++) {
          mine[i] += v[i];
        }
        mine[REPORTS] += v[REPORTS];
        mine[DRIFTS] += v[DRIFTS];
        mine[LAST_DRIFT_STEP] = Math.max(mine[LAST_DRIFT_STEP], v[LAST_DRIFT_STEP]);
        if (theirsNewer) {
          for (int i = LAST_LOG_LOSS; i <= LAST_STEP; i++) {
            mine[i] = v[i];
          }
          mine[LAST_COUNT] = v[LAST_COUNT];
        }
        if (theirRowsNewer) {
          for (int i = ROWS_LIVE; i <= ROWS_STEP; i++) {
            mine[i] = v[i];
          }
        }
      });
    }

    @Override
    public synchronized ModelMetrics clone() {
      ModelMetrics c = new ModelMetrics();
      models.forEach((k, v) -> c.models.put(k, v.clone()));
      return c;
    }

    private synchronized void writeObject(ObjectOutputStream out) throws IOException {
      out.defaultWriteObject();
    }
  }
}
