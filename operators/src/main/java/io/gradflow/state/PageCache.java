package io.gradflow.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded write-back cache of row pages in front of a {@link PageStore} (keyed state), with
 * CLOCK (second-chance) eviction.
 *
 * <p>A page is loaded on a miss, marked referenced on every hit, and written back when it is
 * evicted dirty and on {@link #flush()} (before every checkpoint and at end of input), so the
 * store is the truth at every checkpoint. Pinned pages (those of the example being processed) are
 * never evicted; the cache may exceed its capacity by the pages one example pins. Pages of all
 * model keys share one capacity and one clock.
 *
 * <p>Not thread-safe: one per operator instance.
 */
public final class PageCache {
  private final PageStore store;
  private final int capacity;
  private final int rowSize;
  private final int initialRows;
  private final Map<String, LongMap<RowPage>> byModel = new HashMap<>();
  private final List<Entry> clock = new ArrayList<>();
  private int hand;
  /** Pages pinned in this epoch stay; {@link #unpinAll()} starts the next one. */
  private long epoch = 1;
  private long hits;
  private long misses;
  private long evictions;
  private long writes;

  private record Entry(String modelKey, long pageId, RowPage page) {}

  /**
   * @param capacity pages kept in memory (at least 1)
   * @param rowSize floats per row (the optimizer's {@code RowLayout.size()})
   * @param initialRows rows a new page has room for before it grows
   */
  public PageCache(PageStore store, int capacity, int rowSize, int initialRows) {
    if (capacity < 1) {
      throw new IllegalArgumentException("cache capacity must be >= 1 page, but was " + capacity);
    }
    this.store = store;
    this.capacity = capacity;
    this.rowSize = rowSize;
    this.initialRows = initialRows;
  }

  /** The page, loaded from the store or created empty; marked referenced. */
  public RowPage page(String modelKey, long pageId) throws Exception {
    return page(pagesOf(modelKey), modelKey, pageId);
  }

  /** The cached pages of a model: resolve once per example, then call {@link #page(LongMap, String, long)}. */
  LongMap<RowPage> pagesOf(String modelKey) {
    LongMap<RowPage> pages = byModel.get(modelKey);
    if (pages == null) {
      pages = new LongMap<>();
      byModel.put(modelKey, pages);
    }
    return pages;
  }

  /**
   * The page with key {@code pageId} of the model whose pages are {@code pages}: loaded from the
   * store, or created (a direct page for a direct key, see {@link PageFormat#pageKey}).
   */
  RowPage page(LongMap<RowPage> pages, String modelKey, long pageId) throws Exception {
    RowPage page = pages.get(pageId);
    if (page != null) {
      hits++;
      if (!page.referenced) { // no store on the hot path when already set
        page.referenced = true;
      }
      return page;
    }
    misses++;
    makeRoom();
    float[] stored = store.load(modelKey, pageId);
    if (stored != null) {
      page = RowPage.load(stored, rowSize);
    } else if (PageFormat.isDirect(pageId)) {
      page = RowPage.newDirect(rowSize);
    } else {
      page = new RowPage(rowSize, initialRows);
    }
    page.referenced = true;
    pages.put(pageId, page);
    clock.add(new Entry(modelKey, pageId, page));
    return page;
  }

  /** Keeps the page in memory until {@link #unpinAll()}. */
  public void pin(RowPage page) {
    if (page.pinnedIn != epoch) {
      page.pinnedIn = epoch;
    }
  }

  /** Releases every pinned page at once (after an example): one step, not one per page. */
  public void unpinAll() {
    epoch++;
  }

  /** Writes every dirty page back to the store; the pages stay cached and become clean. */
  public void flush() throws Exception {
    for (Entry e : clock) {
      writeBack(e);
    }
  }

  private void writeBack(Entry e) throws Exception {
    if (e.page.dirty) {
      store.store(e.modelKey, e.pageId, e.page.toStored());
      e.page.dirty = false;
      writes++;
    }
  }

  private void makeRoom() throws Exception {
    int scanned = 0;
    while (clock.size() >= capacity && scanned < 2 * clock.size() + 1) {
      if (hand >= clock.size()) {
        hand = 0;
      }
      Entry e = clock.get(hand);
      scanned++;
      if (e.page.pinnedIn == epoch) {
        hand++;
      } else if (e.page.referenced) {
        e.page.referenced = false;
        hand++;
      } else {
        writeBack(e);
        byModel.get(e.modelKey).remove(e.pageId);
        int last = clock.size() - 1;
        clock.set(hand, clock.get(last));
        clock.remove(last);
        evictions++;
      }
    }
  }

  /** Pages in memory. */
  public int size() {
    return clock.size();
  }

  public long hits() {
    return hits;
  }

  public long misses() {
    return misses;
  }

  public long evictions() {
    return evictions;
  }

  /** Pages written back to the store, on eviction or flush. */
  public long writes() {
    return writes;
  }

  /** Hits over lookups, or 1 before the first lookup. */
  public double hitRate() {
    long lookups = hits + misses;
    return lookups == 0 ? 1.0 : (double) hits / lookups;
  }
}
