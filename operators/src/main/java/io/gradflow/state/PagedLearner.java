package io.gradflow.state;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FeatureMerger;
import io.gradflow.schema.FeatureHashing;

/**
 * Predicts, then learns, examples of any number of models whose rows live in pages behind a
 * {@link PageCache}: resolves every row of an example (creating and initializing missing ones),
 * pins their pages (and marks them dirty when the example is learned), hands arrays and offsets
 * to the {@link ExampleLearner}, then unpins them all at once.
 *
 * <p>An example's rows are its sparse features with repeated ids merged
 * ({@link FeatureMerger}), then one row per dense feature ({@link FeatureHashing#denseRow}), plus
 * the bias ({@link FeatureHashing#BIAS_ROW}). Rows are created with the model's documented
 * initialization: a direct page's {@value PageFormat#DIRECT_ROWS} rows when the page is first
 * touched, an entity row when it is. The page a row lives in is {@link PageFormat#pageKey}.
 *
 * <p>Not thread-safe: scratch buffers are reused across examples. One per operator instance.
 */
public final class PagedLearner {
  /** Row ids whose direct page key can be in a {@link PageCache.ModelPages} slot table. */
  private static final long FAST_ROWS =
      (long) PageCache.DIRECT_TABLE_LIMIT << PageFormat.DIRECT_SHIFT;

  private final ExampleLearner learner;
  private final PageCache cache;
  private final int pageBits;
  private final FeatureMerger merger = new FeatureMerger();
  private long[] ids = new long[64];
  private float[] values = new float[64];
  private RowPage[] rowPages = new RowPage[64];
  private float[][] arrays = new float[64][];
  private int[] offsets = new int[64];
  private int[] slots = new int[64];
  private long rowsCreated;

  public PagedLearner(ExampleLearner learner, PageCache cache, int pageBits) {
    this.learner = learner;
    this.cache = cache;
    this.pageBits = pageBits;
  }

  public ExampleLearner learner() {
    return learner;
  }

  /** The cache the rows live behind. */
  public PageCache cache() {
    return cache;
  }

  /** A model's rows are spread over 2^pageBits hashed pages ({@code state.page_bits}). */
  public int pageBits() {
    return pageBits;
  }

  /**
   * Scores the example and, if {@code learn}, learns it.
   *
   * @param learn whether to learn the example; only an example that is
   *     {@link CompactExample#learnable()} (labeled, non-zero weight) is, whatever this says, so a
   *     weight-0 example touches no row and dirties no page
   * @param dense the dense feature values to use (the example's, or standardized ones)
   * @param modelStep the model's step count if the example is learned: examples the model has
   *     learned, counting this one
   * @param learningRate the rate for this example, from the schedule
   * @return the model's activation before learning (the loss turns it into a prediction)
   */
  public double process(String modelKey, CompactExample example, float[] dense, boolean learn,
      long modelStep, double learningRate) throws Exception {
    learn &= example.learnable();
    int sparse = example.rowIds.length;
    ensureCapacity(sparse + dense.length);
    int n = merger.merge(example.rowIds, example.values, sparse, ids, values);
    for (int j = 0; j < dense.length; j++) {
      ids[n] = FeatureHashing.denseRow(j);
      values[n] = dense[j];
      n++;
    }
    // Pass 1: find or create every row; adding a row may replace its page's array. A page
    // about to be learned is marked dirty now: nothing can write it back before the example ends.
    // A feature row in a cached direct page takes the fast path (arena slot, no page object);
    // before a miss may evict anything, every page this example resolved so far is pinned.
    PageCache.ModelPages pages = cache.pagesOf(modelKey);
    int rowSize = learner.rowSize();
    int pinnedUpTo = 0;
    try {
      RowPage biasPage = pageOf(pages, modelKey, FeatureHashing.BIAS_ROW, learn);
      int biasOffset = rowOf(biasPage, FeatureHashing.BIAS_ROW);
      for (int i = 0; i < n; i++) {
        long id = ids[i];
        int slot = id >= 0 && id < FAST_ROWS ? pages.slot(id >>> PageFormat.DIRECT_SHIFT) : -1;
        slots[i] = slot;
        if (slot >= 0) {
          cache.touch(slot, learn);
          arrays[i] = cache.chunk(slot);
          offsets[i] = cache.base(slot) + PageFormat.directOffset(id, rowSize);
          continue;
        }
        for (int j = pinnedUpTo; j < i; j++) {
          if (slots[j] >= 0) {
            cache.pinSlot(slots[j]);
          } else {
            cache.pin(rowPages[j]);
          }
        }
        pinnedUpTo = i + 1;
        RowPage page = pageOf(pages, modelKey, id, learn);
        rowPages[i] = page;
        offsets[i] = rowOf(page, id);
      }
      // Pass 2: the arrays of the other rows, now that no page grows any more.
      for (int i = 0; i < n; i++) {
        if (slots[i] < 0) {
          arrays[i] = rowPages[i].data();
        }
      }
      double activation =
          learner.activation(arrays, offsets, values, n, biasPage.data(), biasOffset);
      if (learn) {
        learner.learn(arrays, offsets, values, n, biasPage.data(), biasOffset, activation,
            example.label, example.weight, modelStep, learningRate);
      }
      return activation;
    } finally {
      cache.unpinAll();
    }
  }

  private RowPage pageOf(PageCache.ModelPages pages, String modelKey, long rowId, boolean learn)
      throws Exception {
    long key = PageFormat.pageKey(rowId, pageBits);
    RowPage page = cache.page(pages, modelKey, key);
    cache.pin(page);
    if (learn) {
      page.markDirty();
    }
    if (page.takeFresh()) {
      // A new direct page: every row exists from now on, initialized as the model documents.
      long first = PageFormat.firstRow(key);
      float[] data = page.data();
      int at = page.find(first);
      int rowSize = learner.rowSize();
      for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
        learner.initializeRow(first + r, data, at + r * rowSize);
      }
      rowsCreated += PageFormat.DIRECT_ROWS;
    }
    return page;
  }

  private int rowOf(RowPage page, long rowId) {
    int at = page.find(rowId);
    if (at < 0) {
      at = page.add(rowId);
      learner.initializeRow(rowId, page.data(), at);
      rowsCreated++;
    }
    return at;
  }

  /** Rows created (first touched) by this learner since it was made. */
  public long rowsCreated() {
    return rowsCreated;
  }

  private void ensureCapacity(int n) {
    if (ids.length < n) {
      int size = Math.max(n, 2 * ids.length);
      ids = new long[size];
      values = new float[size];
      rowPages = new RowPage[size];
      arrays = new float[size][];
      offsets = new int[size];
      slots = new int[size];
    }
  }
}
