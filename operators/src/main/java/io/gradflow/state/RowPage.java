package io.gradflow.state;

import java.util.Arrays;

/**
 * One page of rows in memory: the {@link PageFormat} array with spare capacity, plus an
 * open-addressing index from row id to record number, rebuilt when the page is loaded.
 *
 * <p>Memory: the page's floats, plus 12 bytes per index slot (at most half full). Not
 * thread-safe; owned by one {@link PageCache}.
 */
public final class RowPage {
  private final int rowSize;
  private final int recordSize;
  private float[] data;
  private int count;
  private long[] indexIds;
  private int[] indexRecords;
  private int mask;

  boolean dirty;
  boolean referenced;
  int pins;

  /** An empty page. */
  public RowPage(int rowSize, int initialRows) {
    this.rowSize = rowSize;
    this.recordSize = PageFormat.recordSize(rowSize);
    this.data = new float[PageFormat.HEADER + Math.max(1, initialRows) * recordSize];
    this.count = 0;
    allocateIndex(Math.max(1, initialRows));
  }

  /**
   * A page loaded from keyed state. The state's array is copied, never kept: the heap state
   * backend still holds it, and a checkpoint may be writing it.
   */
  public static RowPage load(float[] stored, int rowSize) {
    int rows = PageFormat.rowCount(stored);
    int expected = PageFormat.HEADER + rows * PageFormat.recordSize(rowSize);
    if (stored.length != expected) {
      throw new IllegalStateException("a stored page of " + rows + " rows of " + rowSize
          + " floats must hold " + expected + " floats, but holds " + stored.length
          + ": the state was written with another model or optimizer layout");
    }
    RowPage page = new RowPage(rowSize, rows + rows / 4 + 1);
    System.arraycopy(stored, 0, page.data, 0, stored.length);
    for (int r = 0; r < rows; r++) {
      page.indexPut(PageFormat.readId(page.data, PageFormat.recordOffset(r, rowSize)), r);
      page.count = r + 1;
    }
    return page;
  }

  /** The page as it goes to keyed state: a fresh array of exactly its rows. */
  public float[] toStored() {
    float[] stored = Arrays.copyOf(data, PageFormat.HEADER + count * recordSize);
    PageFormat.setRowCount(stored, count);
    return stored;
  }

  /** The backing array. It is replaced when the page grows: fetch it after adding rows. */
  public float[] data() {
    return data;
  }

  public int rowCount() {
    return count;
  }

  /** Offset of the row's data in {@link #data()}, or -1 if the page has no such row. */
  public int find(long rowId) {
    int slot = (int) PageFormat.mix(rowId) & mask;
    while (indexRecords[slot] >= 0) {
      if (indexIds[slot] == rowId) {
        return PageFormat.rowOffset(indexRecords[slot], rowSize);
      }
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /**
   * Appends a zeroed row and returns its offset in {@link #data()} (which may be a new array).
   * The caller initializes it. Marks the page dirty.
   */
  public int add(long rowId) {
    if (PageFormat.HEADER + (count + 1) * recordSize > data.length) {
      data = Arrays.copyOf(data, PageFormat.HEADER + Math.max(count * 2, count + 4) * recordSize);
    }
    int at = PageFormat.recordOffset(count, rowSize);
    PageFormat.writeId(data, at, rowId);
    indexPut(rowId, count);
    count++;
    PageFormat.setRowCount(data, count);
    dirty = true;
    return at + PageFormat.ID_FLOATS;
  }

  /** The id of record {@code r}. */
  public long rowId(int r) {
    return PageFormat.readId(data, PageFormat.recordOffset(r, rowSize));
  }

  public boolean isDirty() {
    return dirty;
  }

  /** Records that a row of the page was changed, so the page is written back. */
  public void markDirty() {
    dirty = true;
  }

  private void allocateIndex(int rows) {
    int capacity = Integer.highestOneBit(Math.max(4, rows * 2 - 1)) << 1;
    indexIds = new long[capacity];
    indexRecords = new int[capacity];
    Arrays.fill(indexRecords, -1);
    mask = capacity - 1;
  }

  private void indexPut(long rowId, int record) {
    if ((count + 1) * 2 > indexIds.length) {
      long[] oldIds = indexIds;
      int[] oldRecords = indexRecords;
      allocateIndex(indexIds.length);
      for (int i = 0; i < oldIds.length; i++) {
        if (oldRecords[i] >= 0) {
          insert(oldIds[i], oldRecords[i]);
        }
      }
    }
    insert(rowId, record);
  }

  private void insert(long rowId, int record) {
    int slot = (int) PageFormat.mix(rowId) & mask;
    while (indexRecords[slot] >= 0) {
      slot = (slot + 1) & mask;
    }
    indexIds[slot] = rowId;
    indexRecords[slot] = record;
  }
}
