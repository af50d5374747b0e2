package io.gradflow.state;

import java.util.Arrays;

/**
 * The memory of a {@link PageCache}'s direct pages: large shared {@code float[]} chunks cut into
 * page-sized slots. Keeping thousands of pages in a few arrays instead of one array each means a
 * row access touches the row's own cache line and not also the line of a page array's header,
 * which is most of what separates a paged model from a flat array of rows (the bare loop).
 *
 * <p>The arena also holds each slot's cache bookkeeping (referenced, dirty, pinned) in small
 * primitive arrays, so the hot path updates it without touching the {@link RowPage} object.
 * Slots are reused after {@link #release}; chunks are allocated as slots are first needed and
 * kept.
 *
 * <p>Memory: the chunks hold at most the cache's budget of pages plus {@link #slack} (a
 * sixteenth, at most {@link #SLACK_PAGES} pages), so the arena stays within {@code
 * state.cache_memory} plus that slack; beyond that only while one example pins more direct
 * pages than the cache holds, in chunks of at most {@link #SLACK_PAGES} pages. A chunk addresses a power-of-two range
 * of slots (a slot's chunk and place are a shift and a mask away), but is allocated only as long
 * as the budget needs: the last chunk of a budget that is no power of two is shorter, and the next
 * chunk's slots start at the next range. Not thread-safe.
 */
final class DirectArena {
  /**
   * Floats per chunk at most, 128 MB (a chunk holds a power-of-two number of pages, so it is
   * 64-128 MB: 8,192 pages of 512 AdaGrad rows, a 4M-row model), or fewer when the cache expects
   * fewer pages (see the constructor): few arrays, none near the JVM's array size limit. A model
   * whose direct pages all fit in one chunk gives every fast row the same array, which
   * {@link PagedLearner} then needs not store per row (see {@link #chunks()}).
   */
  private static final int CHUNK_FLOATS = 1 << 25;

  static final byte REFERENCED = 1;
  static final byte DIRTY = 2;

  /**
   * Where a page starts in its slot: with the page's one header float, its rows then start on a
   * 64-byte line when the chunk's element 0 sits 16 bytes past a line (a large array's header on
   * a 64-bit JVM with compressed class pointers), so a row never straddles two lines more often
   * than its size forces.
   */
  private static final int PAD = 11;

  /**
   * Pages allocated beyond the budget at most, up front, and per chunk of pages pinned beyond
   * it: 64 pages, 516 kB with AdaGrad's 4-float rows.
   */
  static final int SLACK_PAGES = 64;

  /** Floats per slot: the padded page, rounded up to whole 64-byte lines. */
  private final int slotFloats;
  private final int chunkShift;
  private final int chunkMask;
  private float[][] chunks = new float[0][];
  /** Per slot: the page, its {@link #REFERENCED} and {@link #DIRTY} flags, its pin epoch. */
  private RowPage[] pages = new RowPage[16];
  private byte[] flags = new byte[16];
  private long[] pinnedIn = new long[16];
  private int[] free = new int[16];
  private int freeCount;
  /** The next new slot, and the end of the last chunk's slots. */
  private int next;
  private int end;
  /** The slots the chunks hold, and the slots the budget grants them (with its slack). */
  private long allocatedSlots;
  private final long budgetSlots;

  /**
   * @param budgetPages the direct pages the cache's memory pays for (its capacity): the chunks
   *     hold no more slots than these and their {@link #slack}, unless one example pins more
   *     direct pages than that; a chunk addresses no more slots than the power of two at or above
   *     them, so a small cache does not allocate a 64-128 MB chunk for a few pages
   */
  DirectArena(int rowSize, int stamps, int budgetPages) {
    this.slotFloats = slotFloats(rowSize, stamps);
    int budget = Math.max(1, budgetPages);
    this.budgetSlots = (long) budget + slack(budget);
    int pagesPerChunk = Math.min(Integer.highestOneBit(Math.max(1, CHUNK_FLOATS / slotFloats)),
        ceilingPowerOfTwo((int) Math.min(budgetSlots, 1 << 29)));
    this.chunkShift = Integer.numberOfTrailingZeros(pagesPerChunk);
    this.chunkMask = pagesPerChunk - 1;
  }

  /**
   * Slots allocated beyond a budget of {@code budgetPages} at most: a sixteenth of it, rounded
   * up, and at most {@link #SLACK_PAGES}, for the pages one example pins beyond the capacity and
   * a page densified before the cache evicts (a second chunk would make every fast row store its
   * chunk again: {@link PagedLearner}).
   */
  static int slack(int budgetPages) {
    return Math.min(SLACK_PAGES, (budgetPages + 15) / 16);
  }

  /** Floats of a slot: a direct page, padded, rounded up to whole 64-byte lines. */
  static int slotFloats(int rowSize, int stamps) {
    return (PAD + PageFormat.directPageFloats(rowSize, stamps) + 15) & ~15;
  }

  private static int ceilingPowerOfTwo(int n) {
    return n <= 1 ? 1 : Integer.highestOneBit(Math.min(n - 1, 1 << 29)) << 1;
  }

  /** A slot for one page: a released one, or the next new one. */
  int allocate() {
    if (freeCount > 0) {
      return free[--freeCount];
    }
    if (next == end) {
      newChunk();
    }
    int slot = next++;
    if (slot >= pages.length) {
      int length = Math.max(pages.length * 2, Integer.highestOneBit(slot) << 1);
      pages = Arrays.copyOf(pages, length);
      flags = Arrays.copyOf(flags, length);
      pinnedIn = Arrays.copyOf(pinnedIn, length);
    }
    return slot;
  }

  /**
   * Allocates the next chunk, at the start of the next range of slots: as many slots as the
   * budget has left, or {@link #SLACK_PAGES} beyond it, and no more than a range.
   */
  private void newChunk() {
    int index = chunks.length;
    long left = budgetSlots - allocatedSlots;
    int slots = (int) Math.min(chunkMask + 1L, left > 0 ? left : SLACK_PAGES);
    chunks = Arrays.copyOf(chunks, index + 1);
    chunks[index] = new float[slots * slotFloats];
    allocatedSlots += slots;
    next = index << chunkShift;
    end = next + slots;
  }

  /** Records the page a slot holds (once it is made). */
  void hold(int slot, RowPage page) {
    pages[slot] = page;
    flags[slot] = 0;
    pinnedIn[slot] = 0;
  }

  RowPage page(int slot) {
    return pages[slot];
  }

  /** The hot path's bookkeeping for a row of the slot's page: referenced, dirty if learned. */
  void touch(int slot, byte flag) {
    byte f = flags[slot];
    if ((f | flag) != f) {
      flags[slot] = (byte) (f | flag);
    }
  }

  boolean has(int slot, byte flag) {
    return (flags[slot] & flag) != 0;
  }

  void clear(int slot, byte flag) {
    flags[slot] &= (byte) ~flag;
  }

  void pin(int slot, long epoch) {
    pinnedIn[slot] = epoch;
  }

  long pinnedIn(int slot) {
    return pinnedIn[slot];
  }

  void release(int slot) {
    pages[slot] = null;
    if (freeCount == free.length) {
      free = Arrays.copyOf(free, free.length * 2);
    }
    free[freeCount++] = slot;
  }

  /**
   * Chunks allocated so far. While it is 1, every slot's {@link #chunk} is the same array: a
   * caller that keeps chunk references in a long-lived {@code float[][]} can skip storing one it
   * already holds (a reference store into an old-generation array costs G1's post-write barrier,
   * a StoreLoad fence, about 25-30 cycles), and that check is then always predicted right.
   */
  int chunks() {
    return chunks.length;
  }

  /** The bytes of the chunks allocated so far (the pages' memory; its bookkeeping aside). */
  long allocatedBytes() {
    return allocatedSlots * slotFloats * 4L;
  }

  float[] chunk(int slot) {
    return chunks[slot >>> chunkShift];
  }

  int base(int slot) {
    return (slot & chunkMask) * slotFloats + PAD;
  }
}
