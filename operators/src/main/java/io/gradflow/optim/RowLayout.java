package io.gradflow.optim;

/**
 * Where each value of a parameter row sits inside a {@code float[]}.
 *
 * <p>A row holds {@code width} weights, each followed by the optimizer's slots for that weight,
 * then the row's own step count:
 *
 * <pre>
 *   offset + 0                      w[0]
 *   offset + 1 .. slots             slots of w[0] (in the order the optimizer documents)
 *   offset + stride                 w[1] ...
 *   offset + width * stride         step count, low 24 bits (an exact integer-valued float)
 *   offset + width * stride + 1     step count, next 24 bits
 * </pre>
 *
 * with {@code stride = 1 + slotsPerWeight}. Interleaving keeps a weight and its slots on one cache
 * line. The step count is a {@code long} below 2^48 (at a million updates a second, nine years of
 * one row) stored as two integer-valued floats below 2^24, which floats hold exactly: a bias row
 * stepped on every example would overflow a single float's 24-bit mantissa, and an int, within
 * hours. Raw int bits are deliberately not used: Flink's float serializers write
 * {@code Float.floatToIntBits}, which collapses every NaN bit pattern into one.
 *
 * <p>Memory: {@code width * (1 + slotsPerWeight) + 2} floats per row. Immutable and thread-safe.
 */
public record RowLayout(int width, int slotsPerWeight) {
  /** Floats after the weights that hold the row's step count. */
  public static final int TRAILER = 2;

  public RowLayout {
    if (width <= 0) {
      throw new IllegalArgumentException("row width must be > 0, but was " + width);
    }
    if (slotsPerWeight < 0) {
      throw new IllegalArgumentException("slotsPerWeight must be >= 0, but was " + slotsPerWeight);
    }
  }

  /** Floats between consecutive weights: the weight itself and its slots. */
  public int stride() {
    return 1 + slotsPerWeight;
  }

  /** Floats the whole row occupies. */
  public int size() {
    return width * stride() + TRAILER;
  }

  /** Offset of weight {@code i}, relative to the row's start. */
  public int weight(int i) {
    return i * stride();
  }

  /** Offset of slot {@code s} of weight {@code i}, relative to the row's start. */
  public int slot(int i, int s) {
    return i * stride() + 1 + s;
  }

  /** Offset of the step count, relative to the row's start. */
  public int stepOffset() {
    return width * stride();
  }

  /** The row's own step count: how many updates it has received. */
  public long step(float[] row, int offset) {
    return readStep(row, offset + stepOffset());
  }

  public void setStep(float[] row, int offset, long step) {
    writeStep(row, offset + stepOffset(), step);
  }

  /** Copies the row's weights into {@code out[outOffset ..]}. */
  public void copyWeights(float[] row, int offset, float[] out, int outOffset) {
    int stride = stride();
    for (int i = 0; i < width; i++) {
      out[outOffset + i] = row[offset + i * stride];
    }
  }

  /** Writes {@code weights[weightsOffset ..]} into the row's weight positions, slots untouched. */
  public void setWeights(float[] row, int offset, float[] weights, int weightsOffset) {
    int stride = stride();
    for (int i = 0; i < width; i++) {
      row[offset + i * stride] = weights[weightsOffset + i];
    }
  }

  /** The largest step count a row can hold: 2^48 - 1. */
  public static final long MAX_STEP = (1L << 48) - 1;

  static long readStep(float[] row, int at) {
    return (long) row[at] | ((long) row[at + 1] << 24);
  }

  static void writeStep(float[] row, int at, long step) {
    long clamped = Math.min(Math.max(step, 0), MAX_STEP);
    row[at] = (float) (clamped & 0xFF_FFFF);
    row[at + 1] = (float) (clamped >>> 24);
  }
}
