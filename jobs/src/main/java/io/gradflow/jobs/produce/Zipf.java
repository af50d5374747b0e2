package io.gradflow.jobs.produce;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Zipf-distributed ranks in {@code [0, n)}: {@code P(r) ∝ 1 / (r + 1)^s}. Sampled by binary
 * search in the precomputed cumulative distribution (8 bytes per rank; n is capped at 10M).
 * Immutable and thread-safe (the random generator is the caller's).
 */
public final class Zipf {
  public static final int MAX_N = 10_000_000;
  private final double[] cdf;
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
    int i = Arrays.binarySearch(cdf, u);
    return i >= 0 ? i : Math.min(-i - 1, cdf.length - 1);
  }
}
