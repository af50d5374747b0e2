package io.gradflow.state;

import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>A model's bookkeeping (its {@link RowBook} and page table) is in memory only while some of
 * its pages are: when eviction takes a model's last page, the model is evicted too at the end of
 * the example ({@link #unpinAll()}), its book and dense blocks written back, and the listeners
 * given to {@link #onModelEvicted} are told, so that per-model memory follows the cache, not the
 * number of keys ever seen.
 *
 * <p><b>Small models</b> (with {@code smallAt} > 0; {@link PageFormat}, "Small models"): a model
 * that is new, or whose rows the store holds under {@link PageFormat#MODEL_PAGE}, keeps all its
 * rows in that one page until the {@link PagedLearner} spills them; a model stored in pages stays
 * in pages. The page weighs what it holds: its memory ({@link RowPage#floats()}: records, room
 * to grow, index) against a direct page's, plus an eighth of a page ({@link #MODEL_UNITS}) for
 * what stays in memory with it (the model's bookkeeping and its owner's session, metrics compact
 * while idle), in {@link #UNITS} per page of the capacity. A page in the hashed form (a spilled
 * tenant's rows, a large model's entity rows, a direct key's page of few rows) weighs its memory
 * too, plus {@link #PAGE_FLOATS} for its own bookkeeping, and a model with such pages cached
 * weighs {@link #MODEL_UNITS} more for its bookkeeping and session, and a whole page more for
 * its dense blocks if it has any (once, whatever the number of its pages); a direct page weighs
 * a whole page (until 2026-12-01 every page but a small one did,
 * so a tenant spilled past 256 rows into one-row pages weighed a page per row).
 * The weight follows the page as it grows ({@link #reweigh}, after each of the model's
 * examples, and after each example for the pages in the hashed form it added rows to). A new
 * small model weighs about 0.16 of a page with 4-float rows, one of 30 rows
 * 0.28, one of 95 rows 0.70 (until 2026-12-01 every small page weighed a quarter, and a model
 * spilled at 64 rows into a page per row). So thousands of tenants on a subtask stay in memory
 * instead of going to keyed state and back at every other example, and the cache stays bounded:
 * a page of {@code state.cache_pages} is one direct page's floats
 * ({@link PageFormat#directPageFloats}: 8 kB with AdaGrad's 4-float rows), whether it holds a
 * direct page, a page in the hashed form (which takes less), or a share of small models' pages
 * and bookkeeping. A model with dense blocks (an MLP's layers, in memory with the model) weighs
 * a whole page more for them (until 2026-12-01 its small page weighed one page, rows and all).
 *
 * <p>Not thread-safe: one per operator instance.
 */
public final class PageCache {
  private final PageStore store;
  private final int capacity;
  private final int rowSize;
  /** Floats of a row's stamp in the pages this cache makes: 0 (format 1) or 1 (format 2). */
  private final int stamps;
  private final int initialRows;
  /** Rows at which a direct key's page in the hashed form becomes direct ({@link PageFormat}). */
  private final int denseAt;
  /** Rows at which a small model's page is spilled ({@link PageFormat#SMALL_AT}); 0 is off. */
  private final int smallAt;
  /** Whether a small model's page weighs a whole page more (models with dense blocks). */
  private final boolean denseBlocks;
  /** Floats of a direct page: the memory a page of the capacity stands for. */
  private final int directFloats;
  /** Initializes a row as the model documents; set by the {@link PagedLearner} it serves. */
  private RowInit init;
  /** Direct page keys below this are found through an array, not a hash table. */
  static final int DIRECT_TABLE_LIMIT = 1 << 24;
  /**
   * What one page of the capacity weighs; a small model's page ({@link PageFormat#MODEL_PAGE})
   * weighs its memory's share of a direct page's in them, plus {@link #MODEL_UNITS} (see the
   * class comment). 64: a unit is 128 bytes with 4-float rows.
   */
  static final int UNITS = 64;
  /** What a small model's page weighs beyond its rows: an eighth of a page, for its model. */
  static final int MODEL_UNITS = UNITS / 8;
  /**
   * What a page in the hashed form (not a small model's) costs beyond its arrays, in 4-byte
   * elements: its {@link RowPage} object (about 88 bytes), its clock entry (32 and a reference),
   * its slot in the model's page table (24-48) and its two arrays' headers (32): about 200 bytes.
   * With AdaGrad's 4-float rows a one-row page then weighs 2 units (256 bytes) instead of a whole
   * page's 64 (see {@link #hashedUnits}).
   */
  static final int PAGE_FLOATS = 52;

  /**
   * The memory one page of the capacity stands for, in bytes: a direct page's slot in the arena
   * and {@link #PAGE_FLOATS} for its bookkeeping (8,464 bytes with AdaGrad's 4-float rows, 10,512
   * with stamps). {@link CacheSize} turns {@code state.cache_memory} into pages by it.
   */
  public static long pageBytes(int rowSize, boolean stamped) {
    return 4L * (DirectArena.slotFloats(rowSize, stamped ? 1 : 0) + PAGE_FLOATS);
  }
  /**
   * Rows a new small model's page has room for (at least; {@code initialRows} if more): the bias
   * and the features of a first example of a few features, which it gets at once. From the
   * operator's 2 rows, a tenant of about 30 rows grew its page four times (2, 6, 12, 24, 48
   * rows); from 4, three times (8, 16, 32), ending smaller. A page of 3 or 4 rows is smaller too
   * (from 2 it grew to 6 at its third row); one of 1 or 2 rows has room for 2 rows more.
   */
  static final int SMALL_FIRST_ROWS = 4;

  private final Map<String, ModelPages> byModel = new HashMap<>();
  private final DirectArena arena;
  private final List<Entry> clock = new ArrayList<>();
  /** The cached pages' weight, {@link #UNITS} per page of the capacity (see the class comment). */
  private long units;
  private int hand;
  /** Pages pinned in this epoch stay; {@link #unpinAll()} starts the next one. */
  private long epoch = 1;
  private long hits;
  private long misses;
  private long evictions;
  private long writes;
  /** Models whose last page eviction took, to evict at the end of the example. */
  private final List<String> emptied = new ArrayList<>();
  private java.util.function.Consumer<String> evicted = key -> {};
  /**
   * The model of the last {@link #pagesOf} and its pages while they are in {@link #byModel} (else
   * null): consecutive examples of one model skip the hash table, and a key that arrives as a new
   * String per record (whose hash String caches per instance only) is compared, not hashed.
   */
  private String lastKey;
  private ModelPages lastPages;

  private record Entry(String modelKey, long pageId, RowPage page) {}

  /** A cache of pages of format 1 (no stamps). */
  public PageCache(PageStore store, int capacity, int rowSize, int initialRows) {
    this(store, capacity, rowSize, initialRows, false);
  }

  /**
   * @param capacity pages kept in memory (at least 1), each the memory of a direct page; a small
   *     model's page counts its share (see the class comment)
   * @param rowSize floats per row (the optimizer's {@code RowLayout.size()})
   * @param initialRows rows a new page has room for before it grows
   * @param stamped whether rows carry stamps (page format 2, which a {@link RowPolicy} with
   *     expiry or admission needs; {@link RowPolicy#stamped()}) or not (format 1). Pages of the
   *     other format are converted as they are loaded and written back in this one
   */
  public PageCache(PageStore store, int capacity, int rowSize, int initialRows,
      boolean stamped) {
    this(store, capacity, rowSize, initialRows, stamped, PageFormat.DENSE_AT);
  }

  /**
   * @param denseAt rows at which a direct key's page in the hashed form becomes a direct page
   *     ({@link PageFormat#DENSE_AT}); 1 makes every direct key's page direct from its creation
   *     (the layout before sparse direct keys, for comparison)
   */
  public PageCache(PageStore store, int capacity, int rowSize, int initialRows,
      boolean stamped, int denseAt) {
    this(store, capacity, rowSize, initialRows, stamped, denseAt, 0);
  }

  /**
   * @param smallAt rows at which a small model's page ({@link PageFormat#MODEL_PAGE}) is spilled
   *     into the pages its rows map to ({@link PageFormat#SMALL_AT}), in [2,
   *     {@link PageFormat#SMALL_AT}]; 0 keeps every model in pages. Needs {@code denseAt} > 1
   *     (rows spill into pages in the hashed form)
   */
  public PageCache(PageStore store, int capacity, int rowSize, int initialRows,
      boolean stamped, int denseAt, int smallAt) {
    this(store, capacity, rowSize, initialRows, stamped, denseAt, smallAt, false);
  }

  /**
   * @param denseBlocks whether the models have dense blocks ({@link #dense}), which stay in
   *     memory with a model's pages: a small model's page then weighs a whole page of the
   *     capacity more (see the class comment)
   */
  public PageCache(PageStore store, int capacity, int rowSize, int initialRows,
      boolean stamped, int denseAt, int smallAt, boolean denseBlocks) {
    this.denseBlocks = denseBlocks;
    if (smallAt != 0 && (smallAt < 2 || smallAt > PageFormat.SMALL_AT || denseAt == 1)) {
      throw new IllegalArgumentException("smallAt must be 0 or in [2, " + PageFormat.SMALL_AT
          + "] with denseAt > 1, but was " + smallAt + " with denseAt " + denseAt);
    }
    this.smallAt = smallAt;
    if (denseAt < 1 || denseAt > PageFormat.DIRECT_ROWS) {
      throw new IllegalArgumentException("denseAt must be in [1, " + PageFormat.DIRECT_ROWS
          + "], but was " + denseAt);
    }
    this.denseAt = denseAt;
    if (capacity < 1) {
      throw new IllegalArgumentException("cache capacity must be >= 1 page, but was " + capacity);
    }
    this.store = store;
    this.capacity = capacity;
    this.rowSize = rowSize;
    this.initialRows = initialRows;
    this.stamps = stamped ? 1 : 0;
    this.directFloats = PageFormat.directPageFloats(rowSize, stamps);
    // The arena allocates the capacity's pages and a little slack, within the memory that sized
    // the capacity (DirectArena's class comment).
    this.arena = new DirectArena(rowSize, stamps, capacity);
  }

  /**
   * The cached pages of one model: direct pages with keys below {@link #DIRECT_TABLE_LIMIT}
   * (hashed features) through an array from key to arena slot, the rest in a hash table. The hot
   * path finds a feature's page with one load from a small array.
   *
   * <p>Public as a handle only ({@link #select}): an owner that keeps a model's handle beside its
   * own per-model state finds the model's pages without hashing its key; every member stays
   * package-private.
   */
  public static final class ModelPages {
    static final byte FORM_SMALL = 1;
    static final byte FORM_PAGED = 2;
    private static final int[] NO_SLOTS = new int[0];
    /** {@link #stashed} for a small page the store does not hold (a new model's). */
    static final float[] NOT_STORED = new float[0];
    private final DirectArena arena;
    /**
     * Arena slot + 1 by direct page key; 0 for a page not in memory. Empty until the model's
     * first direct page: a small model's pages are all in the hashed form.
     */
    private int[] slots = NO_SLOTS;
    private final LongMap<RowPage> other = new LongMap<>();
    /**
     * The small model's page ({@link PageFormat#MODEL_PAGE}) while it is cached, else null: held
     * in a field, not in {@link #other}, so a small model's every row lookup finds its page
     * without hashing the page key.
     */
    private RowPage small;
    /** The model's {@link RowBook}, once loaded (never evicted), and whether it changed. */
    float[] book;
    boolean bookDirty;
    /**
     * Whether the store holds the book: it did when the book was loaded, or it has been written
     * back since. Read only once {@link #book} is set; spares {@link PageCache#small} a load.
     */
    boolean bookInStore;
    /** Whether the book's live rows are in the owner's running total yet. */
    boolean bookCounted;
    /**
     * The model's dense blocks, once loaded, and whether they changed: written back with the
     * book when the model leaves the cache with its last page, and at every flush.
     */
    float[][] dense;
    boolean denseDirty;
    /** Pages of the model in the cache. */
    private int cached;
    /**
     * Counts changes to which pages the model has in the cache (a page put, removed or replaced,
     * or the model's form changed): a row's place found before stays valid while this is equal.
     */
    private int changes;
    /** {@link #FORM_SMALL}, {@link #FORM_PAGED}, or 0 until {@link PageCache#small} decides. */
    byte form;
    /**
     * The stored {@link PageFormat#MODEL_PAGE} read to decide the form, until it is held, or
     * {@link #NOT_STORED} if the store had none: the model's first page lookup does not ask the
     * store again.
     */
    float[] stashed;
    /**
     * The store held nothing of the model when this bookkeeping was made ({@link #startNew}):
     * its book and dense blocks start new without asking the store. Read only at their first
     * load, before which nothing of theirs can have been written back.
     */
    boolean nothingStored;
    /** Dropped from the cache with the model ({@link #unpinAll()}): a handle to let go. */
    boolean gone;
    /**
     * Cached pages of the model in the hashed form, its small page aside: while there are any, the
     * model's bookkeeping weighs {@link #MODEL_UNITS} in the cache ({@link PageCache#counted}).
     */
    int hashed;

    ModelPages(DirectArena arena) {
      this.arena = arena;
    }

    /** The arena slot of the cached direct page {@code pageId} (below the limit), or -1. */
    int slot(long pageId) {
      return pageId < slots.length ? slots[(int) pageId] - 1 : -1;
    }

    RowPage get(long pageId) {
      if (pageId >= 0 && pageId < DIRECT_TABLE_LIMIT) {
        int slot = slot(pageId);
        if (slot >= 0) {
          return arena.page(slot);
        }
      }
      if (pageId == PageFormat.MODEL_PAGE) {
        return small;
      }
      return other.size() == 0 ? null : other.get(pageId);
    }

    void put(long pageId, RowPage page) {
      if (pageId >= 0 && pageId < DIRECT_TABLE_LIMIT && page.slot >= 0) {
        if (pageId >= slots.length) {
          slots = Arrays.copyOf(slots, Math.max(16, Integer.highestOneBit((int) pageId) << 1));
        }
        slots[(int) pageId] = page.slot + 1;
      } else if (pageId == PageFormat.MODEL_PAGE) {
        small = page;
      } else {
        other.put(pageId, page);
      }
      cached++;
      changes++;
    }

    void remove(long pageId) {
      if (pageId >= 0 && pageId < slots.length && slots[(int) pageId] != 0) {
        slots[(int) pageId] = 0;
        cached--;
      } else if (pageId == PageFormat.MODEL_PAGE) {
        if (small != null) {
          small = null;
          cached--;
        }
      } else if (other.get(pageId) != null) {
        other.remove(pageId);
        cached--;
      }
      changes++;
    }

    /** See {@link #changes}: equal values mean the same pages, in the same places. */
    int changes() {
      return changes;
    }

    /** Marks a change that moved rows without putting or removing a page (a sweep's). */
    void changed() {
      changes++;
    }

    /** Whether the model has no cached page (its book aside). */
    boolean isEmpty() {
      return cached == 0;
    }
  }

  /** The page, loaded from the store or created empty; marked referenced. */
  public RowPage page(String modelKey, long pageId) throws Exception {
    return page(pagesOf(modelKey), modelKey, pageId);
  }

  /**
   * The cached pages of a model: resolve once per example, then call
   * {@link #page(ModelPages, String, long)}.
   */
  ModelPages pagesOf(String modelKey) {
    ModelPages pages = lastPages;
    if (pages != null && (modelKey == lastKey || modelKey.equals(lastKey))) {
      return pages;
    }
    pages = byModel.get(modelKey);
    if (pages == null) {
      pages = new ModelPages(arena);
      byModel.put(modelKey, pages);
    }
    lastKey = modelKey;
    lastPages = pages;
    return pages;
  }

  /**
   * Makes {@code modelKey} the model of the next {@link #pagesOf} (the {@link PagedLearner}'s,
   * once per example), so that it is found by the key's identity, not hashed and compared again:
   * for an owner that switches between many models and keeps each one's handle.
   *
   * @param held the handle this returned for the model before, or null
   * @return the model's pages: {@code held} while the model is still in the cache, else its
   *     bookkeeping in the cache (made if it has none); keep it for the next call
   */
  public ModelPages select(String modelKey, ModelPages held) {
    if (held != null && !held.gone) {
      lastKey = modelKey;
      lastPages = held;
      return held;
    }
    return pagesOf(modelKey);
  }

  /**
   * Tells the cache that the store holds nothing of {@code modelKey} (the caller has just checked,
   * for example a new model key whose keyed state is empty): unless its bookkeeping is in memory
   * already, the model's book and dense blocks then start new, and it starts as a small model
   * (with {@code smallAt} > 0), without the three or four look-ups in the store that would find
   * nothing. Wrong if the store does hold something of the model.
   *
   * @return the model's pages, as {@link #select} returns them
   */
  public ModelPages startNew(String modelKey) {
    ModelPages pages = pagesOf(modelKey);
    if (pages.book == null && pages.dense == null && pages.form == 0 && pages.isEmpty()) {
      pages.nothingStored = true;
      // What storedSmall concludes from an empty store.
      pages.form = smallAt > 0 ? ModelPages.FORM_SMALL : ModelPages.FORM_PAGED;
      if (smallAt > 0) {
        pages.stashed = ModelPages.NOT_STORED;
      }
    }
    return pages;
  }

  /**
   * The page with key {@code pageId} of the model whose pages are {@code pages}: loaded from the
   * store, or created (a direct page for a direct key, see {@link PageFormat#pageKey}).
   */
  RowPage page(ModelPages pages, String modelKey, long pageId) throws Exception {
    return lookup(pages, modelKey, pageId, true);
  }

  /**
   * Like {@link #page(ModelPages, String, long)}, but never creates a page: null when the page is
   * neither cached nor stored (admission asks this before a row may be created).
   */
  RowPage pageIfPresent(ModelPages pages, String modelKey, long pageId) throws Exception {
    return lookup(pages, modelKey, pageId, false);
  }

  /**
   * The stored page {@code pageId} of a model whose bookkeeping is not in memory, as
   * {@link #page} would hold it (a stored direct page of few learned rows in the hashed form, see
   * {@link #sparseOf}; pages of the other format converted), or null if the store holds none;
   * for reading only: the cache neither holds it nor makes bookkeeping for the model, so a model
   * the cache evicted stays out of it. Changes nothing but the store's reads.
   */
  RowPage readStored(String modelKey, long pageId) throws Exception {
    float[] stored = store.load(modelKey, pageId);
    if (stored == null) {
      return null;
    }
    if (PageFormat.isDirect(pageId) && PageFormat.isDirectPage(stored) && denseAt > 1) {
      RowPage sparse = sparseOf(pageId, stored);
      if (sparse != null) {
        return sparse;
      }
    }
    return RowPage.load(stored, rowSize, stamps);
  }

  /** The weight of a held page in the capacity, in {@link #UNITS} per page. */
  private int unitsOf(long pageId, RowPage page) {
    if (pageId == PageFormat.MODEL_PAGE) {
      return smallUnits(page.floats());
    }
    return page.isDirect() ? UNITS : hashedUnits(page.floats());
  }

  /**
   * The weight of a page in the hashed form (not a small model's) of {@code floats}
   * ({@link RowPage#floats()}): its memory and {@link #PAGE_FLOATS} as a share of a direct
   * page's, rounded up (at least 1 unit; more than a whole page for a page larger than a direct
   * one). The model's own bookkeeping is counted once per model ({@link #counted}).
   */
  private int hashedUnits(int floats) {
    return (int) Math.min(Integer.MAX_VALUE,
        (((long) floats + PAGE_FLOATS) * UNITS + directFloats - 1) / directFloats);
  }

  /**
   * Counts a page in the hashed form (not a small model's) put in the cache ({@code delta} 1) or
   * taken out (-1): while the model has any, it weighs {@link #modelUnits()} for its bookkeeping
   * (and dense blocks). Direct pages and small pages change nothing.
   */
  private void counted(ModelPages pages, long pageId, RowPage page, int delta) {
    if (page.isDirect() || pageId == PageFormat.MODEL_PAGE) {
      return;
    }
    pages.hashed += delta;
    if (delta > 0 && pages.hashed == 1) {
      units += modelUnits();
    } else if (delta < 0 && pages.hashed == 0) {
      units -= modelUnits();
    }
  }

  /**
   * What a model in pages weighs beyond them while it has pages in the hashed form cached: an
   * eighth of a page for its bookkeeping and session, and a whole page more for its dense blocks
   * if it has any (an MLP's layers stay in memory with its pages; a page in the hashed form
   * weighing a whole page covered them until 2026-12-01).
   */
  private int modelUnits() {
    return MODEL_UNITS + (denseBlocks ? UNITS : 0);
  }

  /**
   * The weight page {@code pageId} will have once loaded from {@code stored} (null: a new page),
   * before it is: a small page's as {@link RowPage#load} or a new page makes it, about (the index
   * taken as 2 slots per record of room).
   */
  private int unitsBefore(ModelPages pages, long pageId, float[] stored) {
    boolean small = pageId == PageFormat.MODEL_PAGE;
    if (!small && (stored == null ? PageFormat.isDirect(pageId) && denseAt == 1
        : PageFormat.isDirectPage(stored))) {
      return UNITS; // a direct page (or one sparseOf makes lighter: weighed exactly once held)
    }
    int rows = stored == null ? (small ? Math.max(initialRows, SMALL_FIRST_ROWS) : initialRows)
        : PageFormat.rowCount(stored) + PageFormat.rowCount(stored) / 4 + 1;
    int floats = PageFormat.HEADER + rows * (PageFormat.recordSize(rowSize, stamps) + 2);
    // The model's charge only for its first page in the hashed form (counted then).
    return small ? smallUnits(floats)
        : hashedUnits(floats) + (pages.hashed == 0 ? modelUnits() : 0);
  }

  /**
   * The weight of a small model's page of {@code floats} ({@link RowPage#floats()}), a whole
   * page more for a model with dense blocks (see the class comment).
   */
  private int smallUnits(int floats) {
    return (denseBlocks ? UNITS : 0)
        + MODEL_UNITS + (int) (((long) floats * UNITS + directFloats - 1) / directFloats);
  }

  /**
   * Weighs the model's small page again ({@link PageFormat#MODEL_PAGE}, if cached) after rows
   * were added to it: its weight follows its memory (see the class comment). If the cache is then
   * over its capacity, evicts unpinned pages until it is not: pages grow without a miss (every
   * model cached), so waiting for one would leave the cache over its capacity. Call it after each
   * example of a small model, before {@link #unpinAll()} (models its eviction empties leave
   * then).
   */
  void reweigh(ModelPages pages) throws Exception {
    RowPage small = pages.small;
    if (small != null) {
      weigh(small, smallUnits(small.floats()));
    }
  }

  /**
   * Weighs a page in the hashed form of the model again ({@link #hashedUnits}) after rows were
   * added to it or removed, if the cache still holds it (it may have been densified, removed or
   * be the model's small page, which {@link #reweigh(ModelPages)} weighs): as
   * {@link #reweigh(ModelPages)}, evicting unpinned pages if it grew and the cache is then over
   * its capacity (a page made lighter evicts nothing).
   * Call it after the example that grew the page, before {@link #unpinAll()}.
   */
  void reweigh(ModelPages pages, RowPage page) throws Exception {
    if (page.isDirect() || page == pages.small || page.clockAt < 0
        || page.clockAt >= clock.size() || clock.get(page.clockAt).page != page) {
      return;
    }
    weigh(page, hashedUnits(page.floats()));
  }

  /**
   * Sets a held page's weight; evicts only if it grew (a page made lighter, by an expiry sweep
   * between examples when nothing is pinned, must not evict the pages the sweep has yet to visit).
   */
  private void weigh(RowPage page, int weight) throws Exception {
    if (weight != page.units) {
      boolean grew = weight > page.units;
      units += weight - page.units;
      page.units = weight;
      if (grew) {
        fit();
      }
    }
  }

  /**
   * Evicts unpinned pages while the cache is over its capacity: after an example that densified
   * a page (a page in the hashed form replaced by a direct page weighing a whole page), before
   * {@link #unpinAll()}.
   */
  void fit() throws Exception {
    if (units > (long) capacity * UNITS) {
      makeRoom(0);
    }
  }

  /** The cached pages' weight, in {@link #UNITS} per page of the capacity. */
  long units() {
    return units;
  }

  private RowPage lookup(ModelPages pages, String modelKey, long pageId, boolean create)
      throws Exception {
    RowPage page = pages.get(pageId);
    if (page != null) {
      hits++;
      page.setReferenced(true);
      return page;
    }
    misses++;
    float[] stored;
    if (pages.stashed != null && pageId == PageFormat.MODEL_PAGE) {
      stored = pages.stashed == ModelPages.NOT_STORED ? null : pages.stashed;
      pages.stashed = null;
    } else {
      stored = store.load(modelKey, pageId);
    }
    if (create) {
      makeRoom(unitsBefore(pages, pageId, stored));
      return hold(pages, modelKey, pageId, stored);
    }
    if (stored == null) {
      return null;
    }
    makeRoom(unitsBefore(pages, pageId, stored));
    return hold(pages, modelKey, pageId, stored);
  }

  /** Puts a page loaded from the store (or a new one, if {@code stored} is null) in the cache. */
  private RowPage hold(ModelPages pages, String modelKey, long pageId, float[] stored) {
    RowPage page = null;
    boolean direct = PageFormat.isDirect(pageId);
    if (direct && stored != null && PageFormat.isDirectPage(stored)) {
      page = denseAt > 1 ? sparseOf(pageId, stored) : null;
      if (page == null) {
        page = RowPage.loadDirect(stored, rowSize, stamps, arena, arena.allocate());
      }
    } else if (direct && stored == null && denseAt == 1) {
      page = RowPage.newDirect(rowSize, stamps, arena, arena.allocate());
    } else if (stored != null) {
      page = RowPage.load(stored, rowSize, stamps);
    } else {
      page = new RowPage(rowSize, stamps,
          pageId == PageFormat.MODEL_PAGE ? Math.max(initialRows, SMALL_FIRST_ROWS) : initialRows);
    }
    if (stored != null && PageFormat.stamps(stored) != stamps) {
      page.markDirty(); // converted: written back in this cache's format
    }
    page.setReferenced(true);
    pages.put(pageId, page);
    page.clockAt = clock.size();
    clock.add(new Entry(modelKey, pageId, page));
    page.units = unitsOf(pageId, page);
    units += page.units;
    counted(pages, pageId, page, 1);
    return page;
  }

  /**
   * A stored direct page with fewer than {@code denseAt / 2} learned rows in the hashed form
   * (dirty, so it is written back so), or null if it has more or no initializer is known. A row
   * is learned if its stamp is live (format 2) or, without stamps, if it differs from a new row
   * (a row equal to a new one is made again, equal, when next touched).
   */
  private RowPage sparseOf(long pageId, float[] stored) {
    if (init == null) {
      return null;
    }
    int from = PageFormat.stamps(stored);
    int limit = denseAt / 2;
    long first = PageFormat.firstRow(pageId);
    int[] learned = new int[limit];
    int n = 0;
    float[] fresh = from == 0 ? new float[rowSize] : null;
    for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
      int at = PageFormat.HEADER + r * rowSize;
      boolean live;
      if (from > 0) {
        live = stored[PageFormat.HEADER + PageFormat.DIRECT_ROWS * rowSize + r]
            != PageFormat.ABSENT;
      } else {
        Arrays.fill(fresh, 0f);
        init.initializeRow(first + r, fresh, 0);
        live = !Arrays.equals(stored, at, at + rowSize, fresh, 0, rowSize);
      }
      if (live) {
        if (n == limit) {
          return null;
        }
        learned[n++] = r;
      }
    }
    RowPage page = new RowPage(rowSize, stamps, Math.max(n, 1));
    float[] converted = PageFormat.convert(stored, rowSize, stamps);
    for (int i = 0; i < n; i++) {
      long id = first + learned[i];
      int at = page.add(id);
      System.arraycopy(converted, PageFormat.directOffset(id, rowSize), page.data(), at, rowSize);
      if (stamps > 0) {
        page.data()[at - 1] = converted[PageFormat.directStampOffset(id, rowSize)];
      }
    }
    page.markDirty();
    return page;
  }

  /**
   * Replaces a cached direct key's page in the hashed form by a new direct page in the same place
   * of the clock, its rows zeroed for the caller to initialize ({@link RowPage#takeFresh()}) and
   * fill from the old page, pinned until {@link #unpinAll()}. Evicts nothing: the caller makes
   * room with {@link #fit()} once the example is done.
   */
  RowPage densify(ModelPages pages, String modelKey, long pageId) {
    RowPage sparse = pages.get(pageId);
    RowPage dense = RowPage.newDirect(rowSize, stamps, arena, arena.allocate());
    dense.setReferenced(true);
    dense.pin(epoch); // in use until the example ends: room is made by evicting others
    pages.remove(pageId);
    pages.put(pageId, dense);
    dense.clockAt = sparse.clockAt;
    dense.units = UNITS;
    units += dense.units - sparse.units;
    counted(pages, pageId, sparse, -1);
    clock.set(sparse.clockAt, new Entry(modelKey, pageId, dense));
    return dense;
  }

  /** Rows at which a direct key's page in the hashed form becomes a direct page. */
  public int denseAt() {
    return denseAt;
  }

  /** Rows at which a small model's page is spilled into pages; 0 if models are never small. */
  public int smallAt() {
    return smallAt;
  }

  /**
   * Whether the model keeps its rows in one page, {@link PageFormat#MODEL_PAGE} (see the class
   * comment), decided once per stay in memory: yes if the store holds that page, or holds
   * neither a {@link RowBook} nor a row page of the model (a new model); no otherwise.
   */
  boolean small(ModelPages pages, String modelKey) throws Exception {
    if (pages.form == 0) {
      pages.form = smallAt > 0 && storedSmall(pages, modelKey) ? ModelPages.FORM_SMALL
          : ModelPages.FORM_PAGED;
    }
    return pages.form == ModelPages.FORM_SMALL;
  }

  private boolean storedSmall(ModelPages pages, String modelKey) throws Exception {
    if (pages.get(PageFormat.MODEL_PAGE) != null) {
      return true;
    }
    float[] stored = store.load(modelKey, PageFormat.MODEL_PAGE);
    if (stored != null) {
      pages.stashed = stored; // read once: held at the model's first page lookup
      return true;
    }
    if (pages.book != null ? pages.bookInStore
        : store.load(modelKey, PageFormat.BOOK_PAGE) != null) {
      return false;
    }
    for (long key : store.pageKeys(modelKey)) {
      if (PageFormat.isRowPage(key)) {
        return false;
      }
    }
    pages.stashed = ModelPages.NOT_STORED;
    return true;
  }

  /** The model's rows moved out of its small page: from now on it is in pages. */
  void spilled(ModelPages pages) {
    pages.form = ModelPages.FORM_PAGED;
    pages.changed();
  }

  /** How rows are initialized, to tell a learned row of a stored direct page from a new one. */
  void initializer(RowInit init) {
    this.init = init;
  }

  /** Initializes the row {@code rowId} at {@code data[offset ..]}, as the model documents. */
  @FunctionalInterface
  interface RowInit {
    void initializeRow(long rowId, float[] data, int offset);
  }

  /** The cached page, or null; no lookup in the store, no change to the clock. */
  RowPage cached(String modelKey, long pageId) {
    ModelPages pages = byModel.get(modelKey);
    return pages == null ? null : pages.get(pageId);
  }

  /** The keys of the model's cached pages. */
  long[] cachedKeys(String modelKey) {
    long[] keys = new long[16];
    int n = 0;
    for (Entry e : clock) {
      if (e.modelKey.equals(modelKey)) {
        if (n == keys.length) {
          keys = Arrays.copyOf(keys, 2 * n);
        }
        keys[n++] = e.pageId;
      }
    }
    return Arrays.copyOf(keys, n);
  }

  /**
   * Drops a page from the cache (without writing it back) and from the store. Not for a page
   * pinned by the example being processed.
   */
  void remove(String modelKey, long pageId) throws Exception {
    ModelPages pages = byModel.get(modelKey);
    RowPage page = pages == null ? null : pages.get(pageId);
    if (page != null) {
      pages.remove(pageId);
      if (page.slot >= 0) {
        arena.release(page.slot);
      }
      unclock(page.clockAt);
      counted(pages, pageId, page, -1);
    }
    store.remove(modelKey, pageId);
  }

  /**
   * The model's {@link RowBook}, loaded from the store on first use (or new), with room for a
   * sketch of {@code sketchWidth} x {@code sketchDepth} counters; kept in memory from then on and
   * written back by {@link #flush()} when {@link #bookChanged} says so.
   */
  /**
   * The model's book to read its counts from: the held one, or else its counts loaded from the
   * store without the admission sketch, which the cache does not keep (a model out of the cache
   * stays out, and its memory with it).
   */
  float[] bookToRead(String modelKey) throws Exception {
    ModelPages held = byModel.get(modelKey);
    if (held != null && held.book != null) {
      return held.book;
    }
    return RowBook.fit(store.load(modelKey, PageFormat.BOOK_PAGE), 0, 0);
  }

  float[] book(ModelPages pages, String modelKey, int sketchWidth, int sketchDepth)
      throws Exception {
    if (pages.book == null) {
      float[] stored = pages.nothingStored ? null : store.load(modelKey, PageFormat.BOOK_PAGE);
      pages.book = RowBook.fit(stored, sketchWidth, sketchDepth);
      pages.bookInStore = stored != null;
    }
    return pages.book;
  }

  void bookChanged(ModelPages pages) {
    pages.bookDirty = true;
  }

  /**
   * The model's dense blocks ({@link PageFormat#DENSE_PAGE}), loaded from the store on first use
   * into the arrays {@code fresh} makes (new, initialized blocks: kept as they are if the store
   * has none); kept in memory from then on and written back by {@link #flush()} after
   * {@link #denseChanged}.
   *
   * @throws IllegalStateException if the stored blocks do not have the size of fresh ones
   */
  float[][] dense(ModelPages pages, String modelKey, java.util.function.Supplier<float[][]> fresh)
      throws Exception {
    if (pages.dense == null) {
      float[][] blocks = fresh.get();
      float[] stored = pages.nothingStored ? null : store.load(modelKey, PageFormat.DENSE_PAGE);
      if (stored != null) {
        int at = 0;
        for (float[] block : blocks) {
          if (at + block.length > stored.length) {
            break;
          }
          System.arraycopy(stored, at, block, 0, block.length);
          at += block.length;
        }
        if (at != stored.length) {
          throw new IllegalStateException("model " + modelKey + ": the stored dense blocks hold "
              + stored.length + " floats, but the model's have another size");
        }
      }
      pages.dense = blocks;
    }
    return pages.dense;
  }

  void denseChanged(ModelPages pages) {
    pages.denseDirty = true;
  }

  /**
   * A hit on a cached page the caller found earlier and knows is still the model's (its
   * {@link ModelPages#changes()} unchanged): counted, referenced and pinned as
   * {@link #page(ModelPages, String, long)} and {@link #pin} would, without the lookup.
   */
  void hit(RowPage page) {
    hits++;
    page.setReferenced(true);
    page.pin(epoch);
  }

  /** Keeps the page in memory until {@link #unpinAll()}. */
  public void pin(RowPage page) {
    page.pin(epoch);
  }

  // The hot path for cached direct pages, by arena slot (see ModelPages#slot): no RowPage object
  // is touched.

  /**
   * A hit on the slot's page: referenced, and dirty too when {@code learn}. The hit is not
   * counted here: the hot path counts its hits in a local and adds them once per example
   * ({@link #countHits}), one store instead of one per row.
   */
  void mark(int slot, boolean learn) {
    arena.touch(slot, learn ? (byte) (DirectArena.REFERENCED | DirectArena.DIRTY)
        : DirectArena.REFERENCED);
  }

  /** Adds hits counted by the caller ({@link #mark}). */
  void countHits(int count) {
    hits += count;
  }

  void pinSlot(int slot) {
    arena.pin(slot, epoch);
  }

  float[] chunk(int slot) {
    return arena.chunk(slot);
  }

  /** Whether every direct page is in one arena chunk ({@link DirectArena#chunks()}). */
  boolean oneChunk() {
    return arena.chunks() <= 1;
  }

  int base(int slot) {
    return arena.base(slot);
  }

  /** The bytes the direct pages' arena has allocated ({@link DirectArena#allocatedBytes()}). */
  long arenaBytes() {
    return arena.allocatedBytes();
  }

  /**
   * Releases every pinned page at once (after an example): one step, not one per page. Then
   * evicts the models left without a page in memory.
   */
  public void unpinAll() throws Exception {
    epoch++;
    if (!emptied.isEmpty()) {
      for (String key : emptied) {
        ModelPages pages = byModel.get(key);
        if (pages != null && pages.isEmpty()) {
          evicted.accept(key);
          writeBackModel(key, pages);
          byModel.remove(key);
          pages.gone = true;
          if (pages == lastPages) {
            lastPages = null;
            lastKey = null;
          }
        }
      }
      emptied.clear();
    }
  }

  /**
   * Adds a listener told the key of every model evicted (before its bookkeeping goes; it may
   * read the model's book through the cache but must not load pages).
   */
  public void onModelEvicted(java.util.function.Consumer<String> listener) {
    evicted = evicted.andThen(listener);
  }

  /** Whether the model's bookkeeping is in memory (it has pages cached, or was just used). */
  public boolean holds(String modelKey) {
    return byModel.containsKey(modelKey);
  }

  /** The model's pages if its bookkeeping is in memory, else null; never loads anything. */
  ModelPages pagesIfHeld(String modelKey) {
    return byModel.get(modelKey);
  }

  /** Models whose bookkeeping is in memory. */
  public int models() {
    return byModel.size();
  }

  /** Writes every dirty page back to the store; the pages stay cached and become clean. */
  public void flush() throws Exception {
    for (Entry e : clock) {
      writeBack(e);
    }
    for (Map.Entry<String, ModelPages> m : byModel.entrySet()) {
      ModelPages pages = m.getValue();
      writeBackModel(m.getKey(), pages);
    }
  }

  /** Stores a model's book and dense blocks if they changed. */
  private void writeBackModel(String modelKey, ModelPages pages) throws Exception {
    if (pages.bookDirty) {
      store.store(modelKey, PageFormat.BOOK_PAGE, pages.book.clone());
      pages.bookDirty = false;
      pages.bookInStore = true;
      writes++;
    }
    if (pages.denseDirty) {
      int size = 0;
      for (float[] block : pages.dense) {
        size += block.length;
      }
      float[] stored = new float[size];
      int at = 0;
      for (float[] block : pages.dense) {
        System.arraycopy(block, 0, stored, at, block.length);
        at += block.length;
      }
      store.store(modelKey, PageFormat.DENSE_PAGE, stored);
      pages.denseDirty = false;
      writes++;
    }
  }

  private void writeBack(Entry e) throws Exception {
    if (e.page.isDirty()) {
      store.store(e.modelKey, e.pageId, e.page.toStored());
      e.page.markClean();
      writes++;
    }
  }

  /** Evicts pages until a page of {@code weight} fits in the capacity (or every page is pinned). */
  private void makeRoom(int weight) throws Exception {
    long room = (long) capacity * UNITS - weight;
    // Pages scanned since the last eviction: two turns of the clock without one mean every page
    // left is pinned. (Counting every page scanned instead stopped after a few evictions when
    // many light pages had to go, leaving the cache over its capacity.)
    int scanned = 0;
    // (A page heavier than the whole capacity, a model with dense blocks in a cache of one page,
    // is held with nothing else.)
    while (units > room && !clock.isEmpty() && scanned < 2 * clock.size() + 1) {
      if (hand >= clock.size()) {
        hand = 0;
      }
      Entry e = clock.get(hand);
      scanned++;
      if (e.page.pinnedIn() == epoch) {
        hand++;
      } else if (e.page.isReferenced()) {
        e.page.setReferenced(false);
        hand++;
      } else {
        writeBack(e);
        ModelPages owner = byModel.get(e.modelKey);
        owner.remove(e.pageId);
        counted(owner, e.pageId, e.page, -1);
        if (owner.isEmpty()) {
          emptied.add(e.modelKey);
        }
        if (e.page.slot >= 0) {
          arena.release(e.page.slot);
        }
        unclock(hand);
        evictions++;
        scanned = 0;
      }
    }
  }

  /** Removes clock entry {@code i}, moving the last one into its place. */
  private void unclock(int i) {
    RowPage removed = clock.get(i).page;
    units -= removed.units;
    int last = clock.size() - 1;
    Entry moved = clock.get(last);
    clock.set(i, moved);
    moved.page.clockAt = i;
    clock.remove(last);
    removed.clockAt = -1; // after the move: it may have been the last entry
  }

  PageStore store() {
    return store;
  }

  /** Floats of a row's stamp in this cache's pages: 0 (page format 1) or 1 (format 2). */
  public int stamps() {
    return stamps;
  }

  /** Pages in memory. */
  public int size() {
    return clock.size();
  }

  /** Pages of the capacity: each the memory of a direct page ({@link #pageBytes}). */
  public int capacity() {
    return capacity;
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
