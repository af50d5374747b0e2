package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A model's handle ({@link PageCache#select}) finds its pages while the model is in the cache and
 * is let go once the cache evicts the model; {@link PageCache#startNew} spares a new model the
 * store's look-ups and changes nothing for a model the cache holds.
 */
class ModelHandleTest {
  @Test
  void aHandleServesWhileTheModelIsHeldAndIsLetGoWhenItIsEvicted() throws Exception {
    MapPageStore store = new MapPageStore();
    // denseAt 1: a new direct key's page is a direct page, weighing the whole cache (a page in
    // the hashed form weighs its rows).
    PageCache cache = new PageCache(store, 1, 1, 2, false, 1, 0);
    PageCache.ModelPages a = cache.select("a", null);
    assertSame(a, cache.pagesOf("a"));
    RowPage page = cache.page(a, "a", PageCacheTest.hashed(1));
    page.data()[page.add(10)] = 3f;
    cache.unpinAll();
    assertSame(a, cache.select("a", a), "held: the same handle");
    PageCache.ModelPages b = cache.select("b", null);
    cache.page(b, "b", 0L); // a direct page: evicts a's only page, so a
    cache.unpinAll();
    assertFalse(cache.holds("a"));
    PageCache.ModelPages again = cache.select("a", a);
    assertNotSame(a, again, "an evicted model's handle is let go");
    assertSame(again, cache.pagesOf("a"));
    RowPage back = cache.page(again, "a", PageCacheTest.hashed(1));
    assertEquals(3f, back.data()[back.find(10)], "written back on eviction, loaded again");
  }

  @Test
  void startNewSparesTheStoreAndLeavesAHeldModelAlone() throws Exception {
    CountingStore store = new CountingStore();
    PageCache cache = new PageCache(store, 4, 1, 2, false, PageFormat.DENSE_AT,
        PageFormat.SMALL_AT);
    PageCache.ModelPages pages = cache.startNew("new");
    cache.book(pages, "new", 0, 0);
    assertTrue(cache.small(pages, "new"));
    cache.page(pages, "new", PageFormat.MODEL_PAGE);
    assertEquals(0, store.loads, "a new model asks the store nothing");
    // A model the store holds, its bookkeeping in memory: startNew changes nothing.
    PageCache.ModelPages old = cache.pagesOf("old");
    cache.book(old, "old", 0, 0);
    int before = store.loads;
    assertSame(old, cache.startNew("old"));
    assertFalse(old.nothingStored);
    assertEquals(before, store.loads);
  }

  /** A store that counts its loads. */
  static final class CountingStore implements PageStore {
    final MapPageStore pages = new MapPageStore();
    int loads;

    @Override
    public float[] load(String modelKey, long pageId) {
      loads++;
      return pages.load(modelKey, pageId);
    }

    @Override
    public void store(String modelKey, long pageId, float[] page) {
      pages.store(modelKey, pageId, page);
    }

    @Override
    public long[] pageKeys(String modelKey) {
      loads++;
      return pages.pageKeys(modelKey);
    }

    @Override
    public void remove(String modelKey, long pageId) {
      pages.remove(modelKey, pageId);
    }
  }
}
