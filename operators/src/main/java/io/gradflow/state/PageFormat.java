package io.gradflow.state;

/**
 * The layout of a page of parameter rows as one {@code float[]}: the value of one keyed-state
 * entry ({@code MapState<Long, float[]>}, page number to page), format version 1.
 *
 * <pre>
 *   [0]                         number of rows in the page (an integer-valued float)
 *   [1 + r * record ..]         row r: its 64-bit id as three integer-valued floats
 *                               (bits 0-21, 22-42, 43-63), then the row itself
 *                               ({@code rowSize} floats: weights, slots, step count)
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
  /** Floats before the first row. */
  public static final int HEADER = 1;
  /** Floats that hold a row's id. */
  public static final int ID_FLOATS = 3;

  private PageFormat() {}

  /** Floats per row record: the id plus the row. */
  public static int recordSize(int rowSize) {
    return ID_FLOATS + rowSize;
  }

  /** The page number of a row: the top {@code pageBits} bits of a mix of its id. */
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
