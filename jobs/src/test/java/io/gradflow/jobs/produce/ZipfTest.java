package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The guide-table sampling draws exactly the ranks of a plain binary search in the cumulative
 * distribution (the definition, computed here independently), so streams are unchanged.
 */
class ZipfTest {
  /** A generator returning given values. */
  private static RandomGenerator fixed(double u) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public double nextDouble() {
        return u;
      }
    };
  }

  @Test
  void drawsTheRanksOfTheFullSearch() {
    SplittableRandom random = new SplittableRandom(3);
    for (int n : new int[] {1, 2, 3, 17, 1000, 100_000, 200_000}) {
      for (double exponent : new double[] {0, 0.5, 1.05, 3, 40}) {
        Zipf zipf = new Zipf(n, exponent);
        double[] us = new double[20_000];
        for (int i = 0; i < us.length; i++) {
          us[i] = i < 2_000 ? (double) i / 1_999 : random.nextDouble();
        }
        int[] expected = referenceAll(n, exponent, us);
        for (int i = 0; i < us.length; i++) {
          assertEquals(expected[i], zipf.sample(fixed(us[i])), "n " + n + ", s " + exponent
              + ", u " + us[i]);
        }
      }
    }
  }

  /** Ranks by the definition: for each u, the first rank whose cumulative probability exceeds it. */
  private static int[] referenceAll(int n, double exponent, double[] us) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int r = 0; r < n; r++) {
      sum += Math.pow(r + 1, -exponent);
      cdf[r] = sum;
    }
    for (int r = 0; r < n; r++) {
      cdf[r] /= sum;
    }
    cdf[n - 1] = 1.0;
    int[] ranks = new int[us.length];
    for (int i = 0; i < us.length; i++) {
      int k = Arrays.binarySearch(cdf, us[i]);
      ranks[i] = k >= 0 ? k : Math.min(-k - 1, n - 1);
    }
    return ranks;
  }
}
