package io.gradflow.metrics;

/**
 * The AUC of weighted (probability, label) records from a fixed histogram instead of the records:
 * {@value #BINS} bins of equal width in the logit {@code ln(p / (1 - p))} over
 * [-{@value #LOGIT_RANGE}, {@value #LOGIT_RANGE}] (probabilities 3.4e-4 to 0.99966; the end bins
 * also take everything beyond, 0 and 1 included), each holding the positive mass {@code w y} and
 * the negative mass {@code w (1 - y)} of its records, as {@link Auc} defines them. Logit bins
 * resolve the small probabilities of click-through rates as finely as the middle ones.
 *
 * <p><b>Error.</b> The histogram's AUC ({@link #auc}) counts every positive-negative pair in
 * different bins exactly as {@link Auc} does (bins are ordered by score), and every pair in the
 * same bin as one half (a tie), where the exact value counts it 0, 1/2 or 1. So
 * {@code |auc - exact| <= errorBound = (1/2) sum_b P_b N_b / (P N)}, half the share of
 * positive-negative pairs that share a bin, which {@link #errorBound} computes from the same
 * histogram: a guaranteed, per-report bound (AucHistogramTest holds it against the exact AUC). It
 * is small when scores spread over many bins (about 1/(4 k) when spread evenly over k bins) and
 * reaches 1/2 only if every score falls in one bin; the actual error is usually far smaller,
 * since pairs within a bin are about as often in order as not.
 *
 * <p>Memory: {@code 2 * BINS} doubles (2 kB) per histogram, at {@code at} in a caller's array
 * (positive masses, then negative masses). Adding costs one logarithm; the AUC O(bins).
 * Stateless and thread-safe.
 */
public final class AucHistogram {
  /** Bins per histogram. */
  public static final int BINS = 128;
  /** The logit range the bins divide: bins are 16/128 = 0.125 wide in the logit. */
  public static final double LOGIT_RANGE = 8;
  /** Doubles a histogram takes. */
  public static final int SIZE = 2 * BINS;

  private AucHistogram() {}

  /** The bin of a probability in [0, 1]. */
  public static int bin(double p) {
    double logit = Math.log(p / (1 - p));
    double x = (logit + LOGIT_RANGE) * (BINS / (2 * LOGIT_RANGE));
    // NaN cannot occur for p in [0, 1]: 0 and 1 give -inf and +inf, clamped to the end bins.
    return x <= 0 ? 0 : x >= BINS ? BINS - 1 : (int) x;
  }

  /** Adds a record of probability {@code p}, label {@code label} and weight {@code weight}. */
  public static void add(double[] h, int at, double p, double label, double weight) {
    addToBin(h, at, bin(p), label, weight);
  }

  /** Adds a record of label {@code label} and weight {@code weight} to bin {@code b}. */
  public static void addToBin(double[] h, int at, int b, double label, double weight) {
    h[at + b] += weight * label;
    h[at + BINS + b] += weight * (1 - label);
  }

  /** Multiplies every mass by {@code factor} (which leaves the AUC and its bound unchanged). */
  public static void scale(double[] h, int at, double factor) {
    for (int i = at; i < at + SIZE; i++) {
      h[i] *= factor;
    }
  }

  /** Empties the histogram. */
  public static void clear(double[] h, int at) {
    java.util.Arrays.fill(h, at, at + SIZE, 0);
  }

  /** The AUC with ties within a bin (see the class comment); NaN without both classes. */
  public static double auc(double[] h, int at) {
    double negativesBelow = 0;
    double positives = 0;
    double area = 0;
    for (int b = 0; b < BINS; b++) {
      double pos = h[at + b];
      double neg = h[at + BINS + b];
      area += pos * (negativesBelow + 0.5 * neg);
      negativesBelow += neg;
      positives += pos;
    }
    return positives > 0 && negativesBelow > 0 ? area / (positives * negativesBelow) : Double.NaN;
  }

  /**
   * The bound on {@code |auc - exact AUC|}: half the share of positive-negative pairs in the same
   * bin; NaN without both classes.
   */
  public static double errorBound(double[] h, int at) {
    double positives = 0;
    double negatives = 0;
    double sameBin = 0;
    for (int b = 0; b < BINS; b++) {
      positives += h[at + b];
      negatives += h[at + BINS + b];
      sameBin += h[at + b] * h[at + BINS + b];
    }
    return positives > 0 && negatives > 0 ? 0.5 * sameBin / (positives * negatives) : Double.NaN;
  }
}
