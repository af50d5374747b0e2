package io.gradflow.state;

/**
 * The layout of a page of parameter rows as one {@code float[]}: the value of one keyed-state
 * entry ({@code MapState<Long, float[]>}, page key to page), format version 2. There are two kinds
 * of page; every row is preceded by its <b>stamp</b>, one float that says whether the row is live
 * and the event-time hour of its last update (see {@link #stamp(long)}).
 *
 * <p><b>Direct pages</b> hold the rows of a dense id space: hashed features ({@code [0, 2^40)})
 * and the bias and dense-feature rows ({@code 2^62 + j}). A direct page holds
 * {@value #DIRECT_ROWS} consecutive ids, every row initialized from the page's creation, at a
 * position computed from the id: no ids are stored and no lookup is needed.
 *
 * <pre>
 *   [0]                                  -2 (the direct-page tag of format 2)
 *   [1 + (id mod 512) * (1 + rowSize)]   the row's stamp
 *   [2 + (id mod 512) * (1 + rowSize) ..] the row ({@code rowSize} floats: weights, slots, step
 *                                        count)
 * </pre>
 *
 * <p><b>Hashed pages</b> hold rows of the sparse 63-bit entity space (user and item ids, kept
 * without collisions), as many as have been seen, each with its id:
 *
 * <pre>
 *   [0]                         -(3 + number of rows in the page) (format 2's hashed-page tag)
 *   [1 + r * record ..]         row r: its 64-bit id as three integer-valued floats
 *                               (bits 0-21, 22-42, 43-63), its stamp, then the row itself
 * </pre>
 *
 * <p><b>Stamps.</b> {@value #ABSENT}: the row is not live (never learned, or expired; a direct
 * page's row then holds its initial values); {@value #UNDATED}: live, last update unknown (a row
 * migrated from format 1); {@code h + 2}: live, last updated in event-time hour {@code h} since
 * the epoch (exact up to 2^24, the year 3884). An hour is expiry's resolution: it costs one float
 * per row where milliseconds would cost two.
 *
 * <p><b>Format 1</b> ({@code pages.v1} of release 0.x: no stamps; a direct page's tag -1, a
 * hashed page's [0] its row count) is migrated when a page is read ({@link #migrate}): every row
 * gets the stamp {@value #UNDATED} if its step count is non-zero (it was learned) and
 * {@value #ABSENT} otherwise. The state's name stays {@code pages.v1}: each value carries its
 * format in its first float, so the two formats can never be confused and a savepoint of either
 * restores. The first expiry sweep after a migration dates undated rows at its own time.
 *
 * <p>One further key holds no rows: {@link #BOOK_PAGE}, the model's {@link RowBook} (row
 * counters and the admission sketch).
 *
 * <p>Every value is an ordinary finite float: ids are split into pieces below 2^22, which floats
 * hold exactly, because Flink's float serializers write {@code Float.floatToIntBits} and would
 * collapse ids whose raw bits look like NaN. A page is a plain {@code float[]}, so Flink's own
 * array serializer stores it, RocksDB keeps it as one value, and the State Processor API reads
 * it.
 *
 * <p>Rows are assigned to pages by {@link #pageOf(long, int)}: the top {@code pageBits} bits of a
 * well-mixed 64-bit hash of the row id, so hashed features and raw user or item ids both spread
 * evenly. Stateless and thread-safe.
 */
public final class PageFormat {
  /** The format's version, part of every model's signature ({@code ModelSignature}). */
  public static final int VERSION = 2;
  /** Floats before the first row. */
  public static final int HEADER = 1;
  /** Rows of a direct page: 2^{@value #DIRECT_SHIFT}. */
  public static final int DIRECT_ROWS = 512;
  public static final int DIRECT_SHIFT = 9;
  /** The first float of a direct page. */
  public static final float DIRECT_MARKER = -2f;
  /** The first float of a format-1 direct page. */
  static final float V1_DIRECT_MARKER = -1f;
  /** A hashed page's first float is {@code -(HASHED_TAG + rows)}. */
  private static final int HASHED_TAG = 3;
  private static final long DENSE_SPACE = 1L << 40;
  private static final long RESERVED_BASE = 1L << 62;
  private static final long RESERVED_PAGES = 1L << 40;
  private static final long HASHED_PAGES = 2L << 40;
  /** The key of a model's {@link RowBook}: above every page key. */
  public static final long BOOK_PAGE = 3L << 40;
  /** Floats that hold a row's id. */
  public static final int ID_FLOATS = 3;
  /** Floats that hold a row's stamp, just before the row. */
  public static final int STAMP_FLOATS = 1;
  /** The stamp of a row that is not live. */
  public static final float ABSENT = 0f;
  /** The stamp of a live row whose last update is unknown (migrated from format 1). */
  public static final float UNDATED = 1f;
  /** Milliseconds per stamp unit. */
  public static final long STAMP_MILLIS = 3_600_000L;
  private static final long MAX_STAMP = (1L << 24) - 1;

  private PageFormat() {}

  /** Floats per row record of a hashed page: the id, the stamp and the row. */
  public static int recordSize(int rowSize) {
    return ID_FLOATS + STAMP_FLOATS + rowSize;
  }

  /** Floats per row of a direct page: the stamp and the row. */
  public static int directRecordSize(int rowSize) {
    return STAMP_FLOATS + rowSize;
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
    return HEADER + DIRECT_ROWS * directRecordSize(rowSize);
  }

  /** Offset of a row in its direct page (its stamp is just before). */
  public static int directOffset(long rowId, int rowSize) {
    return HEADER + (int) (rowId & (DIRECT_ROWS - 1)) * (STAMP_FLOATS + rowSize) + STAMP_FLOATS;
  }

  /** Whether a stored page (of format 2) is a direct page. */
  public static boolean isDirectPage(float[] page) {
    return page[0] == DIRECT_MARKER;
  }

  /** Whether a page key holds rows (every key but {@link #BOOK_PAGE}). */
  public static boolean isRowPage(long pageKey) {
    return pageKey >= 0 && pageKey < BOOK_PAGE;
  }

  /** Whether a row id is the bias's or a dense feature's: such rows never expire. */
  public static boolean isReservedRow(long rowId) {
    long reserved = rowId - RESERVED_BASE;
    return reserved >= 0 && reserved < DENSE_SPACE;
  }

  /** The stamp of a row updated at {@code eventTimeMillis}: its hour since the epoch, plus 2. */
  public static float stamp(long eventTimeMillis) {
    long hour = Math.floorDiv(eventTimeMillis, STAMP_MILLIS);
    return (float) (Math.min(Math.max(hour, 0), MAX_STAMP - 2) + 2);
  }

  /**
   * The first event time after the hour of a dated stamp (so a row with this stamp was last
   * updated before it), or {@link Long#MIN_VALUE} for {@link #UNDATED} and {@link #ABSENT}.
   */
  public static long stampEnd(float stamp) {
    return stamp < 2 ? Long.MIN_VALUE : ((long) stamp - 1) * STAMP_MILLIS;
  }

  /** The page format of a stored page: 1 or 2. */
  public static int version(float[] stored) {
    float tag = stored[0];
    return tag == DIRECT_MARKER || tag <= -HASHED_TAG ? 2 : 1;
  }

  /**
   * A stored page of format 1 in format 2 (a new array); a page of format 2 as it is. A format-1
   * row whose step count (its last two floats, see {@code RowLayout}) is non-zero was learned and
   * gets the stamp {@link #UNDATED}, any other {@link #ABSENT}.
   *
   * @throws IllegalStateException if the page's length does not fit rows of {@code rowSize}
   */
  public static float[] migrate(float[] stored, int rowSize) {
    if (version(stored) == 2) {
      return stored;
    }
    boolean direct = stored[0] == V1_DIRECT_MARKER;
    int rows = direct ? DIRECT_ROWS : (int) stored[0];
    int oldRecord = direct ? rowSize : ID_FLOATS + rowSize;
    int idFloats = direct ? 0 : ID_FLOATS;
    if (stored.length != HEADER + rows * oldRecord) {
      throw new IllegalStateException("a stored format-1 page of " + rows + " rows of " + rowSize
          + " floats must hold " + (HEADER + rows * oldRecord) + " floats, but holds "
          + stored.length + ": the state was written with another model or optimizer layout");
    }
    int newRecord = idFloats + STAMP_FLOATS + rowSize;
    float[] page = new float[HEADER + rows * newRecord];
    page[0] = direct ? DIRECT_MARKER : -(HASHED_TAG + rows);
    for (int r = 0; r < rows; r++) {
      int from = HEADER + r * oldRecord;
      int to = HEADER + r * newRecord;
      System.arraycopy(stored, from, page, to, idFloats);
      int row = from + idFloats;
      boolean learned = stored[row + rowSize - 1] != 0 || stored[row + rowSize - 2] != 0;
      page[to + idFloats] = learned ? UNDATED : ABSENT;
      System.arraycopy(stored, row, page, to + idFloats + STAMP_FLOATS, rowSize);
    }
    return page;
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

  /** The rows of a hashed page of format 2. */
  public static int rowCount(float[] page) {
    return -(int) page[0] - HASHED_TAG;
  }

  static void setRowCount(float[] page, int count) {
    page[0] = -(HASHED_TAG + count);
  }

  /** Offset of record {@code r}'s id. */
  public static int recordOffset(int r, int rowSize) {
    return HEADER + r * recordSize(rowSize);
  }

  /** Offset of record {@code r}'s row (weights, slots, step count); its stamp is just before. */
  public static int rowOffset(int r, int rowSize) {
    return recordOffset(r, rowSize) + ID_FLOATS + STAMP_FLOATS;
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
