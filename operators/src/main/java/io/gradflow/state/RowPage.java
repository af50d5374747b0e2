package io.gradflow.state;

import java.util.Arrays;

/**
 * One page of rows in memory, in the {@link PageFormat}. A direct page is its array: a row's
 * offset is computed from its id. A hashed page has spare capacity and an open-addressing index
 * from row id to record number, rebuilt when the page is loaded (never stored, so its layout is
 * no part of the {@link PageFormat}).
 *
 * <p><b>Index.</b> A slot is one {@code int}: the record number + 1 in its low
 * {@value #RECORD_BITS} bits (0: empty) and, in its top 8 bits, a tag of 8 further bits of the
 * id's hash ({@link PageFormat#mix}). A lookup compares the tag, then the id stored in the record
 * itself, which it reads anyway for the row that follows; a miss reads a record only when a tag
 * matches (1 in 256 occupied slots). A slot of 16 bytes holding the id (before 2026-12-01) cost 4
 * times the memory: about 1 kB for a 30-row tenant's small page, and 4,124 heap bytes per key
 * in {@code bench/run-many-keys.sh} against 3,162 (its rate did not change measurably). The
 * record number's bits limit a hashed page to
 * {@value #MAX_ROWS} rows, which the format's float row count (exact to 2^24) nearly did already;
 * small pages and direct keys in the hashed form hold about {@link PageFormat#SMALL_AT} and
 * {@link PageFormat#DENSE_AT} at most (plus the rows of one example), and entity rows spread over
 * 2^{@code state.page_bits} pages.
 *
 * <p>Memory: the page's floats; a hashed page also 4 bytes per index slot (at most half full),
 * {@link #floats()} in all. Not thread-safe; owned by one {@link PageCache}.
 */
public final class RowPage {
  /** Bits of an index slot that hold the record number + 1. */
  static final int RECORD_BITS = 24;
  private static final int RECORD_MASK = (1 << RECORD_BITS) - 1;
  private static final int TAG_MASK = ~RECORD_MASK;
  /**
   * Rows a hashed page holds at most: the format's row count ({@code -(3 + rows)} in format 2) is
   * a float, exact up to 2^24, and the index keeps record numbers below 2^24 - 1.
   */
  public static final int MAX_ROWS = (1 << RECORD_BITS) - 3;
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
  /** Slot s: its id's tag in the top bits, its record number + 1 in the low bits (0: empty). */
  private int[] index;
  private int mask;
  /**
   * The empty slot where the last {@link #find} of a missing id ({@link #missId}) stopped, or -1:
   * where {@link #add} of that id puts it without probing again (the slot a new probe would
   * reach). Valid until the index changes: a new index or any insert forgets it.
   */
  private int missSlot = -1;
  private long missId;
  /** The tag of {@link #missId} ({@link #tag}). */
  private int missTag;

  /** Flags of a page outside an arena (an arena keeps its pages' flags). */
  private boolean dirty;
  private boolean referenced;
  /** The {@link PageCache} epoch in which the page was last pinned (0: never). */
  private long pinnedIn;
  /** Where the page's entry is in its {@link PageCache}'s clock. */
  int clockAt = -1;
  /** The page's weight in its {@link PageCache}'s capacity, in {@code PageCache.UNITS}. */
  int units;

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
    if (rows > MAX_ROWS) { // the index's record numbers would run into its tags
      throw new IllegalStateException("a stored page holds " + rows + " rows, more than the "
          + MAX_ROWS + " a page of entity rows can hold; it cannot be loaded");
    }
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

  /**
   * The page's memory in 4-byte elements: a direct page's floats; a hashed page's array (with its
   * room to grow) and index slots. Object headers not counted.
   */
  public int floats() {
    return direct ? PageFormat.directPageFloats(rowSize, stamps) : data.length + index.length;
  }

  /** Offset of the row's data in {@link #data()}, or -1 if the page has no such row. */
  public int find(long rowId) {
    if (direct) {
      return base + PageFormat.directOffset(rowId, rowSize);
    }
    int[] table = index;
    long hash = PageFormat.mix(rowId);
    int tag = tag(hash);
    int slot = (int) hash & mask;
    int entry;
    while ((entry = table[slot]) != 0) {
      if ((entry & TAG_MASK) == tag) {
        int at = PageFormat.recordOffset((entry & RECORD_MASK) - 1, rowSize, stamps);
        if (PageFormat.readId(data, at) == rowId) {
          return at + PageFormat.ID_FLOATS + stamps;
        }
      }
      slot = (slot + 1) & mask;
    }
    missSlot = slot;
    missId = rowId;
    missTag = tag;
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
   *
   * @throws IllegalStateException if the page holds {@link #MAX_ROWS} rows already
   */
  public int add(long rowId) {
    if (direct) {
      throw new IllegalStateException("a direct page holds all its rows from the start");
    }
    if (count >= MAX_ROWS) {
      throw new IllegalStateException("a page of entity rows holds at most " + MAX_ROWS
          + " rows: raise state.page_bits to spread the rows over more pages");
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
    index = new int[capacity];
    mask = capacity - 1;
  }

  private void indexPut(long rowId, int record) {
    if ((count + 1) * 2 > mask + 1) {
      allocateIndex(mask + 1);
      for (int r = 0; r < count; r++) { // every record before this one, its id in the page
        insert(rowId(r), r);
      }
    }
    insert(rowId, record);
  }

  /** The tag of an id's hash in an index slot: 8 bits the slot number does not use. */
  private static int tag(long hash) {
    return (int) (hash >>> 56) << RECORD_BITS;
  }

  private void insert(long rowId, int record) {
    int slot;
    int tag;
    if (missSlot >= 0 && missId == rowId) {
      slot = missSlot; // found empty by the find that missed it, the index unchanged since
      tag = missTag;
    } else {
      long hash = PageFormat.mix(rowId);
      tag = tag(hash);
      slot = (int) hash & mask;
      while (index[slot] != 0) {
        slot = (slot + 1) & mask;
      }
    }
    missSlot = -1; // another id added after the miss may have taken its slot
    index[slot] = tag | (record + 1);
  }
}
