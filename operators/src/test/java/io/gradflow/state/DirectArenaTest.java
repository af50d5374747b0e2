package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The arena's chunks: sized to the pages its cache expects, one chunk for a whole model. */
class DirectArenaTest {
  /** AdaGrad: a weight and its accumulator per row; no stamps. */
  private static final int ROW = 2;

  @Test
  void aSmallCachesChunkHoldsTheSlotsItExpectsNotAWholeChunk() {
    DirectArena arena = new DirectArena(ROW, 0, 10);
    int first = arena.allocate();
    int slotFloats = PageFormat.directPageFloats(ROW, 0);
    // 16 slots (the power of two at or above 10), not the 64-128 MB of a full chunk.
    assertTrue(arena.chunk(first).length <= 16 * (slotFloats + 32),
        "a chunk of " + arena.chunk(first).length + " floats for a cache of 10 pages");
    for (int i = 1; i < 16; i++) {
      assertSame(arena.chunk(first), arena.chunk(arena.allocate()));
    }
    assertEquals(1, arena.chunks());
    int seventeenth = arena.allocate(); // pinned beyond what was expected: a second chunk
    assertNotSame(arena.chunk(first), arena.chunk(seventeenth));
    assertEquals(2, arena.chunks());
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
    DirectArena arena = new DirectArena(ROW, 0, 16_384 + 16_384 / 4 + 64);
    for (int i = 0; i < 8_192 + 64; i++) {
      arena.allocate();
    }
    assertEquals(1, arena.chunks());
  }
}
