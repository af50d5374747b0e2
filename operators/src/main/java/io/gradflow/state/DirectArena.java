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
 * kept. Not thread-safe.
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
  private int next;

  /**
   * @param expectedPages the direct pages the cache expects to hold at once (its capacity and
   *     some room for pages pinned beyond it): a chunk holds no more slots than the power of two
   *     at or above it, so a small cache does not allocate a 64-128 MB chunk for a few pages
   */
  DirectArena(int rowSize, int stamps, int expectedPages) {
    this.slotFloats = slotFloats(rowSize, stamps);
    int pagesPerChunk = Math.min(Integer.highestOneBit(Math.max(1, CHUNK_FLOATS / slotFloats)),
        ceilingPowerOfTwo(expectedPages));
    this.chunkShift = Integer.numberOfTrailingZeros(pagesPerChunk);
    this.chunkMask = pagesPerChunk - 1;
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
    int slot = next++;
    if ((slot >>> chunkShift) >= chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length + 1);
      chunks[chunks.length - 1] = new float[(chunkMask + 1) * slotFloats];
    }
    if (slot >= pages.length) {
      pages = Arrays.copyOf(pages, pages.length * 2);
      flags = Arrays.copyOf(flags, flags.length * 2);
      pinnedIn = Arrays.copyOf(pinnedIn, pinnedIn.length * 2);
    }
    return slot;
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

  float[] chunk(int slot) {
    return chunks[slot >>> chunkShift];
  }

  int base(int slot) {
    return (slot & chunkMask) * slotFloats + PAD;
  }
}
