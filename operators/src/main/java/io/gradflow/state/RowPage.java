package io.gradflow.state;

import java.util.Arrays;

/**
 * One page of rows in memory, in the {@link PageFormat}. A direct page is its array: a row's
 * offset is computed from its id. A hashed page has spare capacity and an open-addressing index
 * from row id to record number, rebuilt when the page is loaded; ids and record numbers are
 * interleaved in one array so a lookup touches one cache line.
 *
 * <p>Memory: the page's floats; a hashed page also 16 bytes per index slot (at most half full).
 * Not thread-safe; owned by one {@link PageCache}.
 */
public final class RowPage {
  private final int rowSize;
  /** Floats of a row's stamp: 0 (page format 1) or 1 (format 2). */
  private final int stamps;
  private final int recordSize;
  private final boolean direct;
  private boolean fresh;
  private float[] data;
  /** Where the page starts in {@link #data}: 0, or its place in a {@link DirectArena} chunk. */
  private final int base;
  /** The arena slot of a direct page held in a {@link DirectArena}, else -1. */
  final int slot;
  /** The arena that holds this page and its flags, or null. */
  private final DirectArena arena;
  private int count;
  /** Slot s holds an id at [2s] and its record number + 1 at [2s + 1] (0 for empty). */
  private long[] index;
  private int mask;
  /**
   * The empty slot where the last {@link #find} of a missing id ({@link #missId}) stopped, or -1:
   * where {@link #add} of that id puts it without probing again (the slot a new probe would
   * reach). Valid until the index changes: a new index or any insert forgets it.
   */
  private int missSlot = -1;
  private long missId;

  /** Flags of a page outside an arena (an arena keeps its pages' flags). */
  private boolean dirty;
  private boolean referenced;
  /** The {@link PageCache} epoch in which the page was last pinned (0: never). */
  private long pinnedIn;
  /** Where the page's entry is in its {@link PageCache}'s clock. */
  int clockAt = -1;

  /** An empty hashed page whose rows have stamps of {@code stamps} floats (0 or 1). */
  public RowPage(int rowSize, int stamps, int initialRows) {
    this.rowSize = rowSize;
    this.stamps = stamps;
    this.recordSize = PageFormat.recordSize(rowSize, stamps);
    this.direct = false;
    this.data = new float[PageFormat.HEADER + Math.max(1, initialRows) * recordSize];
    this.base = 0;
    this.slot = -1;
    this.arena = null;
    this.count = 0;
    PageFormat.setRowCount(data, 0, stamps);
    allocateIndex(Math.max(1, initialRows));
  }

  private RowPage(int rowSize, int stamps, float[] data, int base, int slot,
      DirectArena arena) {
    this.rowSize = rowSize;
    this.stamps = stamps;
    this.recordSize = stamps + rowSize;
    this.direct = true;
    this.data = data;
    this.base = base;
    this.slot = slot;
    this.arena = arena;
    this.count = PageFormat.DIRECT_ROWS;
    if (arena != null) {
      arena.hold(slot, this);
    }
  }

  /**
   * A new direct page of zeroed rows in slot {@code slot} of an arena; {@link #takeFresh()} tells
   * the owner, once, to initialize them (ids {@code PageFormat.firstRow(key) + r}).
   */
  static RowPage newDirect(int rowSize, int stamps, DirectArena arena, int slot) {
    float[] chunk = arena.chunk(slot);
    int base = arena.base(slot);
    Arrays.fill(chunk, base, base + PageFormat.directPageFloats(rowSize, stamps), 0f);
    chunk[base] = PageFormat.directMarker(stamps);
    RowPage page = new RowPage(rowSize, stamps, chunk, base, slot, arena);
    page.fresh = true;
    page.markDirty();
    return page;
  }

  /**
   * A stored direct page copied into slot {@code slot} of an arena, converted to the format of
   * {@code stamps} ({@link PageFormat#convert}).
   */
  static RowPage loadDirect(float[] stored, int rowSize, int stamps, DirectArena arena,
      int slot) {
    stored = PageFormat.convert(stored, rowSize, stamps);
    System.arraycopy(stored, 0, arena.chunk(slot), arena.base(slot), stored.length);
    return new RowPage(rowSize, stamps, arena.chunk(slot), arena.base(slot), slot, arena);
  }

  /** True the first time it is asked of a new direct page whose rows are not initialized yet. */
  public boolean takeFresh() {
    if (!fresh) {
      return false;
    }
    fresh = false;
    return true;
  }

  /** Floats of a row's stamp: 0 (page format 1) or 1 (format 2). */
  public int stamps() {
    return stamps;
  }

  public boolean isDirect() {
    return direct;
  }

  /** A page loaded from keyed state, in the format it was stored in. */
  public static RowPage load(float[] stored, int rowSize) {
    return load(stored, rowSize, PageFormat.stamps(stored));
  }

  /**
   * A page loaded from keyed state, converted to the format of {@code stamps}
   * ({@link PageFormat#convert}). The state's array is copied, never kept: the heap state backend
   * still holds it, and a checkpoint may be writing it.
   *
   * @throws IllegalStateException if the page does not hold rows of {@code rowSize} floats
   */
  public static RowPage load(float[] stored, int rowSize, int stamps) {
    float[] converted = PageFormat.convert(stored, rowSize, stamps);
    if (PageFormat.isDirectPage(converted)) {
      return new RowPage(rowSize, stamps, converted == stored ? stored.clone() : converted, 0,
          -1, null);
    }
    stored = converted;
    int rows = PageFormat.rowCount(stored);
    RowPage page = new RowPage(rowSize, stamps, rows + rows / 4 + 1);
    System.arraycopy(stored, 0, page.data, 0, stored.length);
    for (int r = 0; r < rows; r++) {
      page.indexPut(PageFormat.readId(page.data, PageFormat.recordOffset(r, rowSize, stamps)), r);
      page.count = r + 1;
    }
    return page;
  }

  /** The page as it goes to keyed state: a fresh array of exactly its rows. */
  public float[] toStored() {
    if (direct) {
      return Arrays.copyOfRange(data, base, base + PageFormat.directPageFloats(rowSize, stamps));
    }
    float[] stored = Arrays.copyOf(data, PageFormat.HEADER + count * recordSize);
    PageFormat.setRowCount(stored, count, stamps);
    return stored;
  }

  /** The backing array. It is replaced when the page grows: fetch it after adding rows. */
  /**
   * The array holding the page's rows; offsets from {@link #find} and {@link #add} index it. A
   * direct page held by a {@link PageCache} shares its array with other pages.
   */
  public float[] data() {
    return data;
  }

  public int rowCount() {
    return count;
  }

  /** Offset of the row's data in {@link #data()}, or -1 if the page has no such row. */
  public int find(long rowId) {
    if (direct) {
      return base + PageFormat.directOffset(rowId, rowSize);
    }
    long[] table = index;
    int slot = (int) PageFormat.mix(rowId) & mask;
    long record;
    while ((record = table[2 * slot + 1]) != 0) {
      if (table[2 * slot] == rowId) {
        return PageFormat.rowOffset((int) record - 1, rowSize, stamps);
      }
      slot = (slot + 1) & mask;
    }
    missSlot = slot;
    missId = rowId;
    return -1;
  }

  /**
   * Offset in {@link #data()} of the stamp of the row at {@code rowOffset} (from {@link #find}),
   * in a page of format 2: in a direct page's stamp block, else just before the row.
   */
  public int stampAt(long rowId, int rowOffset) {
    return direct ? base + PageFormat.directStampOffset(rowId, rowSize) : rowOffset - 1;
  }

  /**
   * Appends a zeroed row and returns its offset in {@link #data()} (which may be a new array).
   * The caller initializes it. Marks the page dirty.
   */
  public int add(long rowId) {
    if (direct) {
      throw new IllegalStateException("a direct page holds all its rows from the start");
    }
    if (PageFormat.HEADER + (count + 1) * recordSize > data.length) {
      data = Arrays.copyOf(data, PageFormat.HEADER + Math.max(count * 2, count + 4) * recordSize);
    }
    int at = PageFormat.recordOffset(count, rowSize, stamps);
    PageFormat.writeId(data, at, rowId);
    if (stamps > 0) {
      data[at + PageFormat.ID_FLOATS] = PageFormat.ABSENT;
    }
    indexPut(rowId, count);
    count++;
    PageFormat.setRowCount(data, count, stamps);
    dirty = true;
    return at + PageFormat.ID_FLOATS + stamps;
  }

  /**
   * Removes the records of a hashed page whose {@code drop} entry is true (indexed by record
   * number), keeping the others in order, and marks the page dirty. Offsets found before are
   * invalid afterwards.
   */
  void removeRecords(boolean[] drop) {
    if (direct) {
      throw new IllegalStateException("a direct page holds all its rows from the start");
    }
    int kept = 0;
    for (int r = 0; r < count; r++) {
      if (!drop[r]) {
        if (kept != r) {
          System.arraycopy(data, PageFormat.recordOffset(r, rowSize, stamps), data,
              PageFormat.recordOffset(kept, rowSize, stamps), recordSize);
        }
        kept++;
      }
    }
    count = 0;
    allocateIndex(Math.max(1, kept));
    for (int r = 0; r < kept; r++) {
      indexPut(rowId(r), r);
      count = r + 1;
    }
    PageFormat.setRowCount(data, count, stamps);
    markDirty();
  }

  /** The id of record {@code r} of a hashed page. */
  public long rowId(int r) {
    return PageFormat.readId(data, PageFormat.recordOffset(r, rowSize, stamps));
  }

  public boolean isDirty() {
    return arena != null ? arena.has(slot, DirectArena.DIRTY) : dirty;
  }

  /** Records that a row of the page was changed, so the page is written back. */
  public void markDirty() {
    if (arena != null) {
      arena.touch(slot, DirectArena.DIRTY);
    } else if (!dirty) {
      dirty = true;
    }
  }

  void markClean() {
    if (arena != null) {
      arena.clear(slot, DirectArena.DIRTY);
    } else {
      dirty = false;
    }
  }

  boolean isReferenced() {
    return arena != null ? arena.has(slot, DirectArena.REFERENCED) : referenced;
  }

  void setReferenced(boolean value) {
    if (arena != null) {
      if (value) {
        arena.touch(slot, DirectArena.REFERENCED);
      } else {
        arena.clear(slot, DirectArena.REFERENCED);
      }
    } else if (referenced != value) {
      referenced = value;
    }
  }

  long pinnedIn() {
    return arena != null ? arena.pinnedIn(slot) : pinnedIn;
  }

  void pin(long epoch) {
    if (arena != null) {
      arena.pin(slot, epoch);
    } else if (pinnedIn != epoch) {
      pinnedIn = epoch;
    }
  }

  private void allocateIndex(int rows) {
    missSlot = -1;
    int capacity = Integer.highestOneBit(Math.max(4, rows * 2 - 1)) << 1;
    index = new long[2 * capacity];
    mask = capacity - 1;
  }

  private void indexPut(long rowId, int record) {
    if ((count + 1) * 2 > mask + 1) {
      long[] old = index;
      allocateIndex(mask + 1);
      for (int s = 0; s < old.length; s += 2) {
        if (old[s + 1] != 0) {
          insert(old[s], (int) old[s + 1] - 1);
        }
      }
    }
    insert(rowId, record);
  }

  private void insert(long rowId, int record) {
    int slot;
    if (missSlot >= 0 && missId == rowId) {
      slot = missSlot; // found empty by the find that missed it, the index unchanged since
    } else {
      slot = (int) PageFormat.mix(rowId) & mask;
      while (index[2 * slot + 1] != 0) {
        slot = (slot + 1) & mask;
      }
    }
    missSlot = -1; // another id added after the miss may have taken its slot
    index[2 * slot] = rowId;
    index[2 * slot + 1] = record + 1L;
  }
}
