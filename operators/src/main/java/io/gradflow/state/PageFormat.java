package io.gradflow.state;

/**
 * The layout of a page of parameter rows as one {@code float[]}: the value of one keyed-state
 * entry ({@code MapState<Long, float[]>}, page key to page). Two format versions: format 1 holds
 * the rows alone; format 2 adds for every row its <b>stamp</b>, one float that says whether the
 * row is live and the event-time hour of its last update (see {@link #stamp(long)}), which expiry
 * and admission ({@link RowPolicy}) need. A model whose {@code rows} policy needs no stamps keeps
 * format 1, which is faster: the trainer ran 10-25% slower with stamps on 4-float rows in
 * {@code bench/run-trainer.sh} (one more cache line touched per row). Layout functions take
 * {@code stamps}, the floats of a stamp: 0 in format 1, 1 in format 2. There are two kinds of
 * page.
 *
 * <p><b>Direct pages</b> hold the rows of a dense id space: hashed features ({@code [0, 2^40)})
 * and the bias and dense-feature rows ({@code 2^62 + j}). A direct page holds
 * {@value #DIRECT_ROWS} consecutive ids, every row initialized from the page's creation, at a
 * position computed from the id: no ids are stored and no lookup is needed.
 *
 * <pre>
 *   [0]                                the tag: -1 in format 1, -2 in format 2
 *   [1 + (id mod 512) * rowSize ..]    the row ({@code rowSize} floats: weights, slots, step
 *                                      count)
 *   [1 + 512 * rowSize + (id mod 512)] format 2: the row's stamp
 * </pre>
 *
 * The stamps of a direct page sit in a block after its rows rather than each before its row, so
 * rows keep format 1's offsets and cache-line alignment (with 4-float rows, four to a line) and a
 * migration only appends the block.
 *
 * <p><b>Sparse direct keys.</b> A direct page costs {@value #DIRECT_ROWS} rows whether one or all
 * of them are learned, so on a sparse id space (a large {@code hash_bits} with few features) every
 * id would get a page of its own. A direct key's page therefore starts in the hashed form below
 * (records with their ids, only the rows touched), and becomes a direct page once it holds
 * {@link #DENSE_AT} rows; a stored direct page with fewer than {@code DENSE_AT / 2} learned rows
 * is read back in the hashed form (and written so). Either form may be stored under a direct key:
 * its first float tells which ({@link #isDirectPage}). Memory and checkpoint bytes are then at
 * most about {@code DIRECT_ROWS / (DENSE_AT / 2)} = 16 times the learned rows' bytes on any id
 * space (a direct page holds at least that many learned rows), and about
 * {@code (rowSize + 3 + 1) / rowSize} times on a sparse one.
 *
 * <p><b>Hashed pages</b> hold rows of the sparse 63-bit entity space (user and item ids, kept
 * without collisions), as many as have been seen, each with its id:
 *
 * <pre>
 *   [0]                         format 1: the number of rows; format 2: -(3 + the number)
 *   [1 + r * record ..]         row r: its 64-bit id as three integer-valued floats
 *                               (bits 0-21, 22-42, 43-63), format 2: its stamp, then the row
 *                               (so a hashed row's stamp is just before it)
 * </pre>
 *
 * <p><b>Stamps.</b> {@value #ABSENT}: the row is not live (never learned, or expired; a direct
 * page's row then holds its initial values); {@value #UNDATED}: live, last update unknown (a row
 * that came from format 1); {@code h + 2}: live, last updated in event-time hour {@code h} since
 * the epoch (exact up to 2^24, the year 3884). An hour is expiry's resolution: it costs one float
 * per row where milliseconds would cost two.
 *
 * <p><b>Migration.</b> The first float tells a stored page's format, so the two can never be
 * confused and the state keeps its name, {@code pages.v1}. A page is converted to the configured
 * format when it is read ({@link #convert}), and written back in it: from format 1, every hashed
 * record, and every direct row with a non-zero float (weights, slots or step count), counts as
 * learned and gets the
 * stamp {@link #UNDATED}, any other {@link #ABSENT}; to format 1, stamps are dropped. The first
 * expiry sweep after a migration dates undated rows at its own time.
 *
 * <p><b>Small models.</b> A model with few rows (a tenant among thousands) keeps them all in
 * one page in the hashed form under {@link #MODEL_PAGE}, whatever their ids, until it holds
 * {@link #SMALL_AT} rows; then its rows move to the pages above ({@code PagedLearner}). So a
 * small model is one keyed-state entry (and one cache page, weighed by its memory:
 * {@code PageCache}) instead of a page per feature it has seen. The key lies in the hashed range
 * ({@link #isRowPage} and a reader of hashed pages read it as one), above every page number
 * {@code state.page_bits} can give. Until 2026-12-01 the threshold was 64 rows
 * ({@link #DENSE_AT}); a stored small page of any size loads and keeps growing to the threshold
 * of the code that reads it (a release with 64 spills a larger one at its next example), and a
 * model stored in pages stays in pages, so the pages of either release continue bit for bit in
 * the other: a row's values never depend on the page it lives in. The model signature lets state
 * of the 64-row threshold restore here; a release of that threshold refuses this one's state by
 * its signature ({@code ModelSignature}, "small models").
 *
 * <p>Two further keys hold no rows: {@link #BOOK_PAGE}, the model's {@link RowBook} (row counters
 * and the admission sketch), and {@link #DENSE_PAGE}, a model's dense parameter blocks (an MLP's
 * layers) one after the other, each row in the optimizer's row layout (weights interleaved with
 * slots, then the step count); only models with dense blocks have it.
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
  /** The newest format's version; a model's is {@link #version(int)} of its stamps. */
  public static final int VERSION = 2;
  /** Floats before the first row. */
  public static final int HEADER = 1;
  /** Rows of a direct page: 2^{@value #DIRECT_SHIFT}. */
  public static final int DIRECT_ROWS = 512;
  public static final int DIRECT_SHIFT = 9;
  /**
   * Rows at which a direct key's page in the hashed form becomes a direct page: 1/8 of its rows,
   * where the direct page's memory is about 4 to 8 times the records' (with their ids and index).
   */
  public static final int DENSE_AT = DIRECT_ROWS / 8;
  /** A hashed page's first float in format 2 is {@code -(HASHED_TAG + rows)}. */
  private static final int HASHED_TAG = 3;
  private static final long DENSE_SPACE = 1L << 40;
  private static final long RESERVED_BASE = 1L << 62;
  private static final long RESERVED_PAGES = 1L << 40;
  private static final long HASHED_PAGES = 2L << 40;
  /**
   * The key of a small model's only page, in the hashed form ("Small models" above): a hashed
   * page number no {@code state.page_bits} (at most 30) reaches.
   */
  public static final long MODEL_PAGE = HASHED_PAGES | (1L << 39);
  /**
   * Rows at which a small model's page is spilled into the pages its rows map to: half a direct
   * page's rows, where the page's records (3 id floats, the row) and index take about a direct
   * page's memory with 4-float rows (AdaGrad's): 256 records of 7 floats and an index of 512
   * ints, 2,305 floats against 2,049; less with larger rows. Spilled, a tenant of a few hundred
   * rows takes a page per row (its features' ids spread over the pages), each weighing a whole
   * page of the cache: a tenant of 95 rows was 95 pages of one row (64 until 2026-12-01, see
   * "Small models" above).
   */
  public static final int SMALL_AT = DIRECT_ROWS / 2;
  /** The key of a model's {@link RowBook}: above every page key. */
  public static final long BOOK_PAGE = 3L << 40;
  /** The key of a model's dense blocks (not a row page). */
  public static final long DENSE_PAGE = 4L << 40;
  /** Floats that hold a row's id. */
  public static final int ID_FLOATS = 3;
  /** The stamp of a row that is not live. */
  public static final float ABSENT = 0f;
  /** The stamp of a live row whose last update is unknown (migrated from format 1). */
  public static final float UNDATED = 1f;
  /** Milliseconds per stamp unit. */
  public static final long STAMP_MILLIS = 3_600_000L;
  private static final long MAX_STAMP = (1L << 24) - 1;

  private PageFormat() {}

  /** The format of pages with stamps of {@code stamps} floats (0 or 1): 1 or 2. */
  public static int version(int stamps) {
    return 1 + stamps;
  }

  /** The first float of a direct page. */
  public static float directMarker(int stamps) {
    return stamps == 0 ? -1f : -2f;
  }

  /** Floats per row record of a hashed page: the id, the stamp (format 2) and the row. */
  public static int recordSize(int rowSize, int stamps) {
    return ID_FLOATS + stamps + rowSize;
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
  public static int directPageFloats(int rowSize, int stamps) {
    return HEADER + DIRECT_ROWS * (rowSize + stamps);
  }

  /** Offset of a row in its direct page (either format). */
  public static int directOffset(long rowId, int rowSize) {
    return HEADER + (int) (rowId & (DIRECT_ROWS - 1)) * rowSize;
  }

  /** Offset of a row's stamp in its direct page of format 2. */
  public static int directStampOffset(long rowId, int rowSize) {
    return HEADER + DIRECT_ROWS * rowSize + (int) (rowId & (DIRECT_ROWS - 1));
  }

  /** Whether a stored page is a direct page. */
  public static boolean isDirectPage(float[] page) {
    return page[0] == -1f || page[0] == -2f;
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

  /** The floats of a stamp in a stored page: 0 (format 1) or 1 (format 2). */
  public static int stamps(float[] stored) {
    float tag = stored[0];
    return tag == -2f || tag <= -HASHED_TAG ? 1 : 0;
  }

  /**
   * A stored page in the format of {@code stamps} (a new array), or the page itself if it is in
   * that format already. From format 1, every hashed record and every direct row with a non-zero
   * float counts as learned and gets the stamp {@link #UNDATED}, any other
   * {@link #ABSENT}; to format 1, stamps are dropped.
   *
   * @throws IllegalStateException if the page's length does not fit rows of {@code rowSize}
   */
  public static float[] convert(float[] stored, int rowSize, int stamps) {
    int from = stamps(stored);
    boolean direct = isDirectPage(stored);
    int rows = direct ? DIRECT_ROWS : rowCount(stored);
    int idFloats = direct ? 0 : ID_FLOATS;
    int expected = HEADER + rows * (idFloats + from + rowSize);
    if (stored.length != expected) {
      throw new IllegalStateException("a stored " + (direct ? "direct " : "") + "page of " + rows
          + " rows of " + rowSize + " floats (format " + version(from) + ") must hold "
          + expected + " floats, but holds " + stored.length
          + ": the state was written with another model or optimizer layout");
    }
    if (from == stamps) {
      return stored;
    }
    float[] page = new float[HEADER + rows * (idFloats + stamps + rowSize)];
    if (direct) {
      page[0] = directMarker(stamps);
      System.arraycopy(stored, HEADER, page, HEADER, rows * rowSize);
      if (stamps > 0) {
        for (int r = 0; r < rows; r++) {
          page[HEADER + rows * rowSize + r] = learned(stored, HEADER + r * rowSize, rowSize);
        }
      }
      return page;
    }
    setRowCount(page, rows, stamps);
    for (int r = 0; r < rows; r++) {
      int at = recordOffset(r, rowSize, from);
      int to = recordOffset(r, rowSize, stamps);
      System.arraycopy(stored, at, page, to, ID_FLOATS);
      int row = at + ID_FLOATS + from;
      if (stamps > 0) {
        // A hashed record exists because its row was touched: never lose one to a guess.
        page[to + ID_FLOATS] = UNDATED;
      }
      System.arraycopy(stored, row, page, to + ID_FLOATS + stamps, rowSize);
    }
    return page;
  }

  /**
   * The stamp a format-1 direct row gets: undated if its step count (last two floats) is
   * non-zero, or if any of its other floats is (a drift policy's reset_slots sets the step count
   * of a learned row back to 0 and keeps its weights); absent only for a row still all zero. A
   * row initialized to non-zero values (a factorization machine's factors) counts as learned:
   * kept and dated rather than lost.
   */
  private static float learned(float[] page, int row, int rowSize) {
    for (int i = 0; i < rowSize; i++) {
      if (page[row + i] != 0) {
        return UNDATED;
      }
    }
    return ABSENT;
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


  /** The rows of a stored hashed page (of either format). */
  public static int rowCount(float[] page) {
    return page[0] >= 0 ? (int) page[0] : -(int) page[0] - HASHED_TAG;
  }

  /** Sets the row count of a hashed page in the format of {@code stamps}. */
  public static void setRowCount(float[] page, int count, int stamps) {
    page[0] = stamps == 0 ? count : -(HASHED_TAG + count);
  }

  /** Offset of record {@code r}'s id. */
  public static int recordOffset(int r, int rowSize, int stamps) {
    return HEADER + r * recordSize(rowSize, stamps);
  }

  /** Offset of record {@code r}'s row (weights, slots, step count); its stamp is just before. */
  public static int rowOffset(int r, int rowSize, int stamps) {
    return recordOffset(r, rowSize, stamps) + ID_FLOATS + stamps;
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
