package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The arena's chunks: sized to the pages its cache's memory pays for, one chunk for a model. */
class DirectArenaTest {
  /** AdaGrad: a weight and its accumulator per row; no stamps. */
  private static final int ROW = 2;

  @Test
  void aSmallCachesChunkHoldsItsBudgetAndSlackNotAWholeChunk() {
    DirectArena arena = new DirectArena(ROW, 0, 10);
    int first = arena.allocate();
    int slotFloats = DirectArena.slotFloats(ROW, 0);
    // 10 slots and a sixteenth more (1), not the 64-128 MB of a full chunk.
    assertEquals(11 * slotFloats, arena.chunk(first).length);
    for (int i = 1; i < 11; i++) {
      assertSame(arena.chunk(first), arena.chunk(arena.allocate()));
    }
    assertEquals(1, arena.chunks());
    assertEquals(11L * slotFloats * 4, arena.allocatedBytes());
    int twelfth = arena.allocate(); // pinned beyond the budget: a second chunk, at most a range
    assertNotSame(arena.chunk(first), arena.chunk(twelfth));
    assertEquals(2, arena.chunks());
    assertTrue(arena.chunk(twelfth).length <= 16 * slotFloats);
    assertTrue(arena.base(twelfth) + PageFormat.directPageFloats(ROW, 0)
        <= arena.chunk(twelfth).length);
  }

  /**
   * A budget that is no power of two: before, the first chunk was the power of two at or above
   * the budget and its room for pins (16,384 pages for 9,000), up to twice the memory.
   */
  @Test
  void theChunksHoldTheBudgetAndItsSlackForAwkwardSizes() {
    int slotFloats = DirectArena.slotFloats(4, 0);
    for (int budget : new int[] {1, 3, 100, 1_000, 8_193, 9_000, 12_685, 20_000}) {
      DirectArena arena = new DirectArena(4, 0, budget);
      int used = budget + DirectArena.slack(budget);
      int[] slots = new int[used];
      for (int i = 0; i < used; i++) {
        slots[i] = arena.allocate();
        assertTrue(arena.base(slots[i]) + PageFormat.directPageFloats(4, 0)
            <= arena.chunk(slots[i]).length);
      }
      assertEquals((long) used * slotFloats * 4, arena.allocatedBytes(), "budget " + budget);
      assertTrue(DirectArena.slack(budget) <= Math.min(64, budget / 16 + 1));
      // Released slots are used again before anything new is allocated.
      for (int i = 0; i < used; i += 3) {
        arena.release(slots[i]);
      }
      for (int i = 0; i < used; i += 3) {
        arena.allocate();
      }
      assertEquals((long) used * slotFloats * 4, arena.allocatedBytes(), "budget " + budget);
    }
  }

  @Test
  void slotsOfOneChunkNeverOverlap() {
    DirectArena arena = new DirectArena(ROW, 0, 100);
    int pageFloats = PageFormat.directPageFloats(ROW, 0);
    int[] slots = new int[300];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = arena.allocate();
    }
    for (int a = 0; a < slots.length; a++) {
      int end = arena.base(slots[a]) + pageFloats;
      assertTrue(end <= arena.chunk(slots[a]).length);
      for (int b = a + 1; b < slots.length; b++) {
        if (arena.chunk(slots[a]) == arena.chunk(slots[b])) {
          int lo = Math.max(arena.base(slots[a]), arena.base(slots[b]));
          int hi = Math.min(end, arena.base(slots[b]) + pageFloats);
          assertTrue(lo >= hi, "slots " + slots[a] + " and " + slots[b] + " overlap");
        }
      }
    }
  }

  @Test
  void theTrainerBenchsModelFitsOneChunk() {
    // 2^22 AdaGrad rows in pages of 512: 8,192 direct pages, in a cache of 16,384 pages.
    DirectArena arena = new DirectArena(ROW, 0, 16_384);
    for (int i = 0; i < 8_192 + 64; i++) {
      arena.allocate();
    }
    assertEquals(1, arena.chunks());
  }
}
