package io.gradflow.drift;

import java.util.Arrays;

/**
 * ADWIN, adaptive windowing (Bifet and Gavaldà 2007, "Learning from Time-Changing Data with
 * Adaptive Windowing"), in its memory-bounded form ADWIN2: the window is summarised by an
 * exponential histogram, as in MOA's {@code ADWIN} and River's {@code drift.ADWIN}.
 *
 * <p>The window {@code W} holds the observations since the last reset. Row {@code i} of the
 * histogram holds up to {@code M} buckets ({@link AdwinSpec#maxBuckets()}) of {@code 2^i}
 * observations each, every bucket keeping its sum and its sum of squared deviations; when a row
 * reaches {@code M + 1} buckets its two oldest merge into one bucket of the next row (the
 * variances combine exactly, Chan et al.'s pairwise formula). Every {@link AdwinSpec#clock()}
 * observations, every split of the window at a bucket boundary into an older part {@code W0} of
 * {@code n0} observations and a newer part {@code W1} of {@code n1} (both at least
 * {@link AdwinSpec#minWindowLength()}) is tested, and a change is detected at the first split
 * (oldest first) where
 *
 * <pre>
 *   |mean(W0) - mean(W1)| > sqrt(2 * m * var(W) * d) + 2/3 * m * d
 *   d = ln(2 * ln(|W|) / delta)                              the paper's ln(2 / delta')
 *   m = 1 / (n0 - min_window_length + 1) + 1 / (n1 - min_window_length + 1)
 * </pre>
 *
 * the paper's Bernstein-type bound for ADWIN2 with {@code 1/m} its harmonic mean of the two
 * sub-window lengths, shortened by the minimum length as MOA and River do. Every bucket
 * boundary is a candidate cut, as in the paper and MOA; River's ADWIN leaves the newest bucket of
 * each row out of the scan, which makes it slower on small changes (on a Bernoulli rate going
 * from 0.2 to 0.4, a mean delay of 462 observations against 186 here).
 *
 * <p>After a detection the paper drops the older sub-window; Gradflow's detectors reset themselves
 * after one (as River's ADWIN does), so the whole window is dropped and the watch starts afresh.
 * False alarms: each test keeps the chance of a false cut below {@code delta} (the paper's
 * Theorem 3.1, with the union bound over splits in {@code delta'}), and tests run once per clock;
 * on a stationary stream false alarms are rare at the default 0.002 and grow with
 * {@code delta}; the bound's first term scales with the window's own variance. Its second term,
 * {@code 2/3 * m * d}, does not: it is in the value's units, for values in [0, 1] as the paper
 * assumes (an error, a clipped loss), so a value whose changes are far below 0.1 in absolute
 * size (a loss near 0.001) should be rescaled before it is watched, or its changes take very long
 * windows to show. Measured with the defaults: no false alarm in 1,000,000 draws of a
 * 0/1 value, one in 1,000,000 unit normal draws ({@code DetectionQualityTest}). Detection
 * delay: a multiple of the clock after the change, at the first check where the new part is long
 * enough to beat the bound, so it is longer for smaller shifts, for noisier values, and for a
 * longer stationary history before the change.
 *
 * <p>Memory: two doubles per bucket, at most {@code M * (log2(|W|) + 1)} buckets, in primitive
 * arrays that grow by whole rows; {@link #update(double)} allocates only when the window first
 * needs a new row. Deterministic. Not thread-safe.
 *
 * <p>Snapshot layout: {@code [1 (tag), 1 (version), |W|, sum, sum of squared deviations, rows,
 * count of row 0 .. count of row rows-1, then per row from 0 (newest) and per bucket from the
 * oldest: sum, sum of squared deviations]}.
 */
public final class Adwin implements DriftDetector {
  static final double TAG = 1;
  static final double VERSION = 1;
  private static final int HEADER = 6;
  private static final int INITIAL_ROWS = 8;

  private final AdwinSpec spec;
  private final int maxBuckets;
  /** Slots per row: M plus one, the overflow that a merge removes at once. */
  private final int rowCapacity;

  /** Bucket sums, row-major: row {@code r}'s bucket {@code k} at {@code r * rowCapacity + k}. */
  private double[] sums;
  /** Bucket sums of squared deviations from the bucket's mean, laid out as {@link #sums}. */
  private double[] squares;
  /** Buckets per row; within a row, index 0 is the oldest. Higher rows are older. */
  private int[] counts;
  /** Rows in use: one past the highest row with a bucket. */
  private int rows;
  private long width;
  private double total;
  /** Sum of squared deviations from the window's mean. */
  private double squaredDeviations;

  Adwin(AdwinSpec spec) {
    this.spec = spec;
    this.maxBuckets = spec.maxBuckets();
    this.rowCapacity = maxBuckets + 1;
    allocate(INITIAL_ROWS);
  }

  private void allocate(int rowSlots) {
    sums = new double[rowSlots * rowCapacity];
    squares = new double[rowSlots * rowCapacity];
    counts = new int[rowSlots];
  }

  /** The direction of the last detected change (not state: read right after a detection). */
  private boolean lastChangeIncreased;

  @Override
  public boolean update(double x) {
    DriftChecks.finiteObservation(x);
    if (width > 0) {
      double d = x - total / width;
      squaredDeviations += width * d * d / (width + 1);
    }
    total += x;
    width++;
    append(0, x, 0);
    compress();
    if (width % spec.clock() == 0 && width >= 2L * spec.minWindowLength() && cutFound()) {
      reset();
      return true;
    }
    return false;
  }

  private void append(int row, double sum, double squares) {
    if (row >= counts.length) {
      int rowSlots = counts.length * 2;
      sums = Arrays.copyOf(sums, rowSlots * rowCapacity);
      this.squares = Arrays.copyOf(this.squares, rowSlots * rowCapacity);
      counts = Arrays.copyOf(counts, rowSlots);
    }
    int at = row * rowCapacity + counts[row];
    sums[at] = sum;
    this.squares[at] = squares;
    counts[row]++;
    rows = Math.max(rows, row + 1);
  }

  /** Merges the two oldest buckets of every row that overflowed into the next row. */
  private void compress() {
    for (int row = 0; counts[row] > maxBuckets; row++) {
      int base = row * rowCapacity;
      double size = (double) (1L << row);
      double difference = sums[base] / size - sums[base + 1] / size;
      double mergedSquares = squares[base] + squares[base + 1] + size * difference * difference / 2;
      double mergedSum = sums[base] + sums[base + 1];
      int remaining = counts[row] - 2;
      System.arraycopy(sums, base + 2, sums, base, remaining);
      System.arraycopy(squares, base + 2, squares, base, remaining);
      counts[row] = remaining;
      append(row + 1, mergedSum, mergedSquares);
    }
  }

  /**
   * Tests every split at a bucket boundary, oldest first. At the first significant split the
   * window is cut; the scan goes on over the remaining splits only to tell whether any
   * significant split shows a rise ({@link #lastChangeIncreased}): a window whose loss first
   * fell (a model learning) and then rose (a drift) has both, and the rise must not be reported
   * as a fall.
   */
  private boolean cutFound() {
    int minLength = spec.minWindowLength();
    double windowVariance = squaredDeviations / width;
    double d = Math.log(2 * Math.log(width) / spec.delta());
    long n0 = 0;
    double sum0 = 0;
    boolean cut = false;
    for (int row = rows - 1; row >= 0; row--) {
      long size = 1L << row;
      int base = row * rowCapacity;
      for (int k = 0; k < counts[row]; k++) {
        n0 += size;
        sum0 += sums[base + k];
        long n1 = width - n0;
        if (n1 < minLength) {
          return cut;
        }
        if (n0 >= minLength) {
          double difference = sum0 / n0 - (total - sum0) / n1;
          double m = 1.0 / (n0 - minLength + 1) + 1.0 / (n1 - minLength + 1);
          double bound = Math.sqrt(2 * m * windowVariance * d) + 2.0 / 3.0 * m * d;
          if (Math.abs(difference) > bound) {
            // The older sub-window's mean is below the newer one's: the stream went up.
            if (difference < 0) {
              lastChangeIncreased = true;
              return true;
            }
            cut = true;
            lastChangeIncreased = false;
          }
        }
      }
    }
    return cut;
  }

  @Override
  public boolean lastChangeIncreased() {
    return lastChangeIncreased;
  }

  @Override
  public long observations() {
    return width;
  }

  /** The window's length: the observations since the last reset. */
  public long width() {
    return width;
  }

  /** The mean of the window; 0 when it is empty. */
  @Override
  public double estimate() {
    return width == 0 ? 0 : total / width;
  }

  /** The variance of the window (population variance); 0 when it is empty. */
  public double variance() {
    return width == 0 ? 0 : squaredDeviations / width;
  }

  /** Buckets in the histogram, at most {@code M * (log2(width) + 1)}. */
  public int buckets() {
    int n = 0;
    for (int row = 0; row < rows; row++) {
      n += counts[row];
    }
    return n;
  }

  @Override
  public AdwinSpec spec() {
    return spec;
  }

  @Override
  public void reset() {
    Arrays.fill(counts, 0, rows, 0);
    rows = 0;
    width = 0;
    total = 0;
    squaredDeviations = 0;
  }

  @Override
  public double[] snapshot() {
    int buckets = buckets();
    double[] state = new double[HEADER + rows + 2 * buckets];
    state[0] = TAG;
    state[1] = VERSION;
    state[2] = width;
    state[3] = total;
    state[4] = squaredDeviations;
    state[5] = rows;
    int at = HEADER;
    for (int row = 0; row < rows; row++) {
      state[at++] = counts[row];
    }
    for (int row = 0; row < rows; row++) {
      int base = row * rowCapacity;
      for (int k = 0; k < counts[row]; k++) {
        state[at++] = sums[base + k];
        state[at++] = squares[base + k];
      }
    }
    return state;
  }

  @Override
  public void restore(double[] state) {
    String name = "ADWIN";
    DriftChecks.snapshotCheck(state != null && state.length >= HEADER, name, "too short");
    DriftChecks.snapshotCheck(state[0] == TAG, name, "tag " + state[0] + ", expected " + TAG);
    DriftChecks.snapshotCheck(state[1] == VERSION, name, "layout version " + state[1]);
    double rowsValue = state[5];
    DriftChecks.snapshotCheck(rowsValue >= 0 && rowsValue <= 62 && rowsValue == Math.rint(
        rowsValue) && state.length >= HEADER + (int) rowsValue, name, "rows " + rowsValue);
    int restoredRows = (int) rowsValue;
    long elements = 0;
    int buckets = 0;
    for (int row = 0; row < restoredRows; row++) {
      double count = state[HEADER + row];
      DriftChecks.snapshotCheck(count >= 0 && count <= maxBuckets && count == Math.rint(count),
          name, "row " + row + " has " + count + " buckets, at most " + maxBuckets
              + " (drift.max_buckets) allowed");
      buckets += (int) count;
      elements += (long) count << row;
    }
    DriftChecks.snapshotCheck(state.length == HEADER + restoredRows + 2 * buckets, name,
        "length " + state.length + " does not match its " + buckets + " buckets");
    DriftChecks.snapshotCheck(state[2] == elements, name,
        "width " + state[2] + " but the buckets hold " + elements);
    DriftChecks.snapshotCheck(Double.isFinite(state[3]) && Double.isFinite(state[4])
        && state[4] >= 0, name, "sum " + state[3] + ", squared deviations " + state[4]);

    allocate(Math.max(INITIAL_ROWS, Integer.highestOneBit(Math.max(1, restoredRows)) * 2));
    rows = restoredRows;
    width = elements;
    total = state[3];
    squaredDeviations = state[4];
    int at = HEADER + restoredRows;
    for (int row = 0; row < restoredRows; row++) {
      counts[row] = (int) state[HEADER + row];
      int base = row * rowCapacity;
      for (int k = 0; k < counts[row]; k++) {
        sums[base + k] = state[at++];
        squares[base + k] = state[at++];
      }
    }
  }

  @Override
  public String toString() {
    return "Adwin" + spec.parameters() + "{width=" + width + ", mean=" + estimate()
        + ", buckets=" + buckets() + "}";
  }
}
