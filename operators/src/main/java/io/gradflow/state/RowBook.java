package io.gradflow.state;

/**
 * A model's row bookkeeping, stored beside its pages under {@link PageFormat#BOOK_PAGE} (so it is
 * checkpointed, restored and rescaled with them and needs no state of its own): the counts of
 * live, expired and refused rows, and the admission sketch's counters.
 *
 * <pre>
 *   [0]      -4 (the book's tag, version 1)
 *   [1, 2]   live rows          (each count: low 24 bits, next 24 bits, as integer-valued floats)
 *   [3, 4]   rows expired
 *   [5, 6]   sightings refused  (a feature left out of a learned example: its row not admitted)
 *   [7]      the sketch's width, [8] its depth
 *   [9, 10]  the last expiry sweep's interval number (event time / sweep interval)
 *   [11 ..]  the sketch's counters ({@link CountMinSketch}), width x depth
 * </pre>
 *
 * Live rows: rows with a live stamp ({@link PageFormat}); exact from the model's first row, and
 * for a model migrated from page format 1, from the first sweep ({@link PagedLearner#expire}
 * recounts). Memory: 11 floats, plus the sketch when admission is on. Stateless.
 */
public final class RowBook {
  static final float TAG = -4f;
  static final int LIVE = 1;
  static final int EXPIRED = 3;
  static final int REFUSED = 5;
  private static final int WIDTH = 7;
  private static final int DEPTH = 8;
  static final int SWEPT = 9;
  /** Where the sketch's counters start. */
  public static final int SKETCH = 11;

  private RowBook() {}

  /**
   * A book with room for a sketch of {@code width} x {@code depth} counters (0 x 0 for none): the
   * stored one (copied) if there is one, its sketch cleared if the sketch's shape changed, or a
   * new one.
   */
  static float[] fit(float[] stored, int width, int depth) {
    float[] book = new float[SKETCH + width * depth];
    book[0] = TAG;
    book[WIDTH] = width;
    book[DEPTH] = depth;
    if (stored != null) {
      if (stored.length < SKETCH || stored[0] != TAG) {
        throw new IllegalStateException("the stored row book is not one (tag " + stored[0]
            + ", " + stored.length + " floats)");
      }
      System.arraycopy(stored, LIVE, book, LIVE, WIDTH - LIVE);
      System.arraycopy(stored, SWEPT, book, SWEPT, SKETCH - SWEPT);
      if (stored[WIDTH] == width && stored[DEPTH] == depth && stored.length == book.length) {
        System.arraycopy(stored, SKETCH, book, SKETCH, width * depth);
      }
    }
    return book;
  }

  public static long live(float[] book) {
    return read(book, LIVE);
  }

  public static long expired(float[] book) {
    return read(book, EXPIRED);
  }

  public static long refused(float[] book) {
    return read(book, REFUSED);
  }

  static long read(float[] book, int at) {
    return (long) book[at] | ((long) book[at + 1] << 24);
  }

  static void add(float[] book, int at, long delta) {
    long v = Math.max(0, read(book, at) + delta);
    book[at] = (float) (v & 0xFF_FFFF);
    book[at + 1] = (float) (v >>> 24);
  }

  static void set(float[] book, int at, long value) {
    add(book, at, value - read(book, at));
  }

  /** The sketch's width of a book (0 when it has none). */
  static int sketchWidth(float[] book) {
    return (int) book[WIDTH];
  }
}
