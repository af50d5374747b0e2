package io.gradflow.model;

/**
 * Initial weights drawn by a counter-based generator keyed by a seed and a parameter's id alone
 * (SplitMix64, Steele et al. 2014, "Fast splittable pseudorandom number generators"; Gaussians by
 * the Box-Muller transform with {@link StrictMath}), so a parameter gets the same initial value
 * on every machine, in every arrival order and in every replay. Stateless; static methods only.
 */
final class SeededInit {
  static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  /** The salt of sparse rows (a factorization machine's factors, embedding rows). */
  static final long ROW_SALT = 0x632BE59BD9B4E019L;
  /** The salt of dense blocks' rows: a dense row never draws a sparse row's stream. */
  static final long DENSE_SALT = 0x2545F4914F6CDD1DL;

  private SeededInit() {}

  /** The start of the stream of parameter {@code id} under {@code seed}. */
  static long start(long seed, long id, long salt) {
    return mix64(seed ^ mix64(id * GOLDEN_GAMMA + salt));
  }

  /**
   * A new sparse row of a factorization machine or an embedding: weight 0 (at {@code offset})
   * is 0, the {@code factors} after it are draws from N(0, initStd^2) of row {@code rowId}'s
   * stream.
   */
  static void factorRow(long seed, long rowId, double initStd, float[] row, int offset,
      int stride, int factors) {
    row[offset] = 0f;
    normal(start(seed, rowId, ROW_SALT), initStd, row, offset + stride, stride, factors);
  }

  /**
   * Writes {@code count} draws from N(0, std^2) at {@code row[first + i * stride]}, two per pair
   * of 64-bit draws (Box-Muller's cosine, then sine).
   */
  static void normal(long state, double std, float[] row, int first, int stride, int count) {
    for (int f = 0; f < count; f += 2) {
      state += GOLDEN_GAMMA;
      double u1 = ((mix64(state) >>> 11) + 1) * 0x1.0p-53; // (0, 1]: the log is finite
      state += GOLDEN_GAMMA;
      double u2 = (mix64(state) >>> 11) * 0x1.0p-53; // [0, 1)
      double r = StrictMath.sqrt(-2 * StrictMath.log(u1)) * std;
      double theta = 2 * Math.PI * u2;
      row[first + f * stride] = (float) (r * StrictMath.cos(theta));
      if (f + 1 < count) {
        row[first + (f + 1) * stride] = (float) (r * StrictMath.sin(theta));
      }
    }
  }

  /** Writes {@code count} draws from U[-bound, bound) at {@code row[first + i * stride]}. */
  static void uniform(long state, double bound, float[] row, int first, int stride, int count) {
    for (int f = 0; f < count; f++) {
      state += GOLDEN_GAMMA;
      double u = (mix64(state) >>> 11) * 0x1.0p-53; // [0, 1)
      row[first + f * stride] = (float) ((2 * u - 1) * bound);
    }
  }

  /** SplitMix64's finalizer (Stafford's variant 13): a bijective 64-bit mix. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
