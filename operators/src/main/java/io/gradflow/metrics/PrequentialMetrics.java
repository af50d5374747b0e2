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
 * checkpoints and in the copies a trainer makes when a model leaves memory and comes back; a
 * restore from it allocates the one format-2 array the metrics then use.
 *
 * <p>Memory: {@code 9 + 2 (7 + 3 bins) + 2 H + 3 N} doubles: 4.8 kB with the default 10 bins and
 * N = 0 (240 kB more for N = 10,000), plus, with N > 0, scratch of 2 ints and 3 doubles per
 * record that {@link #snapshot()} allocates once and reuses. Recording costs O(1) (a logarithm)
 * plus O(bins) and allocates nothing; a snapshot costs O(H), or O(N log N) with a ring. Not
 * thread-safe: one instance per model key, used by the operator's task thread.
 */
public final class PrequentialMetrics {
  private static final double FORMAT = 2;
  private static final double FORMAT_1 = 1;
  /** The compact form of format 2 ({@link #compactState()}). */
  private static final double FORMAT_COMPACT = 3;
  /** The parked form ({@link #parkedState()}): in memory only, never stored. */
  private static final double FORMAT_PARKED = 4;
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

  private final MetricsSpec spec;
  private final boolean probabilities;
  private final int window;
  private final int bins;
  private final double alpha;
  private final int sumsSize;
  private final int windowedAt;
  private final int fadingAt;
  /** Doubles of one AUC histogram: {@link AucHistogram#SIZE} for probabilities, else 0. */
  private final int histogramSize;
  private final int windowedHistogramAt;
  private final int fadingHistogramAt;
  private final int scoresAt;
  private final int labelsAt;
  private final int weightsAt;
  private final double[] state;
  /**
   * Not state: a superset of the histogram bins that hold a nonzero mass, bit {@code k} for
   * {@code state[windowedHistogramAt + k]} (both histograms), so that {@link #compactState()}
   * reads the few bins a small model filled instead of all of them. Null when the ring
   * ({@code metrics.window} > 0) makes the whole state worth reading anyway.
   */
  private final long[] touched;

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
    this(spec, probabilities, null);
  }

  /** New metrics, or (if {@code adopted} is not null) metrics whose state is that array. */
  private PrequentialMetrics(MetricsSpec spec, boolean probabilities, double[] adopted) {
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
    this.touched = window > 0 ? null : new long[(2 * histogramSize + 63) / 64];
    if (adopted != null) {
      this.state = adopted;
      return;
    }
    this.state = new double[weightsAt + window];
    initialize();
  }

  /** The header of new metrics, in a zeroed state. */
  private void initialize() {
    state[VERSION] = FORMAT;
    state[WINDOW] = window;
    state[BINS] = bins;
    state[FADE_SCALE] = 1;
  }

  /**
   * New metrics, as {@link #PrequentialMetrics(MetricsSpec, boolean)} makes them, in
   * {@code spare} (an array {@link #retire()} gave up: all zeros; or null) if it has the right
   * length.
   */
  public static PrequentialMetrics create(MetricsSpec spec, boolean probabilities,
      double[] spare) {
    if (spare == null || spare.length != stateSize(spec, probabilities)) {
      return new PrequentialMetrics(spec, probabilities);
    }
    PrequentialMetrics metrics = new PrequentialMetrics(spec, probabilities, spare);
    metrics.initialize();
    return metrics;
  }

  /**
   * Metrics that continue from a state written by {@link #copyState()} (format 2, or format 1,
   * see the class comment) under the same calibration bins and kind of prediction. The fading
   * factor may change; so may the window, which keeps the sums and histograms and starts the ring
   * empty.
   *
   * @throws IllegalArgumentException if the state does not fit the spec; the caller may then
   *     start new metrics
   */
  public static PrequentialMetrics restore(MetricsSpec spec, boolean probabilities,
      double[] state) {
    return restore(spec, probabilities, state, null);
  }

  /**
   * {@link #restore(MetricsSpec, boolean, double[])}, reusing {@code spare} (an array
   * {@link #retire()} gave up: all zeros; or null) for the restored state if it has the right
   * length: a trainer whose models leave memory and come back keeps a few arrays going round
   * instead of allocating one per return.
   */
  public static PrequentialMetrics restore(MetricsSpec spec, boolean probabilities,
      double[] state, double[] spare) {
    if (isParked(state)) {
      return unpark(spec, probabilities, state, spare);
    }
    boolean compact = state.length >= COMPACT_HEADER && state[VERSION] == FORMAT_COMPACT;
    if (compact) {
      double[] form = state;
      state = expand(form, spare);
      // The expanded array is this restore's own: when it fits as it is, it becomes the state
      // (no second array, no copy; the checks below would keep every value of it anyway).
      if (state.length == stateSize(spec, probabilities) && state[VERSION] == FORMAT
          && state[WINDOW] == spec.window()
          && state[BINS] == (probabilities ? spec.calibrationBins() : 0)) {
        PrequentialMetrics metrics = new PrequentialMetrics(spec, probabilities, state);
        metrics.touch(form);
        return metrics;
      }
    }
    PrequentialMetrics metrics = new PrequentialMetrics(spec, probabilities);
    double[] s = metrics.state;
    boolean v1 = state.length >= HEADER_1 && state[VERSION] == FORMAT_1;
    int header = v1 ? HEADER_1 : HEADER;
    int window = state.length > WINDOW ? (int) state[WINDOW] : -1;
    int histograms = v1 ? 0 : 2 * metrics.histogramSize;
    if (!(v1 || state.length >= HEADER && state[VERSION] == FORMAT) || state[BINS] != s[BINS]
        || state.length != header + 2 * metrics.sumsSize + histograms + 3 * window) {
      throw new IllegalArgumentException("the metrics state does not match the configuration:"
          + " it was written with " + header(state, BINS) + " calibration bins ("
          + state.length + " doubles, format " + header(state, VERSION) + "), but the"
          + " configuration has " + (long) s[BINS] + (probabilities ? " for probabilities"
          : " for real values") + "; start new metrics or restore the previous settings");
    }
    s[EXAMPLES] = state[EXAMPLES];
    s[REJECTED] = state[REJECTED];
    s[SINCE_REPORT] = state[SINCE_REPORT];
    System.arraycopy(state, header, s, HEADER, 2 * metrics.sumsSize);
    int oldScores = header + 2 * metrics.sumsSize + histograms;
    if (v1) {
      metrics.histogramsFromRing(state, oldScores, window);
    } else {
      s[FADE_SCALE] = state[FADE_SCALE];
      System.arraycopy(state, HEADER + 2 * metrics.sumsSize, s, metrics.windowedHistogramAt,
          histograms);
    }
    if (metrics.touched != null) {
      java.util.Arrays.fill(metrics.touched, -1L); // every bin may have a mass
    }
    if (window == metrics.window && window > 0) {
      s[RING_NEXT] = state[RING_NEXT];
      s[RING_SIZE] = state[RING_SIZE];
      System.arraycopy(state, oldScores, s, metrics.scoresAt, 3 * window);
    }
    return metrics;
  }

  /**
   * The histograms of a format-1 state from its ring of {@code window} records at
   * {@code scoresAt}: the windowed one from the records since the report, the fading one from all
   * of them weighted by {@code alpha^age}.
   */
  private void histogramsFromRing(double[] old, int scoresAt, int window) {
    if (histogramSize == 0) {
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
        AucHistogram.add(state, windowedHistogramAt, p, y, w);
      }
      AucHistogram.add(state, fadingHistogramAt, p, y, w * decay);
      decay *= alpha;
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
    return spec;
  }

  /**
   * Gives up the state array, zeroed, for {@link #restore(MetricsSpec, boolean, double[],
   * double[])} or {@link #create} to reuse; these metrics must not be used afterwards. Without a
   * ring only the values that can be nonzero are cleared (the sums and the bins records touched,
   * as {@link #compactState()} reads them), so a model leaving memory does not clear 4.8 kB.
   */
  public double[] retire() {
    if (touched == null) {
      java.util.Arrays.fill(state, 0);
    } else {
      java.util.Arrays.fill(state, 0, windowedHistogramAt, 0);
      for (int t = 0; t < touched.length; t++) {
        for (long bits = touched[t]; bits != 0; bits &= bits - 1) {
          state[windowedHistogramAt + 64 * t + Long.numberOfTrailingZeros(bits)] = 0;
        }
      }
    }
    return state;
  }

  /**
   * The whole state in a form for memory only (not for keyed state: {@link #compactState()}),
   * which {@link #restore} reads back exactly and which costs little to make and to read: the
   * values before the histograms as they are (83 doubles with the default 10 bins), then a pair
   * (bin, mass) per nonzero histogram bin. Then {@link #retire()} usually follows.
   * With a ring ({@code metrics.window} > 0), the compact form.
   */
  public double[] parkedState() {
    if (touched == null) {
      return compactState();
    }
    int bins = 0;
    for (int t = 0; t < touched.length; t++) {
      for (long bits = touched[t]; bits != 0; bits &= bits - 1) {
        bins += (int) nonzero(state[windowedHistogramAt + 64 * t
            + Long.numberOfTrailingZeros(bits)]);
      }
    }
    double[] out = new double[windowedHistogramAt + 2 * bins];
    System.arraycopy(state, 0, out, 0, windowedHistogramAt);
    out[VERSION] = FORMAT_PARKED;
    int n = windowedHistogramAt;
    for (int t = 0; t < touched.length; t++) {
      for (long bits = touched[t]; bits != 0; bits &= bits - 1) {
        int k = 64 * t + Long.numberOfTrailingZeros(bits);
        double mass = state[windowedHistogramAt + k];
        if (nonzero(mass) != 0) { // a touched bin of the other class, or of a cleared window
          out[n++] = k;
          out[n++] = mass;
        }
      }
    }
    return out;
  }

  /** 1 if any bit of {@code value} is set (so -0.0 counts), else 0. */
  private static long nonzero(double value) {
    long bits = Double.doubleToRawLongBits(value);
    return (bits | -bits) >>> 63;
  }

  /** Whether {@code state} is in the form {@link #parkedState()} makes (memory only). */
  public static boolean isParked(double[] state) {
    return state.length > 0 && state[VERSION] == FORMAT_PARKED;
  }

  /** The metrics a {@link #parkedState()} of metrics of this spec holds. */
  private static PrequentialMetrics unpark(MetricsSpec spec, boolean probabilities,
      double[] parked, double[] spare) {
    PrequentialMetrics metrics = create(spec, probabilities, spare);
    int prefix = metrics.windowedHistogramAt;
    if (metrics.touched == null || parked.length < prefix || (parked.length - prefix) % 2 != 0
        || parked[WINDOW] != 0 || parked[BINS] != metrics.bins) {
      // Made in memory by metrics of the same spec: anything else is a bug, not a user's error.
      throw new IllegalStateException("parked metrics of another configuration: "
          + parked.length + " doubles, window " + parked[WINDOW] + ", " + parked[BINS]
          + " bins");
    }
    double[] s = metrics.state;
    System.arraycopy(parked, 0, s, 0, prefix);
    s[VERSION] = FORMAT;
    for (int n = prefix; n < parked.length; n += 2) {
      int k = (int) parked[n];
      s[prefix + k] = parked[n + 1];
      metrics.touched[k >>> 6] |= 1L << k;
    }
    return metrics;
  }

  /** A copy of the whole state (format 2). */
  public double[] copyState() {
    return state.clone();
  }

  /**
   * The whole state in the compact form {@link #restore} reads (format 3, see the class
   * comment): the format-2 array without its zeros, so a model that has seen few
   * examples stores a few hundred bytes instead of {@link #stateSize} doubles. Exact: every
   * value, signed zeros and NaNs included, is restored bit for bit. For keyed state.
   */
  public double[] compactState() {
    return touched == null ? compact(state) : compact(state, windowedHistogramAt, touched);
  }

  /**
   * {@code full} (format 2) without its zeros: {@code [3, full.length]}, then
   * {@code ceil(full.length / 32)} map words, word {@code k} holding as an integer in [0, 2^32)
   * the bits {@code b} for which {@code full[32 k + b]} is not zero, then those values in order. A
   * value is zero only if all its bits are (so -0.0 is kept).
   */
  static double[] compact(double[] full) {
    return compact(full, full.length, new long[0]);
  }

  /**
   * {@link #compact(double[])} of a {@code full} array whose values are zero except, at most,
   * those before {@code prefix} and those at {@code prefix + k} for the bits {@code k} set in
   * {@code touched}: only those are read.
   */
  private static double[] compact(double[] full, int prefix, long[] touched) {
    int words = (full.length + MAP_BITS - 1) / MAP_BITS;
    int values = 0;
    for (int i = 0; i < prefix; i++) {
      values += Double.doubleToRawLongBits(full[i]) != 0 ? 1 : 0;
    }
    for (int t = 0; t < touched.length; t++) {
      for (long bits = touched[t]; bits != 0; bits &= bits - 1) {
        values += Double.doubleToRawLongBits(full[prefix + 64 * t
            + Long.numberOfTrailingZeros(bits)]) != 0 ? 1 : 0;
      }
    }
    double[] out = new double[COMPACT_HEADER + words + values];
    out[VERSION] = FORMAT_COMPACT;
    out[1] = full.length;
    long[] map = new long[words];
    int n = COMPACT_HEADER + words;
    for (int i = 0; i < prefix; i++) {
      if (Double.doubleToRawLongBits(full[i]) != 0) {
        map[i / MAP_BITS] |= 1L << (i % MAP_BITS);
        out[n++] = full[i];
      }
    }
    for (int t = 0; t < touched.length; t++) {
      for (long bits = touched[t]; bits != 0; bits &= bits - 1) {
        int i = prefix + 64 * t + Long.numberOfTrailingZeros(bits);
        if (Double.doubleToRawLongBits(full[i]) != 0) {
          map[i / MAP_BITS] |= 1L << (i % MAP_BITS);
          out[n++] = full[i];
        }
      }
    }
    for (int w = 0; w < words; w++) {
      out[COMPACT_HEADER + w] = map[w];
    }
    return out;
  }

  /** Marks the histogram bins the map of {@code compact} (a valid compact form) says are set. */
  private void touch(double[] compact) {
    if (touched == null) {
      return;
    }
    int words = (state.length + MAP_BITS - 1) / MAP_BITS;
    int end = windowedHistogramAt + 2 * histogramSize;
    // Only the words over the histograms, without the bits of the values before them.
    for (int w = windowedHistogramAt / MAP_BITS; w < words && w * MAP_BITS < end; w++) {
      long map = (long) compact[COMPACT_HEADER + w];
      if (w == windowedHistogramAt / MAP_BITS) {
        map &= -1L << (windowedHistogramAt % MAP_BITS);
      }
      for (; map != 0; map &= map - 1) {
        int k = w * MAP_BITS + Long.numberOfTrailingZeros(map) - windowedHistogramAt;
        if (k < 2 * histogramSize) {
          touched[k >>> 6] |= 1L << k;
        }
      }
    }
  }

  /** The format-2 array a {@link #compact} form holds. */
  static double[] expand(double[] compact) {
    return expand(compact, null);
  }

  /**
   * The format-2 array a {@link #compact} form holds, in {@code into} (all zeros, as
   * {@link #retire()} leaves it) if it has the right length, else in a new array.
   */
  private static double[] expand(double[] compact, double[] into) {
    long length = compact.length > 1 ? (long) compact[1] : -1;
    if (compact.length < COMPACT_HEADER || compact[1] != length || length < 0
        || length > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("the compact metrics state is damaged: length "
          + (compact.length > 1 ? compact[1] : "missing"));
    }
    double[] full;
    if (into != null && into.length == length) {
      full = into;
    } else {
      full = new double[(int) length];
    }
    int words = (full.length + MAP_BITS - 1) / MAP_BITS;
    int n = COMPACT_HEADER + words;
    for (int w = 0; w < words && n <= compact.length; w++) {
      double word = compact[COMPACT_HEADER + w];
      long map = (long) word;
      if (word != map || map < 0 || map >>> Math.min(MAP_BITS, full.length - w * MAP_BITS) != 0
          || n + Long.bitCount(map) > compact.length) {
        n = -1;
        break;
      }
      while (map != 0) {
        full[w * MAP_BITS + Long.numberOfTrailingZeros(map)] = compact[n++];
        map &= map - 1;
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
      int b = AucHistogram.bin(prediction);
      AucHistogram.addToBin(state, windowedHistogramAt, b, label, weight);
      if (touched != null) {
        // Bins b of the windowed and the fading histogram, positive and negative masses.
        for (int k = b; k < 2 * AucHistogram.SIZE; k += AucHistogram.BINS) {
          touched[k >>> 6] |= 1L << k;
        }
      }
      double scale = state[FADE_SCALE];
      if (alpha != 1) {
        scale /= alpha;
        if (scale > MAX_SCALE) {
          AucHistogram.scale(state, fadingHistogramAt, 1 / scale);
          scale = 1;
        }
        state[FADE_SCALE] = scale;
      }
      AucHistogram.addToBin(state, fadingHistogramAt, b, label, weight * scale);
    }
    if (probabilities && window > 0) {
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
    if (probabilities && window > 0) {
      windowedAuc = ringAuc(false);
      fadingAuc = ringAuc(true);
    } else if (probabilities) {
      windowedAuc = AucHistogram.auc(state, windowedHistogramAt);
      fadingAuc = AucHistogram.auc(state, fadingHistogramAt);
    }
    return new MetricsSnapshot((long) state[EXAMPLES], (long) state[REJECTED],
        view(windowedAt, windowedAuc), view(fadingAt, fadingAuc));
  }

  /**
   * The bound on the distance of the windowed (or, if {@code fading}, the fading) view's AUC from
   * the exact AUC of its records ({@link AucHistogram#errorBound}): 0 when the AUC is computed
   * exactly from a ring ({@code metrics.window} > 0); NaN without both classes or probabilities.
   */
  public double aucErrorBound(boolean fading) {
    if (!probabilities) {
      return Double.NaN;
    }
    if (window > 0) {
      return 0;
    }
    return AucHistogram.errorBound(state, fading ? fadingHistogramAt : windowedHistogramAt);
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
    if (histogramSize > 0) {
      AucHistogram.clear(state, windowedHistogramAt);
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
