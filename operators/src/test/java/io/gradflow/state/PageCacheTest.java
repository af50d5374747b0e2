package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PageCacheTest {
  /** Keys of hashed pages (entity rows), the kind of page rows are added to one by one. */
  static long hashed(long page) {
    return PageFormat.hashedPage(page);
  }

  /**
   * Stores an empty direct page of rows of {@code rowSize} floats under {@code key}: a cache
   * without an initializer loads it as a direct page, which weighs a whole page of the capacity
   * (pages in the hashed form weigh their memory, a few units when nearly empty).
   */
  static void storeDirect(MapPageStore store, String model, long key, int rowSize)
      throws Exception {
    float[] page = new float[PageFormat.directPageFloats(rowSize, 0)];
    page[0] = PageFormat.directMarker(0);
    store.store(model, key, page);
  }

  /** Random increments to rows of two models through a cache of the given capacity. */
  private static MapPageStore run(int capacity) throws Exception {
    MapPageStore store = new MapPageStore();
    PageCache cache = new PageCache(store, capacity, 2, 4);
    Random random = new Random(7);
    for (int i = 0; i < 50_000; i++) {
      String model = random.nextBoolean() ? "a" : "b";
      long rowId = -1 - (long) (Math.pow(random.nextDouble(), 3) * 5_000); // entity rows
      RowPage page = cache.page(model, PageFormat.pageKey(rowId, 6));
      int at = page.find(rowId);
      if (at < 0) {
        at = page.add(rowId);
      }
      page.data()[at] += 1f;
      page.data()[at + 1] = i;
      page.markDirty();
      if (i % 10_000 == 0) {
        cache.flush();
      }
    }
    cache.flush();
    return store;
  }

  @Test
  void aTinyCacheEndsWithExactlyTheStateOfAHugeOne() throws Exception {
    MapPageStore tiny = run(1);
    MapPageStore small = run(5);
    MapPageStore huge = run(100_000);
    assertEquals(huge.pages.keySet(), tiny.pages.keySet());
    for (String key : huge.pages.keySet()) {
      assertArrayEquals(huge.pages.get(key), tiny.pages.get(key), key);
      assertArrayEquals(huge.pages.get(key), small.pages.get(key), key);
    }
    assertTrue(tiny.stores > 10 * huge.stores, tiny.stores + " vs " + huge.stores);
  }

  /**
   * A small model's page ({@link PageFormat#MODEL_PAGE}, held apart from the model's other pages)
   * is found, removed and evicted like any page: once gone from the cache it is neither found
   * there nor counted, and the next lookup reads the store again. A new one has room for
   * {@link PageCache#SMALL_FIRST_ROWS} rows.
   */
  @Test
  void aSmallModelsPageIsFoundRemovedAndEvictedLikeAnyOther() throws Exception {
    MapPageStore store = new MapPageStore();
    PageCache cache = new PageCache(store, 2, 3, 2, false, PageFormat.DENSE_AT,
        PageFormat.SMALL_AT);
    RowPage small = cache.page("m", PageFormat.MODEL_PAGE);
    assertEquals(PageFormat.HEADER + PageCache.SMALL_FIRST_ROWS * PageFormat.recordSize(3, 0),
        small.data().length);
    assertSame(small, cache.page("m", PageFormat.MODEL_PAGE));
    assertEquals(1, cache.misses());
    small.data()[small.add(7)] = 5f;
    small.markDirty();
    cache.unpinAll();
    cache.remove("m", PageFormat.MODEL_PAGE);
    assertNull(cache.cached("m", PageFormat.MODEL_PAGE));
    assertEquals(0, cache.size());
    RowPage fresh = cache.page("m", PageFormat.MODEL_PAGE);
    assertNotSame(small, fresh);
    assertEquals(0, fresh.rowCount());
    assertEquals(2, cache.misses());
    fresh.data()[fresh.add(8)] = 6f;
    fresh.markDirty();
    // Two pages of the capacity, the small page weighing a few units: a third page evicts the
    // first in the clock, the small page, written back while the model keeps its other page.
    storeDirect(store, "m", 1, 3);
    storeDirect(store, "n", 2, 3);
    cache.page("m", 1);
    cache.unpinAll();
    cache.page("n", 2);
    cache.unpinAll();
    assertNull(cache.cached("m", PageFormat.MODEL_PAGE));
    assertTrue(cache.cached("m", 1) != null);
    RowPage back = cache.page("m", PageFormat.MODEL_PAGE);
    assertNotSame(fresh, back);
    assertEquals(6f, back.data()[back.find(8)]);
    assertEquals(-1, back.find(7));
    // A model whose only page was its small page leaves the cache with it.
    PageCache one = new PageCache(store, 1, 3, 2, false, PageFormat.DENSE_AT,
        PageFormat.SMALL_AT);
    one.page("a", PageFormat.MODEL_PAGE);
    one.unpinAll();
    storeDirect(store, "b", 1, 3);
    one.page("b", 1);
    one.unpinAll();
    assertFalse(one.holds("a"));
    assertTrue(one.holds("b"));
  }

  @Test
  void evictionWritesBackAndAMissReloads() throws Exception {
    MapPageStore store = new MapPageStore();
    // Direct pages, each a page of the capacity (pages in the hashed form weigh their memory).
    PageCache cache = new PageCache(store, 2, 1, 2, false, 1);
    RowPage first = cache.page("m", 1);
    first.data()[first.find(PageFormat.DIRECT_ROWS + 10)] = 3f;
    cache.page("m", 2);
    cache.page("m", 3); // evicts page 1 (or 2) after second chances
    cache.page("m", 4);
    assertTrue(cache.evictions() >= 2);
    assertTrue(store.pages.containsKey("m/1"), "the dirty page was written back");
    RowPage again = cache.page("m", 1);
    assertEquals(3f, again.data()[again.find(PageFormat.DIRECT_ROWS + 10)]);
    assertTrue(cache.misses() >= 5 && cache.hitRate() < 1);
  }

  @Test
  void pinnedPagesAreNeverEvicted() throws Exception {
    MapPageStore store = new MapPageStore();
    PageCache cache = new PageCache(store, 1, 1, 2, false, 1); // direct pages: a page each
    RowPage pinned = cache.page("m", 1);
    cache.pin(pinned);
    for (long p = 2; p < 10; p++) {
      cache.page("m", p);
    }
    assertSame(pinned, cache.page("m", 1));
    cache.unpinAll();
    for (long p = 2; p < 10; p++) {
      cache.page("m", p);
    }
    assertTrue(cache.size() <= 2, "unpinned, the page is evictable again: " + cache.size());
  }

  @Test
  void flushLeavesCleanPagesAlone() throws Exception {
    MapPageStore store = new MapPageStore();
    PageCache cache = new PageCache(store, 10, 1, 2);
    RowPage page = cache.page("m", hashed(1));
    page.add(5);
    cache.flush();
    cache.flush();
    assertEquals(1, store.stores);
    assertEquals(1, cache.writes());
  }

  @Test
  void anEvictedDirectPageFreesItsArenaSlotForAZeroedPageAndComesBackIntact() throws Exception {
    MapPageStore store = new MapPageStore();
    PageCache cache = new PageCache(store, 1, 3, 2, false, 1);
    RowPage first = cache.page("m", 0);
    int at = first.find(7);
    first.data()[at] = 5f;
    first.data()[at + 2] = -1f;
    first.markDirty();
    assertTrue(first.takeFresh());
    RowPage second = cache.page("m", 1); // evicts page 0 (dirty: written back); slot reused
    assertTrue(second.takeFresh(), "a new page, not the evicted one");
    assertTrue(store.pages.containsKey("m/0"), "the evicted page was written back");
    for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
      int row = second.find(512 + r);
      for (int j = 0; j < 3; j++) {
        assertEquals(0f, second.data()[row + j], "row " + r + " of the new page is zeroed");
      }
    }
    RowPage again = cache.page("m", 0);
    int back = again.find(7);
    assertEquals(5f, again.data()[back]);
    assertEquals(-1f, again.data()[back + 2]);
    assertTrue(!again.takeFresh() && !again.isDirty(), "loaded from the store: clean");
    assertEquals(3, cache.misses());
  }

  @Test
  void aDirectPageHoldsEveryRowOfItsIdRangeWithoutIds() throws Exception {
    MapPageStore store = new MapPageStore();
    PageCache cache = new PageCache(store, 10, 3, 2, false, 1);
    long key = PageFormat.pageKey(5 * 512 + 7, 6);
    assertTrue(PageFormat.isDirect(key));
    assertEquals(5 * 512, PageFormat.firstRow(key));
    RowPage page = cache.page("m", key);
    assertTrue(page.isDirect() && page.takeFresh() && !page.takeFresh());
    assertEquals(7 * 3, page.find(5 * 512 + 7) - page.find(5 * 512), "rows in id order");
    assertEquals(PageFormat.directMarker(0), page.data()[page.find(5 * 512) - PageFormat.HEADER]);
    page.data()[page.find(5 * 512 + 7)] = 4f;
    cache.flush();
    float[] stored = store.pages.get("m/" + key);
    assertEquals(PageFormat.HEADER + 512 * 3, stored.length);
    RowPage loaded = RowPage.load(stored, 3);
    assertTrue(loaded.isDirect() && !loaded.takeFresh());
    assertEquals(4f, loaded.data()[loaded.find(5 * 512 + 7)]);
    long bias = io.gradflow.schema.FeatureHashing.BIAS_ROW;
    long biasKey = PageFormat.pageKey(bias, 6);
    assertTrue(PageFormat.isDirect(biasKey));
    assertEquals(bias, PageFormat.firstRow(biasKey));
    assertEquals(biasKey, PageFormat.pageKey(io.gradflow.schema.FeatureHashing.denseRow(3), 6));
    assertTrue(!PageFormat.isDirect(PageFormat.pageKey(-42L, 6)));
  }

  @Test
  void capacityIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> new PageCache(new MapPageStore(), 0, 1, 1));
  }
}
