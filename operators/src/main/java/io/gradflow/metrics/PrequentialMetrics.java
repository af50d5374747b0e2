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
 * both views. The AUC, by default ({@code metrics.window} 0), comes from a histogram of scores per
 * view ({@link AucHistogram}: 128 logit bins, 2 kB), whose AUC is within a bound it computes
 * itself of the exact AUC ({@link #aucErrorBound}); the fading view's histogram weights every
 * record by {@code alpha^age}, all records, with a running scale instead of decaying every bin
 * per record. With {@code metrics.window} N > 0 the last N records are kept in a ring as well and
 * the AUC is computed exactly from them at report time, over the windowed view's records (the
 * last {@code min(N, records since the report)}) and, for the fading view, over all N weighted by
 * {@code alpha^age} (truncated at N); sorting at report time is the sliding-window AUC of
 * Brzezinski and Stefanowski 2017 ("Prequential AUC") without their tree.
 *
 * <h2>State</h2>
 * One flat {@code double[]} ({@link #copyState()}, {@link #restore}), for the trainer's keyed
 * state ({@code ValueState<double[]>}, Flink's primitive array serializer), format 2:
 *
 * <pre>
 *   [0 .. 9)                 header: format version, N, bins, examples, rejected, ring next,
 *                            ring size, records since the report, the fading histogram's scale
 *   [9 .. 9 + V)             windowed sums       V = 7 + 3 * bins:  count, weight, w*logloss,
 *   [9 + V .. 9 + 2V)        fading sums         w*(p-y)^2, w*p, w*y, w*y^2, then per bin
 *                                                (weight, w*p, w*y)
 *   then H, H                the windowed and the fading AUC histograms (H = 256 doubles each,
 *                            for probabilities only, else 0)
 *   then N predictions, N labels, N weights      the ring of the latest records (N may be 0)
 * </pre>
 *
 * Format 1 (before the histograms: a 8-double header and the ring) restores: its sums and ring are
 * kept, the histograms are built from the ring, and the ring is dropped if N changed.
 *
 * <p>Format 3 ({@link #compactState()}, what the trainer stores) is format 2 without its zeros:
 * {@code [3, length L of the format-2 array]}, then a map of the nonzero values (32 bits per
 * double, as integers: {@code ceil(L / 32)} doubles), then those values in order.
 * A model that has seen a few examples fills a few of the 2 x 128 histogram bins and of the
 * calibration bins, so its state takes a few hundred bytes instead of 4.8 kB, in keyed state, in
 * checkpoints and in the copies a trainer makes when a model leaves memory and comes back.
 *
 * <h2>Sparse histograms in memory</h2>
 * Without a ring ({@code metrics.window} 0) and for probabilities, the metrics keep their
 * histograms sparse while few of their bins hold a mass: {@link #state} is then the values before
 * the histograms ({@code P = 9 + 2V} doubles, 83 with the default 10 bins) followed by
 * {@code (k, mass)} pairs, sorted by {@code k}, for the nonzero histogram values ({@code k} is the
 * value's place after {@code P} in format 2). A record adds to its pairs exactly what it would add
 * to the format-2 array (the same products, a missing pair counting as the array's zero), so every
 * value, report and stored form is the format-2 array's, bit for bit; with more than
 * {@value #SPARSE_PAIRS} pairs the metrics turn into the format-2 array for good. Thousands of
 * tenants that each measured a few examples so keep about a kilobyte each in memory, and a
 * tenant's first example, a restore from the compact form and a record allocate no 4.8 kB array.
 *
 * <p>Memory: sparse, {@code P + 2 * pairs} doubles and some room to grow (at most 2.7 kB with
 * the default 10 bins); else {@code 9 + 2 (7 + 3 bins) + 2 H + 3 N} doubles: 4.8 kB with the
 * default 10 bins and N = 0 (240 kB more for N = 10,000), plus, with N > 0, scratch of 2 ints and
 * 3 doubles per record that {@link #snapshot()} allocates once and reuses. Recording costs O(1)
 * (a logarithm) plus O(bins) (sparse: a binary search over the pairs, and when a pair is new a
 * shift of the pairs after it and now and then a larger array); a snapshot costs O(H) (sparse: it
 * allocates the format-2 array), or O(N log N) with a ring. Not thread-safe: one instance per
 * model key, used by the operator's task thread.
 */
public final class PrequentialMetrics {
  private static final double FORMAT = 2;
  private static final double FORMAT_1 = 1;
  /** The compact form of format 2 ({@link #compactState()}). */
  private static final double FORMAT_COMPACT = 3;
  /**
   * Pairs the sparse histograms hold at most ({@link #SPARSE_PAIRS} x 16 bytes: about half the
   * 4 kB of the histograms' array); one more turns the metrics into the format-2 array.
   */
  static final int SPARSE_PAIRS = 128;
  /** Room for pairs in new sparse metrics: a first record adds two. */
  private static final int FIRST_PAIRS = 4;
  private static final int COMPACT_HEADER = 2;
  /** Bits of the nonzero map per double of the compact form (exact as an integer). */
  private static final int MAP_BITS = 32;
  private static final int HEADER_1 = 8;
  private static final int VERSION = 0;
  private static final int WINDOW = 1;
  private static final int BINS = 2;
  private static final int EXAMPLES = 3;
  private static final int REJECTED = 4;
  private static final int RING_NEXT = 5;
  private static final int RING_SIZE = 6;
  private static final int SINCE_REPORT = 7;
  /** The weight of the newest record in the fading histogram: 1 / alpha^(records since reset). */
  private static final int FADE_SCALE = 8;
  private static final int HEADER = 9;
  /** The fading histogram is rescaled to 1 before its scale reaches this. */
  private static final double MAX_SCALE = 1e100;

  private static final int COUNT = 0;
  private static final int WEIGHT = 1;
  private static final int LOG_LOSS = 2;
  private static final int SQUARED_ERROR = 3;
  private static final int PREDICTION = 4;
  private static final int LABEL = 5;
  private static final int LABEL_SQUARED = 6;
  private static final int SUMS = 7;

  /**
   * Where a spec's values lie in the state: the same for every metrics of that spec, so metrics
   * share one (a tenant's metrics then cost 32 bytes besides their array). Immutable.
   */
  private static final class Layout {
    final MetricsSpec spec;
    final boolean probabilities;
    final int window;
    final int bins;
    final double alpha;
    final int sumsSize;
    final int windowedAt;
    final int fadingAt;
    /** Doubles of one AUC histogram: {@link AucHistogram#SIZE} for probabilities, else 0. */
    final int histogramSize;
    final int windowedHistogramAt;
    final int fadingHistogramAt;
    final int scoresAt;
    final int labelsAt;
    final int weightsAt;

    Layout(MetricsSpec spec, boolean probabilities) {
      this.spec = spec;
      this.probabilities = probabilities;
      this.window = spec.window();
      this.bins = probabilities ? spec.calibrationBins() : 0;
      this.alpha = spec.fadingFactor();
      this.sumsSize = SUMS + 3 * bins;
      this.windowedAt = HEADER;
      this.fadingAt = HEADER + sumsSize;
      this.histogramSize = probabilities ? AucHistogram.SIZE : 0;
      this.windowedHistogramAt = HEADER + 2 * sumsSize;
      this.fadingHistogramAt = windowedHistogramAt + histogramSize;
      this.scoresAt = fadingHistogramAt + histogramSize;
      this.labelsAt = scoresAt + window;
      this.weightsAt = labelsAt + window;
    }

    /**
     * The layout of {@code spec}: the last one made if it is that spec's (a subtask's learners
     * share one spec), else a new one. Thread-safe: a layout is immutable, and a thread that
     * misses another's makes its own.
     */
    static Layout of(MetricsSpec spec, boolean probabilities) {
      Layout last = lastLayout;
      if (last != null && last.probabilities == probabilities && last.spec.equals(spec)) {
        return last;
      }
      last = new Layout(spec, probabilities);
      lastLayout = last;
      return last;
    }
  }

  private static volatile Layout lastLayout;

  private final Layout layout;
  /** Format 2; or, while {@link #pairs} >= 0, its values before the histograms, then pairs. */
  private double[] state;
  /**
   * The number of (k, mass) pairs after the first {@code windowedHistogramAt} values of
   * {@link #state} while the histograms are sparse (see the class comment); -1 once
   * {@link #state} is the format-2 array.
   */
  private int pairs;
  /** Report-time scratch of the ring's AUC, not state; null until a ring's first snapshot. */
  private RingScratch ringScratch;

  /** {@link #ringAuc}'s arrays: 2 ints and 3 doubles per record of the ring. */
  private static final class RingScratch {
    final int[] order;
    final int[] sortScratch;
    final double[] scores;
    final double[] labels;
    final double[] weights;

    RingScratch(int window) {
      order = new int[window];
      sortScratch = new int[window];
      scores = new double[window];
      labels = new double[window];
      weights = new double[window];
    }
  }

  /**
   * @param probabilities whether predictions are probabilities (logistic loss): enables log loss,
   *     AUC and the reliability bins, and refuses predictions and labels outside [0, 1]
   */
  public PrequentialMetrics(MetricsSpec spec, boolean probabilities) {
    this(spec, probabilities, null, 0);
  }

  /**
   * New metrics (if {@code adopted} is null; sparse if they can be and {@code pairs} is not
   * negative), or metrics whose state is {@code adopted} with {@code pairs} pairs (-1: format 2).
   */
  private PrequentialMetrics(MetricsSpec spec, boolean probabilities, double[] adopted,
      int pairs) {
    this.layout = Layout.of(spec, probabilities);
    if (adopted != null) {
      this.state = adopted;
      this.pairs = pairs;
      return;
    }
    Layout l = layout;
    // Sparse only where it helps: histograms without a ring (a ring is as large as it is).
    this.pairs = pairs >= 0 && l.histogramSize > 0 && l.window == 0 ? 0 : -1;
    this.state = new double[this.pairs < 0 ? l.weightsAt + l.window
        : l.windowedHistogramAt + 2 * FIRST_PAIRS];
    state[VERSION] = FORMAT;
    state[WINDOW] = l.window;
    state[BINS] = l.bins;
    state[FADE_SCALE] = 1;
  }

  /**
   * Metrics that continue from a state written by {@link #compactState()} (format 3) or
   * {@link #copyState()} (format 2, or format 1, see the class comment) under the same calibration
   * bins and kind of prediction. The fading factor may change; so may the window, which keeps the
   * sums and histograms and starts the ring empty. A compact state of this spec restores with
   * sparse histograms if it has few histogram values (see the class comment); any other state
   * restores into the format-2 array.
   *
   * @throws IllegalArgumentException if the state does not fit the spec; the caller may then
   *     start new metrics
   */
  public static PrequentialMetrics restore(MetricsSpec spec, boolean probabilities,
      double[] state) {
    boolean compact = state.length >= COMPACT_HEADER && state[VERSION] == FORMAT_COMPACT;
    if (compact) {
      int full = stateSize(spec, probabilities);
      int prefix = HEADER + 2 * (SUMS + 3 * (probabilities ? spec.calibrationBins() : 0));
      boolean sparse = probabilities && spec.window() == 0 && state[1] == full;
      double[] form = state;
      state = expand(form, sparse ? prefix : Integer.MAX_VALUE);
      // The expanded array is this restore's own: when it fits as it is, it becomes the state
      // (no second array, no copy; the checks below would keep every value of it anyway).
      if ((state.length == full || sparse) && state[VERSION] == FORMAT
          && state[WINDOW] == spec.window()
          && state[BINS] == (probabilities ? spec.calibrationBins() : 0)) {
        return new PrequentialMetrics(spec, probabilities, state,
            state.length == full ? -1 : (state.length - prefix) / 2);
      }
      if (state.length != form[1]) {
        state = expand(form, Integer.MAX_VALUE); // sparse, but not of this spec: checked below
      }
    }
    PrequentialMetrics metrics = new PrequentialMetrics(spec, probabilities, null, -1);
    double[] s = metrics.state;
    Layout l = metrics.layout;
    boolean v1 = state.length >= HEADER_1 && state[VERSION] == FORMAT_1;
    int header = v1 ? HEADER_1 : HEADER;
    int window = state.length > WINDOW ? (int) state[WINDOW] : -1;
    int histograms = v1 ? 0 : 2 * l.histogramSize;
    if (!(v1 || state.length >= HEADER && state[VERSION] == FORMAT) || state[BINS] != s[BINS]
        || state.length != header + 2 * l.sumsSize + histograms + 3 * window) {
      throw new IllegalArgumentException("the metrics state does not match the configuration:"
          + " it was written with " + header(state, BINS) + " calibration bins ("
          + state.length + " doubles, format " + header(state, VERSION) + "), but the"
          + " configuration has " + (long) s[BINS] + (probabilities ? " for probabilities"
          : " for real values") + "; start new metrics or restore the previous settings");
    }
    s[EXAMPLES] = state[EXAMPLES];
    s[REJECTED] = state[REJECTED];
    s[SINCE_REPORT] = state[SINCE_REPORT];
    System.arraycopy(state, header, s, HEADER, 2 * l.sumsSize);
    int oldScores = header + 2 * l.sumsSize + histograms;
    if (v1) {
      metrics.histogramsFromRing(state, oldScores, window);
    } else {
      s[FADE_SCALE] = state[FADE_SCALE];
      System.arraycopy(state, HEADER + 2 * l.sumsSize, s, l.windowedHistogramAt,
          histograms);
    }
    if (window == l.window && window > 0) {
      s[RING_NEXT] = state[RING_NEXT];
      s[RING_SIZE] = state[RING_SIZE];
      System.arraycopy(state, oldScores, s, l.scoresAt, 3 * window);
    }
    return metrics;
  }

  /** Whether the histograms are sparse (see the class comment); for tests. */
  boolean sparse() {
    return pairs >= 0;
  }

  /**
   * The histograms of a format-1 state from its ring of {@code window} records at
   * {@code scoresAt}: the windowed one from the records since the report, the fading one from all
   * of them weighted by {@code alpha^age}.
   */
  private void histogramsFromRing(double[] old, int scoresAt, int window) {
    if (layout.histogramSize == 0) {
      return;
    }
    int size = (int) old[RING_SIZE];
    long since = (long) old[SINCE_REPORT];
    int at = (int) old[RING_NEXT];
    double decay = 1;
    for (int age = 0; age < size; age++) {
      at = at == 0 ? window - 1 : at - 1;
      double p = old[scoresAt + at];
      double y = old[scoresAt + window + at];
      double w = old[scoresAt + 2 * window + at];
      if (age < since) {
        AucHistogram.add(state, layout.windowedHistogramAt, p, y, w);
      }
      AucHistogram.add(state, layout.fadingHistogramAt, p, y, w * decay);
      decay *= layout.alpha;
    }
    state[FADE_SCALE] = 1;
  }

  private static String header(double[] state, int at) {
    return state.length > at ? Long.toString((long) state[at]) : "?";
  }

  /** The number of doubles in the state for this spec. */
  public static int stateSize(MetricsSpec spec, boolean probabilities) {
    int b = probabilities ? spec.calibrationBins() : 0;
    return HEADER + 2 * (SUMS + 3 * b) + (probabilities ? 2 * AucHistogram.SIZE : 0)
        + 3 * spec.window();
  }

  /** Records accepted since the metrics were created or restored from their start. */
  public long examples() {
    return (long) state[EXAMPLES];
  }

  public MetricsSpec spec() {
    return layout.spec;
  }

  /** A copy of the whole state (format 2). */
  public double[] copyState() {
    if (pairs < 0) {
      return state.clone();
    }
    double[] full = new double[layout.weightsAt + layout.window];
    System.arraycopy(state, 0, full, 0, layout.windowedHistogramAt);
    for (int p = layout.windowedHistogramAt; p < layout.windowedHistogramAt + 2 * pairs; p += 2) {
      full[layout.windowedHistogramAt + (int) state[p]] = state[p + 1];
    }
    return full;
  }

  /**
   * The whole state in the compact form {@link #restore} reads (format 3, see the class
   * comment): the format-2 array without its zeros, so a model that has seen few
   * examples stores a few hundred bytes instead of {@link #stateSize} doubles. Exact: every
   * value, signed zeros and NaNs included, is restored bit for bit. For keyed state.
   */
  public double[] compactState() {
    return pairs < 0 ? compact(state)
        : compact(state, layout.windowedHistogramAt, pairs, layout.weightsAt + layout.window);
  }

  /**
   * {@code full} (format 2) without its zeros: {@code [3, full.length]}, then
   * {@code ceil(full.length / 32)} map words, word {@code k} holding as an integer in [0, 2^32)
   * the bits {@code b} for which {@code full[32 k + b]} is not zero, then those values in order. A
   * value is zero only if all its bits are (so -0.0 is kept).
   */
  static double[] compact(double[] full) {
    return compact(full, full.length, 0, full.length);
  }

  /**
   * {@link #compact(double[])} of the format-2 array of {@code length} values that {@code state}
   * holds as its first {@code prefix} values, then {@code pairs} pairs (place after
   * {@code prefix}, value) in increasing places; the others are zero.
   */
  private static double[] compact(double[] state, int prefix, int pairs, int length) {
    int words = (length + MAP_BITS - 1) / MAP_BITS;
    int values = 0;
    for (int e = 0; e < prefix + pairs; e++) {
      values += Double.doubleToRawLongBits(state[e < prefix ? e : e + e - prefix + 1]) != 0
          ? 1 : 0;
    }
    double[] out = new double[COMPACT_HEADER + words + values];
    out[VERSION] = FORMAT_COMPACT;
    out[1] = length;
    long[] map = new long[words];
    int n = COMPACT_HEADER + words;
    // Entry e < prefix is value e; entry prefix + p is pair p, at prefix + 2p = e + e - prefix.
    for (int e = 0; e < prefix + pairs; e++) {
      int i = e < prefix ? e : prefix + (int) state[e + e - prefix];
      double value = state[e < prefix ? e : e + e - prefix + 1];
      if (Double.doubleToRawLongBits(value) != 0) {
        map[i / MAP_BITS] |= 1L << (i % MAP_BITS);
        out[n++] = value;
      }
    }
    for (int w = 0; w < words; w++) {
      out[COMPACT_HEADER + w] = map[w];
    }
    return out;
  }

  /** The format-2 array a {@link #compact} form holds. */
  static double[] expand(double[] compact) {
    return expand(compact, Integer.MAX_VALUE);
  }

  /**
   * The format-2 array a {@link #compact} form holds; or, if it has at most
   * {@link #SPARSE_PAIRS} nonzero values at or after {@code prefix}, its first {@code prefix}
   * values followed by a (place after {@code prefix}, value) pair per such value, in order (the
   * sparse state, see the class comment): an array shorter than the form's length.
   */
  private static double[] expand(double[] compact, int prefix) {
    long length = compact.length > 1 ? (long) compact[1] : -1;
    if (compact.length < COMPACT_HEADER || compact[1] != length || length < 0
        || length > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("the compact metrics state is damaged: length "
          + (compact.length > 1 ? compact[1] : "missing"));
    }
    int words = (int) ((length + MAP_BITS - 1) / MAP_BITS);
    int tail = 0; // values at or after prefix (a damaged map is refused below)
    for (int w = prefix / MAP_BITS; w < words && COMPACT_HEADER + w < compact.length; w++) {
      long map = (long) compact[COMPACT_HEADER + w] & 0xffffffffL;
      tail += Long.bitCount(w == prefix / MAP_BITS ? map & (-1L << (prefix % MAP_BITS)) : map);
    }
    if (tail > SPARSE_PAIRS) {
      prefix = Integer.MAX_VALUE;
    }
    double[] full = new double[prefix < length ? prefix + 2 * tail : (int) length];
    int n = COMPACT_HEADER + words;
    int pair = prefix;
    for (int w = 0; w < words && n <= compact.length; w++) {
      double word = compact[COMPACT_HEADER + w];
      long map = (long) word;
      if (word != map || map < 0 || map >>> Math.min(MAP_BITS, length - (long) w * MAP_BITS) != 0
          || n + Long.bitCount(map) > compact.length) {
        n = -1;
        break;
      }
      for (; map != 0; map &= map - 1) {
        int i = w * MAP_BITS + Long.numberOfTrailingZeros(map);
        if (i < prefix) {
          full[i] = compact[n++];
        } else {
          full[pair++] = i - prefix;
          full[pair++] = compact[n++];
        }
      }
    }
    if (n != compact.length) {
      throw new IllegalArgumentException("the compact metrics state is damaged: its map does not"
          + " match its " + compact.length + " doubles (length " + length + ")");
    }
    return full;
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
        || layout.probabilities
        && !(prediction >= 0 && prediction <= 1 && label >= 0 && label <= 1)) {
      state[REJECTED]++;
      return false;
    }
    double logLoss = layout.probabilities ? weight * LogLoss.of(prediction, label) : 0;
    double error = prediction - label;
    if (!(fits(layout.windowedAt, 1, weight, logLoss, error, prediction, label)
        && fits(layout.fadingAt, layout.alpha, weight, logLoss, error, prediction, label))) {
      state[REJECTED]++;
      return false;
    }
    int bin = -1;
    if (layout.bins > 0) {
      bin = SUMS + 3 * Math.min((int) (prediction * layout.bins), layout.bins - 1);
    }
    // The windowed view adds; the fading view decays by alpha first.
    for (int view = layout.windowedAt, pass = 0; pass < 2; view = layout.fadingAt, pass++) {
      if (pass == 1 && layout.alpha != 1) {
        for (int i = view; i < view + layout.sumsSize; i++) {
          state[i] *= layout.alpha;
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
    if (layout.probabilities) {
      // AucHistogram.addToBin's sums, into the format-2 array or its sparse pairs.
      int b = AucHistogram.bin(prediction);
      addToHistograms(b, weight * label);
      addToHistograms(AucHistogram.BINS + b, weight * (1 - label));
      double scale = state[FADE_SCALE];
      if (layout.alpha != 1) {
        scale /= layout.alpha;
        if (scale > MAX_SCALE) {
          scaleFading(1 / scale);
          scale = 1;
        }
        state[FADE_SCALE] = scale;
      }
      double faded = weight * scale;
      addToHistograms(layout.histogramSize + b, faded * label);
      addToHistograms(layout.histogramSize + AucHistogram.BINS + b, faded * (1 - label));
    }
    if (layout.probabilities && layout.window > 0) {
      int next = (int) state[RING_NEXT];
      state[layout.scoresAt + next] = prediction;
      state[layout.labelsAt + next] = label;
      state[layout.weightsAt + next] = weight;
      state[RING_NEXT] = next + 1 == layout.window ? 0 : next + 1;
      state[RING_SIZE] = Math.min(layout.window, state[RING_SIZE] + 1);
    }
    state[SINCE_REPORT]++;
    state[EXAMPLES]++;
    return true;
  }

  /**
   * Adds {@code mass} to histogram value {@code k} (format 2's value {@code k} after the sums),
   * exactly as the format-2 array's {@code +=}: in sparse metrics a pair that is missing counts as
   * that array's zero, and a sum that stays zero adds no pair.
   */
  private void addToHistograms(int k, double mass) {
    if (pairs < 0) {
      state[layout.windowedHistogramAt + k] += mass;
      return;
    }
    int base = layout.windowedHistogramAt;
    int low = 0;
    int high = pairs - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      double at = state[base + 2 * mid];
      if (at < k) {
        low = mid + 1;
      } else if (at > k) {
        high = mid - 1;
      } else {
        state[base + 2 * mid + 1] += mass;
        return;
      }
    }
    double sum = 0.0 + mass; // as the array's zero becomes: -0.0 stays out
    if (Double.doubleToRawLongBits(sum) == 0) {
      return;
    }
    if (pairs == SPARSE_PAIRS) {
      state = copyState(); // for good: a model this busy keeps measuring
      pairs = -1;
      state[base + k] = sum;
      return;
    }
    if (base + 2 * pairs == state.length) {
      state = java.util.Arrays.copyOf(state,
          base + 2 * Math.min(SPARSE_PAIRS, pairs + pairs / 2 + FIRST_PAIRS));
    }
    System.arraycopy(state, base + 2 * low, state, base + 2 * low + 2, 2 * (pairs - low));
    state[base + 2 * low] = k;
    state[base + 2 * low + 1] = sum;
    pairs++;
  }

  /** Multiplies every mass of the fading histogram by {@code factor}, as AucHistogram.scale. */
  private void scaleFading(double factor) {
    if (pairs < 0) {
      AucHistogram.scale(state, layout.fadingHistogramAt, factor);
      return;
    }
    for (int p = layout.windowedHistogramAt; p < layout.windowedHistogramAt + 2 * pairs; p += 2) {
      if (state[p] >= layout.histogramSize) {
        state[p + 1] *= factor;
      }
    }
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
    if (layout.probabilities && layout.window > 0) {
      windowedAuc = ringAuc(false);
      fadingAuc = ringAuc(true);
    } else if (layout.probabilities && pairs < 0) {
      windowedAuc = AucHistogram.auc(state, layout.windowedHistogramAt);
      fadingAuc = AucHistogram.auc(state, layout.fadingHistogramAt);
    } else if (layout.probabilities) {
      windowedAuc = sparseHistogram(0, false);
      fadingAuc = sparseHistogram(layout.histogramSize, false);
    }
    return new MetricsSnapshot((long) state[EXAMPLES], (long) state[REJECTED],
        view(layout.windowedAt, windowedAuc), view(layout.fadingAt, fadingAuc));
  }

  /**
   * The bound on the distance of the windowed (or, if {@code fading}, the fading) view's AUC from
   * the exact AUC of its records ({@link AucHistogram#errorBound}): 0 when the AUC is computed
   * exactly from a ring ({@code metrics.window} > 0); NaN without both classes or probabilities.
   */
  public double aucErrorBound(boolean fading) {
    if (!layout.probabilities) {
      return Double.NaN;
    }
    if (layout.window > 0) {
      return 0;
    }
    if (pairs >= 0) {
      return sparseHistogram(fading ? layout.histogramSize : 0, true);
    }
    return AucHistogram.errorBound(state,
        fading ? layout.fadingHistogramAt : layout.windowedHistogramAt);
  }

  /**
   * {@link AucHistogram#auc} (or, if {@code bound}, {@link AucHistogram#errorBound}) of the
   * histogram at place {@code at} after the prefix (0: the windowed view's, {@code histogramSize}:
   * the fading view's) of sparse metrics, from their pairs alone: bit for bit the value over the
   * format-2 array ({@link #copyState()}), without building it. The bins are visited in the same
   * order with the same arithmetic; a bin without a pair holds +0.0 there, and its terms leave
   * every sum unchanged (sums that start at +0.0 never become -0.0, and {@code 0.0 * x} is a zero
   * for finite {@code x}). Should the negatives' running sum not be finite (the array's
   * {@code 0 * inf} would be NaN), the array is built after all. O(pairs), no allocation.
   */
  private double sparseHistogram(int at, boolean bound) {
    int base = layout.windowedHistogramAt;
    int end = base + 2 * pairs;
    int positive = base;
    while (positive < end && state[positive] < at) {
      positive += 2;
    }
    int negative = positive;
    while (negative < end && state[negative] < at + AucHistogram.BINS) {
      negative += 2;
    }
    int positivesEnd = negative;
    int negativesEnd = negative;
    while (negativesEnd < end && state[negativesEnd] < at + AucHistogram.SIZE) {
      negativesEnd += 2;
    }
    double negativesBelow = 0;
    double positives = 0;
    double area = 0;
    double sameBin = 0;
    while (positive < positivesEnd || negative < negativesEnd) {
      int positiveBin = positive < positivesEnd ? (int) state[positive] - at : Integer.MAX_VALUE;
      int negativeBin = negative < negativesEnd
          ? (int) state[negative] - at - AucHistogram.BINS : Integer.MAX_VALUE;
      int bin = Math.min(positiveBin, negativeBin);
      double pos = 0;
      double neg = 0;
      if (positiveBin == bin) {
        pos = state[positive + 1];
        positive += 2;
      }
      if (negativeBin == bin) {
        neg = state[negative + 1];
        negative += 2;
      }
      // AucHistogram.auc's and errorBound's loops, for this bin.
      area += pos * (negativesBelow + 0.5 * neg);
      sameBin += pos * neg;
      negativesBelow += neg;
      positives += pos;
    }
    if (bound) {
      return positives > 0 && negativesBelow > 0
          ? 0.5 * sameBin / (positives * negativesBelow) : Double.NaN;
    }
    if (!Double.isFinite(negativesBelow)) {
      return AucHistogram.auc(copyState(), base + at);
    }
    return positives > 0 && negativesBelow > 0
        ? area / (positives * negativesBelow) : Double.NaN;
  }

  /** {@link #snapshot()}, then starts a new window. */
  public MetricsSnapshot report() {
    MetricsSnapshot snapshot = snapshot();
    resetWindow();
    return snapshot;
  }

  /** Starts a new window: the windowed view restarts empty; the fading view is untouched. */
  public void resetWindow() {
    for (int i = layout.windowedAt; i < layout.windowedAt + layout.sumsSize; i++) {
      state[i] = 0;
    }
    state[SINCE_REPORT] = 0;
    if (pairs >= 0) {
      // The windowed histogram's pairs come first (places below histogramSize).
      int base = layout.windowedHistogramAt;
      int windowed = 0;
      while (windowed < pairs && state[base + 2 * windowed] < layout.histogramSize) {
        windowed++;
      }
      System.arraycopy(state, base + 2 * windowed, state, base, 2 * (pairs - windowed));
      pairs -= windowed;
    } else if (layout.histogramSize > 0) {
      AucHistogram.clear(state, layout.windowedHistogramAt);
    }
  }

  private View view(int at, double auc) {
    double weight = state[at + WEIGHT];
    double meanPrediction = state[at + PREDICTION] / weight;
    double meanLabel = state[at + LABEL] / weight;
    double meanLabelSquared = state[at + LABEL_SQUARED] / weight;
    double logLoss = Double.NaN;
    double baseRateLogLoss = Double.NaN;
    double calibrationError = Double.NaN;
    int bins = layout.bins;
    List<ReliabilityBin> reliability = new ArrayList<>(bins);
    if (layout.probabilities) {
      logLoss = state[at + LOG_LOSS] / weight;
      baseRateLogLoss = LogLoss.binaryEntropy(meanLabel);
      calibrationError = bins > 0 && weight > 0 ? 0 : Double.NaN;
      for (int b = 0; b < bins; b++) {
        int bin = at + SUMS + 3 * b;
        double binWeight = state[bin];
        double binPrediction = state[bin + 1] / binWeight;
        double binLabel = state[bin + 2] / binWeight;
        reliability.add(new ReliabilityBin((double) b / bins, (double) (b + 1) / bins,
            binWeight, binPrediction, binLabel));
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
    if (ringScratch == null) {
      ringScratch = new RingScratch(layout.window);
    }
    RingScratch r = ringScratch;
    // Copy the n newest records, newest first: record k has age k.
    int at = (int) state[RING_NEXT];
    double decay = 1;
    for (int k = 0; k < n; k++) {
      at = at == 0 ? layout.window - 1 : at - 1;
      r.scores[k] = state[layout.scoresAt + at];
      r.labels[k] = state[layout.labelsAt + at];
      r.weights[k] = state[layout.weightsAt + at] * decay;
      r.order[k] = k;
      if (fading) {
        decay *= layout.alpha;
      }
    }
    Auc.sortByScore(r.scores, r.order, r.sortScratch, n);
    return Auc.ofSorted(r.scores, r.labels, r.weights, r.order, n);
  }
}
