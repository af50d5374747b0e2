package io.gradflow.state;

/**
 * The layout of a page of parameter rows as one {@code float[]}: the value of one keyed-state
 * entry ({@code MapState<Long, float[]>}, page key to page), format version 1. There are two kinds
 * of page.
 *
 * <p><b>Direct pages</b> hold the rows of a dense id space: hashed features ({@code [0, 2^40)})
 * and the bias and dense-feature rows ({@code 2^62 + j}). A direct page holds
 * {@value #DIRECT_ROWS} consecutive ids, every row present from the page's creation, at a position
 * computed from the id: no ids are stored and no lookup is needed.
 *
 * <pre>
 *   [0]                         -1 (the direct-page marker)
 *   [1 + (id mod 512) * rowSize ..]   the row ({@code rowSize} floats: weights, slots, step count)
 * </pre>
 *
 * <p><b>Hashed pages</b> hold rows of the sparse 63-bit entity space (user and item ids, kept
 * without collisions), as many as have been seen, each with its id:
 *
 * <pre>
 *   [0]                         number of rows in the page (an integer-valued float)
 *   [1 + r * record ..]         row r: its 64-bit id as three integer-valued floats
 *                               (bits 0-21, 22-42, 43-63), then the row itself
 * </pre>
 *
 * Every value is an ordinary finite float: ids are split into pieces below 2^22, which floats hold
 * exactly, because Flink's float serializers write {@code Float.floatToIntBits} and would collapse
 * ids whose raw bits look like NaN. A page is a plain {@code float[]}, so Flink's own array
 * serializer stores it, RocksDB keeps it as one value, and the State Processor API reads it.
 *
 * <p>Rows are assigned to pages by {@link #pageOf(long, int)}: the top {@code pageBits} bits of a
 * well-mixed 64-bit hash of the row id, so hashed features and raw user or item ids both spread
 * evenly. Stateless and thread-safe.
 */
public final class PageFormat {
  /** The format's version, part of every model's signature ({@code ModelSignature}). */
  public static final int VERSION = 1;
  /** Floats before the first row. */
  public static final int HEADER = 1;
  /** Rows of a direct page: 2^{@value #DIRECT_SHIFT}. */
  public static final int DIRECT_ROWS = 512;
  public static final int DIRECT_SHIFT = 9;
  /** The first float of a direct page. */
  public static final float DIRECT_MARKER = -1f;
  private static final long DENSE_SPACE = 1L << 40;
  private static final long RESERVED_BASE = 1L << 62;
  private static final long RESERVED_PAGES = 1L << 40;
  private static final long HASHED_PAGES = 2L << 40;
  /** Floats that hold a row's id. */
  public static final int ID_FLOATS = 3;

  private PageFormat() {}

  /** Floats per row record: the id plus the row. */
  public static int recordSize(int rowSize) {
    return ID_FLOATS + rowSize;
  }

  /**
   * The key of the page a row lives in: its id divided by {@value #DIRECT_ROWS} for the dense
   * spaces (direct pages), or the top {@code pageBits} bits of a mix of its id, tagged, for
   * entity rows (hashed pages, so that raw ids spread evenly).
   */
  public static long pageKey(long rowId, int pageBits) {
    if (rowId >= 0 && rowId < DENSE_SPACE) {
      return rowId >>> DIRECT_SHIFT;
    }
    long reserved = rowId - RESERVED_BASE;
    if (reserved >= 0 && reserved < DENSE_SPACE) {
      return RESERVED_PAGES | (reserved >>> DIRECT_SHIFT);
    }
    return hashedPage(pageOf(rowId, pageBits));
  }

  /** The key of hashed page number {@code number}. */
  public static long hashedPage(long number) {
    return HASHED_PAGES | number;
  }

  /** Whether a page key names a direct page. */
  public static boolean isDirect(long pageKey) {
    return pageKey < HASHED_PAGES;
  }

  /** The id of the first row of a direct page. */
  public static long firstRow(long directPageKey) {
    return directPageKey < RESERVED_PAGES ? directPageKey << DIRECT_SHIFT
        : RESERVED_BASE + ((directPageKey - RESERVED_PAGES) << DIRECT_SHIFT);
  }

  /** Floats of a direct page of rows of {@code rowSize} floats. */
  public static int directPageFloats(int rowSize) {
    return HEADER + DIRECT_ROWS * rowSize;
  }

  /** Offset of a row in its direct page. */
  public static int directOffset(long rowId, int rowSize) {
    return HEADER + (int) (rowId & (DIRECT_ROWS - 1)) * rowSize;
  }

  /** Whether a stored page is a direct page. */
  public static boolean isDirectPage(float[] page) {
    return page[0] == DIRECT_MARKER;
  }

  /** The hashed-page number of an entity row: the top {@code pageBits} bits of a mix of its id. */
  public static long pageOf(long rowId, int pageBits) {
    return mix(rowId) >>> (64 - pageBits);
  }

  /** Stafford's variant 13 of the MurmurHash3 finalizer: a bijective 64-bit mix. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  public static int rowCount(float[] page) {
    return (int) page[0];
  }

  static void setRowCount(float[] page, int count) {
    page[0] = count;
  }

  /** Offset of record {@code r}'s id. */
  public static int recordOffset(int r, int rowSize) {
    return HEADER + r * recordSize(rowSize);
  }

  /** Offset of record {@code r}'s row (weights, slots, step count). */
  public static int rowOffset(int r, int rowSize) {
    return recordOffset(r, rowSize) + ID_FLOATS;
  }

  public static long readId(float[] page, int at) {
    return (long) page[at] | ((long) page[at + 1] << 22) | ((long) page[at + 2] << 43);
  }

  public static void writeId(float[] page, int at, long id) {
    page[at] = (float) (id & 0x3F_FFFF);
    page[at + 1] = (float) ((id >>> 22) & 0x1F_FFFF);
    page[at + 2] = (float) (id >>> 43);
  }
}
