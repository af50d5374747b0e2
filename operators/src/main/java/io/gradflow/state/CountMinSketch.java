package io.gradflow.state;

/**
 * A count-min sketch with conservative update (Cormode and Muthukrishnan 2005; Estan and Varghese
 * 2002) over a region of a {@code float[]}: {@code depth} rows of {@code width} counters, each an
 * integer-valued float (exact below 2^24), saturating at a cap. A key's count is the minimum of
 * its {@code depth} counters: never below the true count, and above it by more than
 * {@code e * N / width} (N: all increments) with probability at most {@code e^-depth}.
 * Conservative update raises only the counters at that minimum, which tightens the estimate.
 *
 * <p>Memory: {@code width * depth} floats. Stateless (the counters live in the caller's array,
 * here a {@link RowBook}, so they are saved with the model); thread-safe as far as the array is.
 */
public final class CountMinSketch {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private CountMinSketch() {}

  /**
   * Counts one sighting of {@code key} and returns its estimated count afterwards (at most
   * {@code cap}).
   *
   * @param width a power of two
   */
  public static int add(float[] a, int base, int width, int depth, long key, int cap) {
    int shift = 64 - Integer.numberOfTrailingZeros(width);
    float min = Float.MAX_VALUE;
    for (int d = 0; d < depth; d++) {
      min = Math.min(min, a[base + d * width + index(key, d, shift)]);
    }
    if (min >= cap) {
      return cap;
    }
    float raised = min + 1;
    for (int d = 0; d < depth; d++) {
      int at = base + d * width + index(key, d, shift);
      if (a[at] < raised) {
        a[at] = raised;
      }
    }
    return (int) raised;
  }

  /** The estimated count of {@code key}: never below the true one. */
  public static int estimate(float[] a, int base, int width, int depth, long key) {
    int shift = 64 - Integer.numberOfTrailingZeros(width);
    float min = Float.MAX_VALUE;
    for (int d = 0; d < depth; d++) {
      min = Math.min(min, a[base + d * width + index(key, d, shift)]);
    }
    return (int) min;
  }

  /**
   * Halves every counter (rounding down): ages the counts, so sightings long past weigh less
   * (the sketch of an endless stream would otherwise fill up until every key looks frequent).
   */
  public static void halve(float[] a, int base, int width, int depth) {
    for (int i = base; i < base + width * depth; i++) {
      a[i] = (float) Math.floor(a[i] * 0.5f);
    }
  }

  private static int index(long key, int d, int shift) {
    return (int) (PageFormat.mix(key + (d + 1) * GOLDEN) >>> shift);
  }
}
