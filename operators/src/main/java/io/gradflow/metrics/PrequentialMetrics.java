package io.gradflow.metrics;

import io.gradflow.metrics.MetricsSnapshot.ReliabilityBin;
import io.gradflow.metrics.MetricsSnapshot.View;
import java.util.ArrayList;
import java.util.List;

/**
 * Prequential (test-then-train) evaluation of one model: every prediction is recorded with its
 * label before the model learns from the example, and the metrics are kept incrementally in two
 * views (Gama, Sebastião and Rodrigues 2013, "On evaluating stream learning algorithms", Machine
 * Learning 90(3)):
 *
 * <ul>
 *   <li><b>windowed</b>: the records since the last {@link #report()} (a tumbling window whose
 *       length the trainer's report interval sets);
 *   <li><b>fading</b>: every record weighted by {@code alpha^age}, never reset: the fading-factor
 *       prequential estimate {@code S_i / N_i} with {@code S_i = w_i L_i + alpha S_(i-1)} and
 *       {@code N_i = w_i + alpha N_(i-1)} (their equation 5, with importance weights {@code w}).
 * </ul>
 *
 * Log loss, RMSE, mean prediction, mean label and the calibration bins are exact weighted sums in
 * both views. The AUC needs the records themselves: the last {@code metrics.window} (N) are kept
 * in a ring and the AUC is computed exactly at report time, over the windowed view's records (the
 * last {@code min(N, records since the report)}) and, for the fading view, over all N weighted by
 * {@code alpha^age} (truncated at N; choose N well above {@code 1 / (1 - alpha)}). Sorting at
 * report time is the sliding-window AUC of Brzezinski and Stefanowski 2017 ("Prequential AUC")
 * without their tree, which only pays off when reporting after every record.
 *
 * <h2>State</h2>
 * One flat {@code double[]} ({@link #copyState()}, {@link #restore}), for the trainer's keyed
 * state ({@code ValueState<double[]>}, Flink's primitive array serializer):
 *
 * <pre>
 *   [0 .. 8)                 header: format version, N, bins, examples, rejected, ring next,
 *                            ring size, records since the report
 *   [8 .. 8 + V)             windowed sums       V = 7 + 3 * bins:  count, weight, w*logloss,
 *   [8 + V .. 8 + 2V)        fading sums         w*(p-y)^2, w*p, w*y, w*y^2, then per bin
 *                                                (weight, w*p, w*y)
 *   then N predictions, N labels, N weights      the ring of the latest records
 * </pre>
 *
 * Memory: {@code 8 + 2 (7 + 3 bins) + 3 N} doubles (about 240 kB for N = 10,000), plus scratch
 * of 2 ints and 3 doubles per record that {@link #snapshot()} allocates once and reuses. Recording
 * costs O(bins) and allocates nothing; a snapshot costs O(N log N). Not thread-safe: one instance
 * per model key, used by the operator's task thread.
 */
public final class PrequentialMetrics {
  private static final double FORMAT = 1;
  private static final int VERSION = 0;
  private static final int WINDOW = 1;
  private static final int BINS = 2;
  private static final int EXAMPLES = 3;
  private static final int REJECTED = 4;
  private static final int RING_NEXT = 5;
  private static final int RING_SIZE = 6;
  private static final int SINCE_REPORT = 7;
  private static final int HEADER = 8;

  private static final int COUNT = 0;
  private static final int WEIGHT = 1;
  private static final int LOG_LOSS = 2;
  private static final int SQUARED_ERROR = 3;
  private static final int PREDICTION = 4;
  private static final int LABEL = 5;
  private static final int LABEL_SQUARED = 6;
  private static final int SUMS = 7;

  private final MetricsSpec spec;
  private final boolean probabilities;
  private final int window;
  private final int bins;
  private final double alpha;
  private final int sumsSize;
  private final int windowedAt;
  private final int fadingAt;
  private final int scoresAt;
  private final int labelsAt;
  private final int weightsAt;
  private final double[] state;

  // Report-time scratch, not state.
  private int[] order;
  private int[] sortScratch;
  private double[] scores;
  private double[] labels;
  private double[] weights;

  /**
   * @param probabilities whether predictions are probabilities (logistic loss): enables log loss,
   *     AUC and the reliability bins, and refuses predictions and labels outside [0, 1]
   */
  public PrequentialMetrics(MetricsSpec spec, boolean probabilities) {
    this.spec = spec;
    this.probabilities = probabilities;
    this.window = spec.window();
    this.bins = probabilities ? spec.calibrationBins() : 0;
    this.alpha = spec.fadingFactor();
    this.sumsSize = SUMS + 3 * bins;
    this.windowedAt = HEADER;
    this.fadingAt = HEADER + sumsSize;
    this.scoresAt = HEADER + 2 * sumsSize;
    this.labelsAt = scoresAt + window;
    this.weightsAt = labelsAt + window;
    this.state = new double[weightsAt + window];
    state[VERSION] = FORMAT;
    state[WINDOW] = window;
    state[BINS] = bins;
  }

  /**
   * Metrics that continue from a state written by {@link #copyState()} under the same window and
   * bins (the fading factor may change).
   *
   * @throws IllegalArgumentException if the state does not fit the spec; the caller may then
   *     start new metrics
   */
  public static PrequentialMetrics restore(MetricsSpec spec, boolean probabilities,
      double[] state) {
    PrequentialMetrics metrics = new PrequentialMetrics(spec, probabilities);
    double[] s = metrics.state;
    if (state.length < HEADER || state[VERSION] != FORMAT || state[WINDOW] != s[WINDOW]
        || state[BINS] != s[BINS] || state.length != s.length) {
      throw new IllegalArgumentException("the metrics state does not match the configuration:"
          + " it was written with metrics.window " + header(state, WINDOW) + " and "
          + header(state, BINS) + " calibration bins, but the configuration has "
          + (long) s[WINDOW] + " and " + (long) s[BINS]
          + "; start new metrics or restore the previous settings");
    }
    System.arraycopy(state, 0, s, 0, s.length);
    return metrics;
  }

  private static String header(double[] state, int at) {
    return state.length > at ? Long.toString((long) state[at]) : "?";
  }

  /** The number of doubles in the state for this spec. */
  public static int stateSize(MetricsSpec spec, boolean probabilities) {
    int b = probabilities ? spec.calibrationBins() : 0;
    return HEADER + 2 * (SUMS + 3 * b) + 3 * spec.window();
  }

  /** Records accepted since the metrics were created or restored from their start. */
  public long examples() {
    return (long) state[EXAMPLES];
  }

  public MetricsSpec spec() {
    return spec;
  }

  /** A copy of the whole state, for keyed state. */
  public double[] copyState() {
    return state.clone();
  }

  /**
   * Records one prediction and its label, with the example's importance weight.
   *
   * @return false if the record was refused (counted in {@link MetricsSnapshot#rejected()}):
   *     a non-finite value, a negative weight, for probabilities a value outside [0, 1], or values
   *     so large that a weighted sum would overflow (the state stays finite)
   */
  public boolean record(double prediction, double label, double weight) {
    if (!(Double.isFinite(prediction) && Double.isFinite(label) && weight >= 0
        && weight < Double.POSITIVE_INFINITY)
        || probabilities && !(prediction >= 0 && prediction <= 1 && label >= 0 && label <= 1)) {
      state[REJECTED]++;
      return false;
    }
    double logLoss = probabilities ? weight * LogLoss.of(prediction, label) : 0;
    double error = prediction - label;
    if (!(fits(windowedAt, 1, weight, logLoss, error, prediction, label)
        && fits(fadingAt, alpha, weight, logLoss, error, prediction, label))) {
      state[REJECTED]++;
      return false;
    }
    int bin = -1;
    if (bins > 0) {
      bin = SUMS + 3 * Math.min((int) (prediction * bins), bins - 1);
    }
    // The windowed view adds; the fading view decays by alpha first.
    for (int view = windowedAt, pass = 0; pass < 2; view = fadingAt, pass++) {
      if (pass == 1 && alpha != 1) {
        for (int i = view; i < view + sumsSize; i++) {
          state[i] *= alpha;
        }
      }
      state[view + COUNT] += 1;
      state[view + WEIGHT] += weight;
      state[view + LOG_LOSS] += logLoss;
      state[view + SQUARED_ERROR] += weight * error * error;
      state[view + PREDICTION] += weight * prediction;
      state[view + LABEL] += weight * label;
      state[view + LABEL_SQUARED] += weight * label * label;
      if (bin >= 0) {
        state[view + bin] += weight;
        state[view + bin + 1] += weight * prediction;
        state[view + bin + 2] += weight * label;
      }
    }
    if (probabilities) {
      int next = (int) state[RING_NEXT];
      state[scoresAt + next] = prediction;
      state[labelsAt + next] = label;
      state[weightsAt + next] = weight;
      state[RING_NEXT] = next + 1 == window ? 0 : next + 1;
      state[RING_SIZE] = Math.min(window, state[RING_SIZE] + 1);
    }
    state[SINCE_REPORT]++;
    state[EXAMPLES]++;
    return true;
  }

  /**
   * Whether adding the record to a view (after decaying it by {@code decay}) keeps every sum
   * finite. The bins' sums are bounded by the totals (they exist for probabilities only, whose
   * terms are never negative).
   */
  private boolean fits(int view, double decay, double weight, double logLoss, double error,
      double prediction, double label) {
    return Double.isFinite(state[view + WEIGHT] * decay + weight)
        && Double.isFinite(state[view + LOG_LOSS] * decay + logLoss)
        && Double.isFinite(state[view + SQUARED_ERROR] * decay + weight * error * error)
        && Double.isFinite(state[view + PREDICTION] * decay + weight * prediction)
        && Double.isFinite(state[view + LABEL] * decay + weight * label)
        && Double.isFinite(state[view + LABEL_SQUARED] * decay + weight * label * label);
  }

  /** The current values; changes nothing. */
  public MetricsSnapshot snapshot() {
    double windowedAuc = Double.NaN;
    double fadingAuc = Double.NaN;
    if (probabilities) {
      windowedAuc = ringAuc(false);
      fadingAuc = ringAuc(true);
    }
    return new MetricsSnapshot((long) state[EXAMPLES], (long) state[REJECTED],
        view(windowedAt, windowedAuc), view(fadingAt, fadingAuc));
  }

  /** {@link #snapshot()}, then starts a new window. */
  public MetricsSnapshot report() {
    MetricsSnapshot snapshot = snapshot();
    resetWindow();
    return snapshot;
  }

  /** Starts a new window: the windowed view restarts empty; the fading view is untouched. */
  public void resetWindow() {
    for (int i = windowedAt; i < windowedAt + sumsSize; i++) {
      state[i] = 0;
    }
    state[SINCE_REPORT] = 0;
  }

  private View view(int at, double auc) {
    double weight = state[at + WEIGHT];
    double meanPrediction = state[at + PREDICTION] / weight;
    double meanLabel = state[at + LABEL] / weight;
    double meanLabelSquared = state[at + LABEL_SQUARED] / weight;
    double logLoss = Double.NaN;
    double baseRateLogLoss = Double.NaN;
    double calibrationError = Double.NaN;
    List<ReliabilityBin> reliability = new ArrayList<>(bins);
    if (probabilities) {
      logLoss = state[at + LOG_LOSS] / weight;
      baseRateLogLoss = LogLoss.binaryEntropy(meanLabel);
      calibrationError = bins > 0 && weight > 0 ? 0 : Double.NaN;
      for (int b = 0; b < bins; b++) {
        int bin = at + SUMS + 3 * b;
        double binWeight = state[bin];
        double binPrediction = state[bin + 1] / binWeight;
        double binLabel = state[bin + 2] / binWeight;
        reliability.add(new ReliabilityBin((double) b / bins, (double) (b + 1) / bins, binWeight,
            binPrediction, binLabel));
        if (binWeight > 0 && weight > 0) {
          calibrationError += binWeight / weight * Math.abs(binPrediction - binLabel);
        }
      }
    }
    return new View(state[at + COUNT], weight, logLoss, baseRateLogLoss, auc,
        Math.sqrt(state[at + SQUARED_ERROR] / weight),
        Math.sqrt(Math.max(0, meanLabelSquared - meanLabel * meanLabel)), meanPrediction,
        meanLabel, meanLabel != 0 ? meanPrediction / meanLabel : Double.NaN, calibrationError,
        reliability);
  }

  /** The AUC over the ring: the windowed view's records, or all of them faded by age. */
  private double ringAuc(boolean fading) {
    int size = (int) state[RING_SIZE];
    int n = fading ? size : (int) Math.min(size, state[SINCE_REPORT]);
    if (n == 0) {
      return Double.NaN;
    }
    if (order == null) {
      order = new int[window];
      sortScratch = new int[window];
      scores = new double[window];
      labels = new double[window];
      weights = new double[window];
    }
    // Copy the n newest records, newest first: record k has age k.
    int at = (int) state[RING_NEXT];
    double decay = 1;
    for (int k = 0; k < n; k++) {
      at = at == 0 ? window - 1 : at - 1;
      scores[k] = state[scoresAt + at];
      labels[k] = state[labelsAt + at];
      weights[k] = state[weightsAt + at] * decay;
      order[k] = k;
      if (fading) {
        decay *= alpha;
      }
    }
    Auc.sortByScore(scores, order, sortScratch, n);
    return Auc.ofSorted(scores, labels, weights, order, n);
  }
}
