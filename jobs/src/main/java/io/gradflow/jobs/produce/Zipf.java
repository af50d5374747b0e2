package io.gradflow.jobs.produce;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Zipf-distributed ranks in {@code [0, n)}: {@code P(r) ∝ 1 / (r + 1)^s}. Sampled by binary
 * search in the precomputed cumulative distribution (8 bytes per rank; n is capped at 10M),
 * narrowed by a guide table (at most 256 kB) to a few ranks.
 * Immutable and thread-safe (the random generator is the caller's).
 */
public final class Zipf {
  public static final int MAX_N = 10_000_000;
  private final double[] cdf;
  /** {@code guide[k]}: the rank of {@code u = k / (guide.length - 1)}; up to 65,537 ints. */
  private final int[] guide;
  private final double exponent;

  public Zipf(int n, double exponent) {
    if (n < 1 || n > MAX_N) {
      throw new IllegalArgumentException("Zipf size must be in [1, " + MAX_N + "], but was " + n);
    }
    if (!(exponent >= 0) || Double.isInfinite(exponent)) {
      throw new IllegalArgumentException("Zipf exponent must be >= 0, but was " + exponent);
    }
    this.exponent = exponent;
    cdf = new double[n];
    double sum = 0;
    for (int r = 0; r < n; r++) {
      sum += Math.pow(r + 1, -exponent);
      cdf[r] = sum;
    }
    for (int r = 0; r < n; r++) {
      cdf[r] /= sum;
    }
    cdf[n - 1] = 1.0;
    guide = new int[Math.min(n, 1 << 16) + 1];
    for (int k = 0; k < guide.length; k++) {
      guide[k] = fullSearch((double) k / (guide.length - 1));
    }
  }

  public int size() {
    return cdf.length;
  }

  public double exponent() {
    return exponent;
  }

  /** The probability of rank {@code r}. */
  public double probability(int r) {
    return r == 0 ? cdf[0] : cdf[r] - cdf[r - 1];
  }

  /** One rank. */
  public int sample(RandomGenerator random) {
    double u = random.nextDouble();
    // The guide table narrows the search to a few ranks (Chen and Asau 1974); the answer is the
    // full search's: the first rank whose cumulative probability exceeds u. Where the narrowed
    // search cannot be sure (an exact tie, the bounds of the range), the full search decides.
    int k = (int) (u * (guide.length - 1));
    int from = guide[Math.max(k - 1, 0)];
    int to = Math.min(guide[Math.min(k + 2, guide.length - 1)] + 1, cdf.length);
    int i = Arrays.binarySearch(cdf, from, to, u);
    if (i < 0) {
      int r = -i - 1;
      if (r < to && (r == 0 || cdf[r - 1] < u) && cdf[r] > u) {
        return r;
      }
    }
    return fullSearch(u);
  }

  private int fullSearch(double u) {
    int i = Arrays.binarySearch(cdf, u);
    return i >= 0 ? i : Math.min(-i - 1, cdf.length - 1);
  }
}
