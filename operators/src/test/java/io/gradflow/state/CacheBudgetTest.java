package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.MemoryAmount;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The page cache's direct pages stay within the memory that sized it ({@code
 * state.cache_memory}), plus the arena's documented slack ({@link DirectArena#slack}), for budgets
 * that are no power of two of pages. Before, the arena allocated the power of two at or above the
 * capacity and a quarter more: 16,384 pages' worth for a budget of 9,000, up to twice the memory.
 */
class CacheBudgetTest {
  /** AdaGrad: a weight, its accumulator, its step and last step per row. */
  private static final int ROW = 4;

  @Test
  void theArenaStaysWithinCacheMemoryForAwkwardSizes() throws Exception {
    long pageBytes = PageCache.pageBytes(ROW, false);
    long slotBytes = DirectArena.slotFloats(ROW, 0) * 4L;
    long[] budgets = {
        9_000 * pageBytes, 8_193 * pageBytes + 100, 77_500_000L, 12_685 * pageBytes - 1,
        5L << 20, 100 * pageBytes + 1, 3_000 * pageBytes};
    for (long budget : budgets) {
      int capacity = CacheSize.of(MemoryAmount.ofBytes(budget)).pages(ROW, false, 1, 1, 1L << 32);
      MapPageStore store = new MapPageStore();
      PageCache cache = new PageCache(store, capacity, ROW, 2, false, 1);
      Random random = new Random(budget);
      int space = capacity + capacity / 2 + 50;
      // Examples of 40 direct pages each, drawn from 1.5 times what the cache holds: it evicts.
      for (int example = 0; example < 3 * space / 40 + 10; example++) {
        for (int f = 0; f < 40; f++) {
          long key = random.nextInt(space);
          RowPage page = cache.page("m", key);
          cache.pin(page);
          page.data()[page.find(PageFormat.firstRow(key)) + 1] += 1f;
          page.markDirty();
        }
        cache.fit();
        cache.unpinAll();
      }
      assertTrue(cache.evictions() > 0, "budget " + budget);
      long allowed = budget + DirectArena.slack(capacity) * slotBytes;
      assertTrue(cache.arenaBytes() <= allowed, "budget " + budget + " (" + capacity
          + " pages): the arena allocated " + cache.arenaBytes() + " bytes, more than " + allowed);
      assertEquals((capacity + DirectArena.slack(capacity)) * slotBytes, cache.arenaBytes(),
          "budget " + budget);
    }
  }
}
