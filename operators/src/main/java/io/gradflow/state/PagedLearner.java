package io.gradflow.state;

import io.gradflow.learn.BatchGradient;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FeatureMerger;
import io.gradflow.model.Model;
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
 * initialization when first touched; a direct key's page holds the rows touched until it has
 * {@link PageCache#denseAt()} of them, and then, after the example, becomes a direct page whose
 * other rows are initialized then ({@link PageFormat}, "Sparse direct keys"): the same floats as
 * a direct page from the start. The page a row lives in is {@link PageFormat#pageKey}, or, for a
 * small model ({@link PageCache#small}), the model's one page {@link PageFormat#MODEL_PAGE}: once
 * an example leaves that page with {@link PageCache#smallAt()} rows, its rows are spilled (moved
 * with their stamps) into the pages they map to, and the model stays in pages. A row is the same
 * floats in either page, so predictions do not depend on where rows live.
 *
 * <p><b>Bounded rows</b> ({@link RowPolicy}). Every row a learned example updates gets the
 * example's event time as its stamp ({@link PageFormat}); a row becomes live at its first update.
 * With admission control, a sparse feature whose row is not live is counted in the model's sketch
 * ({@link RowBook}) at each sighting in a learned example and left out of the example (not
 * predicted with, not learned, counted as refused) until the policy admits it; in a scored-only
 * example it is left out without being counted. {@link #expire} (on top of {@link #sweep}) resets
 * or removes rows not updated for the policy's {@code expireAfter}; the owner calls it at
 * deterministic event-time points, so a replay expires the same rows.
 *
 * <p>Counters for metrics: {@link #rowsLive()}, {@link #rowsExpired()}, {@link #rowsRefused()}
 * (this instance's models), {@link #liveRows(String)} (one model's, persisted in its book).
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
  private final RowPolicy policy;
  /** Floats of a row's stamp in the cache's pages: 0 (page format 1) or 1 (format 2). */
  private final int stamps;
  private final boolean admission;
  private final int sketchWidth;
  private final int sketchDepth;
  private final int sketchCap;
  /** Event time between expiry sweeps ({@link RowPolicy#suggestedSweepInterval()}). */
  private final long sweepMillis;
  /** Dense inputs of a model with dense blocks (an MLP's input), -1 if dense features are rows. */
  private final int denseInputs;
  private final boolean sparseFeatures;
  private final FeatureMerger merger = new FeatureMerger();
  private long[] ids = new long[64];
  private float[] values = new float[64];
  private RowPage[] rowPages = new RowPage[64];
  private float[][] arrays = new float[64][];
  private int[] offsets = new int[64];
  /** Where each row's stamp is in its array (pages with stamps only). */
  private int[] stampAts = new int[64];
  private int[] slots = new int[64];
  /** Direct keys whose page in the hashed form reached {@link PageCache#denseAt()} rows. */
  private long[] densify = new long[8];
  private int densifyCount;
  /**
   * Pages in the hashed form that rows were added to in the example in progress (a page may be
   * listed more than once), weighed again after it ({@link PageCache#reweigh(PageCache.ModelPages,
   * RowPage)}): their weight in the cache follows their memory.
   */
  private RowPage[] grown = new RowPage[8];
  private int grownCount;
  /**
   * The bias row's place, held from one example to the next of the same model (the bias is in
   * every example): its page and offset, valid while the model's pages are those it was found
   * among ({@link PageCache.ModelPages#changes()}). So a run of one model's examples finds the
   * bias without a page lookup; any page put or removed (a miss, an eviction, a densified or
   * spilled page, a sweep) makes the next example look it up again.
   */
  private PageCache.ModelPages biasModel;
  /** Rows of the example in progress found in cached direct pages (counted as hits after it). */
  private int hitsPending;
  /** Rows of the example in progress found through their page object (not the fast path). */
  private int slowRows;
  /**
   * The one arena chunk ({@link PageCache#oneChunk()}) last stored into {@link #arrays}, and how
   * many of arrays' first entries hold it: every store of another array below chunkUpTo lowers
   * it, and a new arrays resets it. So a fast row whose entry is below it needs no store.
   */
  private float[] chunkHeld;
  private int chunkUpTo;
  private int biasChanges;
  private RowPage biasHeld;
  private int biasHeldAt;
  private long rowsCreated;
  private volatile long rowsLive;
  private volatile long rowsExpired;
  private volatile long rowsRefused;

  /** A learner that keeps every row ({@link RowPolicy#NONE}). */
  public PagedLearner(ExampleLearner learner, PageCache cache, int pageBits) {
    this(learner, cache, pageBits, RowPolicy.NONE);
  }

  /**
   * @param cache a cache of stamped pages ({@code stamped} true) if the policy expires or
   *     controls admission ({@link RowPolicy#stamped()}), else of either kind
   * @throws IllegalArgumentException if the policy needs stamps the cache's pages do not have
   */
  public PagedLearner(ExampleLearner learner, PageCache cache, int pageBits, RowPolicy policy) {
    if (policy.stamped() && cache.stamps() == 0) {
      throw new IllegalArgumentException("rows.expire_after and admission need rows with"
          + " stamps (page format 2), but the page cache makes format-1 pages");
    }
    this.learner = learner;
    this.cache = cache;
    this.pageBits = pageBits;
    this.policy = policy;
    this.stamps = cache.stamps();
    this.admission = !policy.admitsAll();
    this.sketchWidth = admission ? policy.sketchWidth() : 0;
    this.sketchDepth = admission ? RowPolicy.SKETCH_DEPTH : 0;
    this.sketchCap = policy.admitAfter() > 1 ? policy.admitAfter() : (1 << 24) - 1;
    this.sweepMillis = policy.expires() ? policy.suggestedSweepInterval().toMillis() : 0;
    this.denseInputs = learner.model().denseInputs();
    this.sparseFeatures = learner.model().readsSparseFeatures();
    cache.initializer(learner::initializeRow);
    cache.onModelEvicted(key -> {
      PageCache.ModelPages pages = cache.pagesIfHeld(key);
      if (pages != null && pages.bookCounted) {
        rowsLive -= RowBook.live(pages.book); // counted again when the model comes back
      }
    });
  }

  public ExampleLearner learner() {
    return learner;
  }

  public RowPolicy policy() {
    return policy;
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
    return process(modelKey, example, dense, learn, modelStep, learningRate, null);
  }

  /**
   * {@link #process}, or, with a {@code batch}, scores the example and, if it is learned, adds
   * it to the batch ({@link ExampleLearner#accumulate}: a deep model's batch keeps what its
   * gradient needs, formed at the step) instead of stepping: its rows are created (and admitted,
   * stamped, counted live) now, their weights change only at {@link #step}. Every example of a
   * batch is therefore predicted with the same weights.
   *
   * @param batch the model's batch in progress, or null to learn the example at once
   */
  public double process(String modelKey, CompactExample example, float[] dense, boolean learn,
      long modelStep, double learningRate, BatchGradient batch) throws Exception {
    learn &= example.learnable();
    if (denseInputs >= 0 && dense.length != denseInputs) {
      throw new IllegalArgumentException("the model reads " + denseInputs + " dense features"
          + " (model.inputs), but example " + example.exampleId + " has " + dense.length);
    }
    int sparse = sparseFeatures ? example.rowIds.length : 0;
    // A model with dense blocks reads dense features as its inputs; the others as rows.
    int denseRows = denseInputs >= 0 ? 0 : dense.length;
    ensureCapacity(sparse + denseRows);
    int merged = merger.merge(example.rowIds, example.values, sparse, ids, values);
    int n = merged + denseRows;
    for (int j = 0; j < denseRows; j++) {
      ids[merged + j] = FeatureHashing.denseRow(j);
      values[merged + j] = dense[j];
    }
    // Pass 1: find or create every row; adding a row may replace its page's array. A page
    // about to be learned is marked dirty now: nothing can write it back before the example ends.
    // A feature row in a cached direct page takes the fast path (arena slot, no page object);
    // before a miss may evict anything, every page this example resolved so far is pinned.
    // Rows left out by admission are skipped: entry i moves down to entry kept.
    PageCache.ModelPages pages = cache.pagesOf(modelKey);
    float[] book = cache.book(pages, modelKey, sketchWidth, sketchDepth);
    if (!pages.bookCounted) {
      pages.bookCounted = true;
      rowsLive += RowBook.live(book);
    }
    int rowSize = learner.rowSize();
    long createdBefore = rowsCreated;
    hitsPending = 0;
    try {
      RowPage biasPage;
      int biasOffset;
      if (biasModel == pages && biasChanges == pages.changes()) {
        biasPage = biasHeld;
        biasOffset = biasHeldAt;
        cache.hit(biasPage);
        if (learn) {
          biasPage.markDirty();
        }
      } else {
        biasPage = findBias(pages, modelKey, learn);
        biasOffset = biasHeldAt;
      }
      // The common case first (no admission, no stamps): a run of rows in cached direct pages
      // needs no screening and no moving down, so it is resolved in a loop of its own. The
      // general loop (resolveRest) takes over from the first row that is not, as it would have.
      // Chunk references are not stored per row: arrays is an old-generation array, so each
      // reference store into it costs G1's post-write barrier, a StoreLoad fence (perf: the
      // hottest instruction of this method, about 0.27 us per example of 40 rows). With one
      // arena chunk, arrays' first chunkUpTo entries hold that chunk already (see chunkUpTo), so
      // only entries beyond them are stored, after the loop; with several chunks every fast row's
      // chunk is stored, also after the loop (the barrier's slow-path call then stays out of it).
      boolean oneChunk = cache.oneChunk();
      int f = 0;
      if (!admission && stamps == 0) {
        for (; f < n; f++) {
          long id = ids[f];
          int slot = id >= 0 && id < FAST_ROWS ? pages.slot(id >>> PageFormat.DIRECT_SHIFT) : -1;
          if (slot < 0) {
            break;
          }
          cache.mark(slot, learn);
          slots[f] = slot;
          offsets[f] = cache.base(slot) + PageFormat.directOffset(id, rowSize);
        }
        if (f > 0) {
          storeChunks(f, oneChunk);
        }
        hitsPending = f;
      }
      int kept = f;
      slowRows = 0;
      if (f < n) {
        kept = resolveRest(pages, book, modelKey, f, n, merged, learn, rowSize, oneChunk);
      }
      n = kept;
      if (stamps == 0 && rowsCreated != createdBefore) {
        born(pages, book, rowsCreated - createdBefore); // without stamps, a row lives from birth
      }
      // Pass 2: the arrays of the other rows, now that no page grows any more.
      // (None when every row was in a cached direct page: their arrays are set already.)
      for (int r = 0; slowRows > 0 && r < n; r++) {
        if (slots[r] < 0) {
          arrays[r] = rowPages[r].data();
          if (r < chunkUpTo) {
            chunkUpTo = r;
          }
        }
      }
      float[] biasData = biasPage.data();
      float[] inputs = Model.NO_DENSE;
      float[][] blocks = Model.NO_BLOCKS;
      if (denseInputs >= 0) {
        inputs = dense;
        blocks = cache.dense(pages, modelKey, learner::newDenseBlocks);
      }
      double activation = learner.activation(arrays, offsets, values, n, biasData, biasOffset,
          inputs, blocks);
      if (learn && batch != null) {
        learner.accumulate(batch, ids, FeatureHashing.BIAS_ROW, arrays, offsets, values, n,
            biasData, biasOffset, inputs, blocks, activation, example.label, example.weight);
      } else if (learn) {
        learner.learn(arrays, offsets, values, n, biasData, biasOffset, inputs, blocks,
            activation, example.label, example.weight, modelStep, learningRate);
        if (blocks.length > 0) {
          cache.denseChanged(pages);
        }
      }
      if (learn && stamps > 0) {
        stampRows(pages, book, biasPage, biasData, biasOffset, n, example.eventTime);
      }
      if (pages.form == PageCache.ModelPages.FORM_SMALL || densifyCount > 0
          || grownCount > 0) {
        afterExample(pages, book, modelKey);
      }
      return activation;
    } finally {
      cache.countHits(hitsPending);
      hitsPending = 0;
      densifyCount = 0;
      forgetGrown();
      cache.unpinAll();
    }
  }

  /**
   * Stores the chunks of the fast rows {@code 0..f} into {@link #arrays}: with one arena chunk
   * only the entries at and beyond {@link #chunkUpTo} (the entries below it hold that chunk
   * already), else every one.
   */
  private void storeChunks(int f, boolean oneChunk) {
    if (oneChunk) {
      float[] chunk = cache.chunk(slots[0]);
      if (chunk != chunkHeld) {
        chunkHeld = chunk;
        chunkUpTo = 0;
      }
      for (int r = chunkUpTo; r < f; r++) {
        arrays[r] = chunk;
      }
      if (f > chunkUpTo) {
        chunkUpTo = f;
      }
    } else {
      for (int r = 0; r < f; r++) {
        arrays[r] = cache.chunk(slots[r]);
      }
      chunkUpTo = 0;
    }
  }

  /**
   * The bias row's page, looked up ({@link #pageOf}, pinned, dirty if learned), and held for the
   * next examples of the model ({@link #biasHeld}; its offset in {@link #biasHeldAt}).
   */
  private RowPage findBias(PageCache.ModelPages pages, String modelKey, boolean learn)
      throws Exception {
    RowPage biasPage = pageOf(pages, modelKey, FeatureHashing.BIAS_ROW, learn);
    int at = biasOf(biasPage); // before anything is held: if it throws, nothing stale is kept
    biasModel = pages;
    biasChanges = pages.changes();
    biasHeld = biasPage;
    biasHeldAt = at;
    return biasPage;
  }

  /**
   * Pass 1's general loop, from entry {@code from} (the first row the fast loop did not take)
   * to {@code n}: screens rows by admission, finds or creates each row's page (pinning every
   * page resolved so far before a miss may evict anything), and moves kept entries down. Counts
   * rows in cached direct pages in {@link #hitsPending} and the others in {@link #slowRows}.
   *
   * @return the rows kept
   */
  private int resolveRest(PageCache.ModelPages pages, float[] book, String modelKey, int from,
      int n, int merged, boolean learn, int rowSize, boolean oneChunk) throws Exception {
    int kept = from;
    int pinnedUpTo = 0;
    for (int i = from; i < n; i++) {
      long id = ids[i];
      boolean screened = admission && i < merged;
      int slot = id >= 0 && id < FAST_ROWS ? pages.slot(id >>> PageFormat.DIRECT_SHIFT) : -1;
      if (slot >= 0) {
        float[] chunk = cache.chunk(slot);
        int at = cache.base(slot) + PageFormat.directOffset(id, rowSize);
        if (stamps > 0) {
          int stampAt = cache.base(slot) + PageFormat.directStampOffset(id, rowSize);
          if (screened && chunk[stampAt] == PageFormat.ABSENT
              && !admit(pages, book, id, learn)) {
            continue;
          }
          stampAts[kept] = stampAt;
        }
        cache.mark(slot, learn);
        hitsPending++;
        if (kept != i) {
          ids[kept] = id;
          values[kept] = values[i];
        }
        slots[kept] = slot;
        if (!oneChunk || arrays[kept] != chunk) {
          arrays[kept] = chunk;
          if (kept < chunkUpTo) {
            chunkUpTo = kept;
          }
        }
        offsets[kept] = at;
        kept++;
        continue;
      }
      for (int j = pinnedUpTo; j < kept; j++) {
        if (slots[j] >= 0) {
          cache.pinSlot(slots[j]);
        } else {
          cache.pin(rowPages[j]);
        }
      }
      pinnedUpTo = kept;
      long key = pageKeyOf(pages, modelKey, id);
      if (screened && !live(pages, modelKey, key, id) && !admit(pages, book, id, learn)) {
        continue;
      }
      RowPage page = pageOf(pages, modelKey, id, learn);
      ids[kept] = id;
      values[kept] = values[i];
      slots[kept] = -1;
      rowPages[kept] = page;
      offsets[kept] = rowOf(page, id);
      listIfFull(page, key);
      if (stamps > 0) {
        stampAts[kept] = page.stampAt(id, offsets[kept]);
      }
      kept++;
      pinnedUpTo = kept;
      slowRows++;
    }
    return kept;
  }

  /**
   * Stamps every row of a learned example, the bias included, with its event time
   * ({@link PageFormat#stamp}), counting rows updated for the first time as born.
   */
  private void stampRows(PageCache.ModelPages pages, float[] book, RowPage biasPage,
      float[] biasData, int biasOffset, int n, long eventTime) {
    float stamp = PageFormat.stamp(eventTime);
    int biasStamp = biasPage.stampAt(FeatureHashing.BIAS_ROW, biasOffset);
    int born = biasData[biasStamp] == PageFormat.ABSENT ? 1 : 0;
    biasData[biasStamp] = stamp;
    // Written only when it changes (once an hour at most): a clean line is not written back.
    for (int i = 0; i < n; i++) {
      float[] a = arrays[i];
      int at = stampAts[i];
      float old = a[at];
      if (old != stamp) {
        if (old == PageFormat.ABSENT) {
          born++;
        }
        a[at] = stamp;
      }
    }
    if (born > 0) {
      born(pages, book, born);
    }
  }

  /**
   * After an example: spills a small model that has grown (or weighs its page again), densifies
   * the listed pages, then weighs again the pages in the hashed form that got rows.
   */
  private void afterExample(PageCache.ModelPages pages, float[] book, String modelKey)
      throws Exception {
    if (pages.form == PageCache.ModelPages.FORM_SMALL) {
      RowPage small = pages.get(PageFormat.MODEL_PAGE);
      if (small != null && small.rowCount() >= cache.smallAt()) {
        // Not weighed again first: it leaves the cache now, and its growth would evict pages
        // for nothing (the pages it spills into make their room as they are created).
        spill(pages, modelKey, small);
      } else {
        cache.reweigh(pages); // its weight in the cache follows its rows
      }
    }
    for (int i = 0; i < densifyCount; i++) {
      densify(pages, book, modelKey, densify[i]);
    }
    if (densifyCount > 0) {
      cache.fit(); // a densified page weighs a whole page now: room is made for it
    }
    reweighGrown(pages);
  }

  /**
   * Weighs again the pages listed in {@link #grown} (still pinned: the cache may evict others
   * for them) and empties the list. After densification: a page densified is no longer held,
   * and the cache skips it (its rows' growth must not evict others for a page that weighs a
   * whole page from now on, as the direct page it became).
   */
  private void reweighGrown(PageCache.ModelPages pages) throws Exception {
    for (int i = 0; i < grownCount; i++) {
      RowPage page = grown[i];
      grown[i] = null;
      cache.reweigh(pages, page);
    }
    grownCount = 0;
  }

  /** Empties {@link #grown} without weighing (after an example that threw, or weighed). */
  private void forgetGrown() {
    if (grownCount > 0) {
      java.util.Arrays.fill(grown, 0, grownCount, null);
      grownCount = 0;
    }
  }

  /** Lists a page in the hashed form that a row was just added to (see {@link #grown}). */
  private void noteGrown(RowPage page) {
    if (grownCount > 0 && grown[grownCount - 1] == page) {
      return;
    }
    if (grownCount == grown.length) {
      grown = java.util.Arrays.copyOf(grown, 2 * grownCount);
    }
    grown[grownCount++] = page;
  }

  /**
   * Takes one optimizer step on the batch's mean gradient ({@link BatchGradient}; a deep model's
   * is formed first, from the dense blocks as they are, which still hold the weights its examples
   * were predicted with): every row the
   * batch's examples touched, sparse and bias, is stepped once ({@link ExampleLearner#stepRow}),
   * every dense block's rows once ({@link ExampleLearner#stepDense}); rows no example touched
   * keep their bits. Rows are found through the cache again (their pages may have been evicted
   * and written back since the batch touched them) and their pages marked dirty. The caller
   * clears the batch afterwards. Does nothing for an empty batch.
   *
   * @param modelStep the model's step count, counting the batch's examples
   * @param learningRate the batch's rate, from the schedule
   */
  public void step(String modelKey, BatchGradient batch, long modelStep, double learningRate)
      throws Exception {
    if (batch.examples() == 0) {
      return;
    }
    PageCache.ModelPages pages = cache.pagesOf(modelKey);
    try {
      if (denseInputs >= 0) {
        float[][] blocks = cache.dense(pages, modelKey, learner::newDenseBlocks);
        learner.stepDense(batch, blocks, modelStep, learningRate);
        cache.denseChanged(pages);
      }
      for (int i = 0; i < batch.rows(); i++) {
        long id = batch.rowId(i);
        RowPage page = pageOf(pages, modelKey, id, true);
        learner.stepRow(batch, i, page.data(), rowOf(page, id), modelStep, learningRate);
        reweighGrown(pages);
        cache.unpinAll();
      }
    } finally {
      forgetGrown();
      cache.unpinAll();
    }
  }

  /**
   * Moves a small model's rows, with their stamps, from its page {@link PageFormat#MODEL_PAGE}
   * into the pages they map to ({@link PageFormat#pageKey}; new pages in the hashed form, listed
   * for densification if one reaches {@link PageCache#denseAt()} rows), then drops that page from
   * the cache and the store. Rows are not created: the counts stay.
   */
  private void spill(PageCache.ModelPages pages, String modelKey, RowPage small)
      throws Exception {
    cache.spilled(pages);
    cache.pin(small);
    int rowSize = learner.rowSize();
    float[] from = small.data();
    for (int r = 0; r < small.rowCount(); r++) {
      long id = small.rowId(r);
      long key = PageFormat.pageKey(id, pageBits);
      RowPage page = pageOf(pages, modelKey, id, true);
      int at = page.find(id);
      if (at < 0) {
        at = page.add(id);
        noteGrown(page);
      }
      int src = PageFormat.rowOffset(r, rowSize, stamps);
      float[] data = page.data();
      System.arraycopy(from, src, data, at, rowSize);
      if (stamps > 0) {
        data[page.stampAt(id, at)] = from[src - 1];
      }
      listIfFull(page, key);
    }
    cache.remove(modelKey, PageFormat.MODEL_PAGE);
  }

  /**
   * Lists a direct key's page in the hashed form for densification after the example once it
   * holds {@link PageCache#denseAt()} rows (a page may be listed more than once).
   */
  private void listIfFull(RowPage page, long key) {
    if (!page.isDirect() && page.rowCount() >= cache.denseAt() && PageFormat.isDirect(key)) {
      if (densifyCount == densify.length) {
        densify = java.util.Arrays.copyOf(densify, 2 * densifyCount);
      }
      densify[densifyCount++] = key;
    }
  }

  /** The key of the page row {@code rowId} of the model lives in (see the class comment). */
  private long pageKeyOf(PageCache.ModelPages pages, String modelKey, long rowId)
      throws Exception {
    return cache.small(pages, modelKey) ? PageFormat.MODEL_PAGE
        : PageFormat.pageKey(rowId, pageBits);
  }

  /**
   * Makes a direct key's page in the hashed form a direct page ({@link PageFormat}), once the
   * example that filled it is done (its offsets point into the old page until then): every row
   * initialized, then the old page's rows and stamps copied to their places. The values are the
   * same floats, so training continues bit for bit as if the page had been direct from the start.
   */
  private void densify(PageCache.ModelPages pages, float[] book, String modelKey, long key) {
    RowPage sparse = pages.get(key);
    if (sparse == null || sparse.isDirect()) {
      return; // listed twice in one example
    }
    RowPage dense = cache.densify(pages, modelKey, key);
    dense.takeFresh();
    int rowSize = learner.rowSize();
    long first = PageFormat.firstRow(key);
    float[] data = dense.data();
    for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
      learner.initializeRow(first + r, data, dense.find(first + r));
    }
    float[] old = sparse.data();
    int count = sparse.rowCount();
    for (int r = 0; r < count; r++) {
      long id = sparse.rowId(r);
      int from = PageFormat.rowOffset(r, rowSize, stamps);
      int to = dense.find(id);
      System.arraycopy(old, from, data, to, rowSize);
      if (stamps > 0) {
        data[dense.stampAt(id, to)] = old[from - 1];
      }
    }
    rowsCreated += PageFormat.DIRECT_ROWS - count;
    if (stamps == 0) {
      born(pages, book, PageFormat.DIRECT_ROWS - count);
    }
  }

  private void born(PageCache.ModelPages pages, float[] book, long rows) {
    RowBook.add(book, RowBook.LIVE, rows);
    cache.bookChanged(pages);
    rowsLive += rows;
  }

  /** Whether row {@code id} exists and is live, without creating its page or the row. */
  private boolean live(PageCache.ModelPages pages, String modelKey, long pageKey, long id)
      throws Exception {
    RowPage page = cache.pageIfPresent(pages, modelKey, pageKey);
    if (page == null) {
      return false;
    }
    int at = page.find(id);
    return at >= 0 && isLive(page, id, at);
  }

  /** Counts a sighting of a feature whose row is not live; whether the policy admits it. */
  private boolean admit(PageCache.ModelPages pages, float[] book, long id, boolean learn) {
    if (learn) {
      int count = CountMinSketch.add(book, RowBook.SKETCH, sketchWidth, sketchDepth, id,
          sketchCap);
      if (policy.admits(id, count)) {
        cache.bookChanged(pages);
        return true;
      }
      RowBook.add(book, RowBook.REFUSED, 1);
      cache.bookChanged(pages);
      rowsRefused++;
    }
    return false;
  }

  private RowPage pageOf(PageCache.ModelPages pages, String modelKey, long rowId, boolean learn)
      throws Exception {
    long key = pageKeyOf(pages, modelKey, rowId);
    RowPage page = cache.page(pages, modelKey, key);
    cache.pin(page);
    if (learn) {
      page.markDirty();
    }
    if (page.takeFresh()) {
      // A new direct page: every row exists from now on, initialized as the model documents.
      long first = PageFormat.firstRow(key);
      float[] data = page.data();
      for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
        learner.initializeRow(first + r, data, page.find(first + r));
      }
      rowsCreated += PageFormat.DIRECT_ROWS;
    }
    return page;
  }

  /**
   * The bias row's offset in its page ({@link #rowOf}). In a page in the hashed form the bias is
   * usually the first record (a model's first example resolves it before any feature, and
   * records keep their order), which is checked first: its id is in the cache line of the row
   * itself, where a lookup would first read a line of the page's index, cold for a tenant that
   * has not been seen for a while. Ids are unique in a page, so this is the offset a lookup gives.
   */
  private int biasOf(RowPage page) {
    if (!page.isDirect() && page.rowCount() > 0 && page.rowId(0) == FeatureHashing.BIAS_ROW) {
      return PageFormat.rowOffset(0, learner.rowSize(), stamps);
    }
    return rowOf(page, FeatureHashing.BIAS_ROW);
  }

  private int rowOf(RowPage page, long rowId) {
    int at = page.find(rowId);
    if (at < 0) {
      at = page.add(rowId);
      learner.initializeRow(rowId, page.data(), at);
      rowsCreated++;
      noteGrown(page); // a small model's page too: weighed as small (reweigh skips it here)
    }
    return at;
  }

  /** Rows created (first touched) by this learner since it was made. */
  public long rowsCreated() {
    return rowsCreated;
  }

  /**
   * Live rows of the models in memory ({@link PageCache}: a model evicted with its last page
   * leaves the count, and comes back into it when it is next used).
   */
  public long rowsLive() {
    return rowsLive;
  }

  /** Rows expired by {@link #expire} in this learner's lifetime. */
  public long rowsExpired() {
    return rowsExpired;
  }

  /** Sightings of features left out because their row was not admitted, in this lifetime. */
  public long rowsRefused() {
    return rowsRefused;
  }

  /**
   * The model's live rows, from its {@link RowBook} (saved with the model): rows updated at least
   * once and not expired since, bias and dense rows included.
   */
  public long liveRows(String modelKey) throws Exception {
    return RowBook.live(cache.book(cache.pagesOf(modelKey), modelKey, sketchWidth,
        sketchDepth));
  }

  /**
   * The row of {@code rowId} if its page is cached or stored: {@code (page data, offset)}, or
   * null. Never creates a page or a row (a changelog emission after expiry must not bring an
   * expired page back).
   */
  public RowPage existingPage(String modelKey, long rowId) throws Exception {
    return existingRows(modelKey).page(rowId);
  }

  /**
   * Reads the model's rows where they are now, for one pass over some of them (a changelog
   * emission): see {@link ExistingRows}. Valid until the model changes (its next example, step or
   * sweep); not thread-safe.
   */
  public ExistingRows existingRows(String modelKey) {
    return new ExistingRows(modelKey);
  }

  /**
   * The pages of one model's rows, found without creating a page or a row, and without bringing
   * a model the cache evicted back into it: a model whose bookkeeping is in the cache has its
   * pages looked up there ({@link PageCache#pageIfPresent}: a stored page is loaded into the
   * cache, as any lookup would); the pages of any other model are read from the store and kept
   * here only, the last one read (and a small model's one page) reused for the next row. Until
   * 2026-12-01 a lookup made bookkeeping for an evicted model, so the cache held it, and its
   * session stayed in memory, until the model's next example.
   */
  public final class ExistingRows {
    private final String modelKey;
    /** Whether the store was asked for the model's small page, and what it held. */
    private boolean smallRead;
    private RowPage small;
    private long lastKey = Long.MIN_VALUE;
    private RowPage last;

    private ExistingRows(String modelKey) {
      this.modelKey = modelKey;
    }

    /**
     * The page holding row {@code rowId} if its page is cached or stored (find the row with
     * {@link RowPage#find}), else null.
     */
    public RowPage page(long rowId) throws Exception {
      PageCache.ModelPages pages = cache.pagesIfHeld(modelKey);
      if (pages != null) {
        return cache.pageIfPresent(pages, modelKey, pageKeyOf(pages, modelKey, rowId));
      }
      if (!smallRead) {
        smallRead = true;
        small = cache.smallAt() > 0 ? cache.readStored(modelKey, PageFormat.MODEL_PAGE) : null;
      }
      if (small != null) {
        return small; // a model stored small has no other row page
      }
      long key = PageFormat.pageKey(rowId, pageBits);
      if (key != lastKey) {
        last = cache.readStored(modelKey, key);
        lastKey = key;
      }
      return last;
    }
  }

  /**
   * Whether the row at {@code offset} of {@code page} (from {@link RowPage#find}) is live: updated
   * at least once and not expired since. Without stamps (no {@link RowPolicy}) every row a page
   * holds is live; with them, a row whose stamp is {@link PageFormat#ABSENT} is not (a direct
   * page keeps an expired row's place, holding its initial values).
   *
   * @param offset the row's offset in the page, at least 0 (a found row)
   */
  public boolean isLive(RowPage page, long rowId, int offset) {
    return page.stamps() == 0 || page.data()[page.stampAt(rowId, offset)] != PageFormat.ABSENT;
  }

  /** The model's live, expired and refused rows, from its {@link RowBook}. */
  public RowCounts rowCounts(String modelKey) throws Exception {
    float[] book = cache.bookToRead(modelKey);
    return new RowCounts(RowBook.live(book), RowBook.expired(book), RowBook.refused(book));
  }

  /**
   * Visits every live row of one model (rows with stamp {@link PageFormat#ABSENT} are skipped;
   * without stamps, every row):
   * pages in the cache in place, pages only in the store one at a time, loaded beside the cache
   * (never into it, so the hot pages stay) and stored back when changed or migrated. A page left
   * without live rows is removed from the cache and the store. Call it between examples.
   *
   * @return the live rows after the sweep
   * @throws UnsupportedOperationException if the store cannot list pages
   */
  public long sweep(String modelKey, RowVisitor visitor) throws Exception {
    return sweep(modelKey, visitor, PageFormat.ABSENT);
  }

  /** {@link #sweep}, first stamping undated rows {@code dateUndated} unless it is absent. */
  private long sweep(String modelKey, RowVisitor visitor, float dateUndated) throws Exception {
    long[] cached = cache.cachedKeys(modelKey);
    java.util.Arrays.sort(cached);
    PageCache.ModelPages held = cache.pagesIfHeld(modelKey);
    if (held != null) {
      held.changed(); // rows may move within a page: the bias's place is looked up again
    }
    long live = 0;
    for (long key : cached) {
      RowPage page = cache.cached(modelKey, key);
      int outcome = visitPage(key, page, visitor, dateUndated);
      if (outcome < 0) {
        cache.remove(modelKey, key);
      } else {
        live += outcome;
        cache.reweigh(held, page); // lighter if records were removed
      }
    }
    for (long key : cache.store().pageKeys(modelKey)) {
      if (!PageFormat.isRowPage(key) || java.util.Arrays.binarySearch(cached, key) >= 0) {
        continue;
      }
      float[] stored = cache.store().load(modelKey, key);
      if (stored == null) {
        continue;
      }
      RowPage page = RowPage.load(stored, learner.rowSize(), stamps);
      int outcome = visitPage(key, page, visitor, dateUndated);
      if (outcome < 0) {
        cache.store().remove(modelKey, key);
      } else {
        live += outcome;
        if (page.isDirty() || PageFormat.stamps(stored) != stamps) {
          cache.store().store(modelKey, key, page.toStored());
        }
      }
    }
    PageCache.ModelPages pages = cache.pagesOf(modelKey);
    float[] book = cache.book(pages, modelKey, sketchWidth, sketchDepth);
    long before = pages.bookCounted ? RowBook.live(book) : 0;
    pages.bookCounted = true;
    RowBook.set(book, RowBook.LIVE, live);
    cache.bookChanged(pages);
    rowsLive += live - before;
    return live;
  }

  /**
   * Visits a page's live rows; marks it dirty if any changed. Returns its live rows after the
   * visit, or -1 if it has none left (the caller removes it).
   */
  private int visitPage(long key, RowPage page, RowVisitor visitor, float dateUndated)
      throws Exception {
    int rowSize = learner.rowSize();
    int live = 0;
    boolean changed = false;
    if (page.isDirect()) {
      long first = PageFormat.firstRow(key);
      for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
        long id = first + r;
        int at = page.find(id);
        float[] data = page.data();
        int stampAt = stamps == 0 ? -1 : page.stampAt(id, at);
        float stamp = stamps == 0 ? PageFormat.UNDATED : data[stampAt];
        if (stamp == PageFormat.ABSENT) {
          continue;
        }
        if (stamp == PageFormat.UNDATED && stampAt >= 0 && dateUndated != PageFormat.ABSENT) {
          stamp = dateUndated;
          data[stampAt] = stamp;
          changed = true;
        }
        RowVisitor.Result result = visitor.visit(id, data, at, PageFormat.stampEnd(stamp));
        if (result == RowVisitor.Result.DROP) {
          learner.initializeRow(id, data, at);
          changed = true;
          if (stamps == 0) {
            live++; // without stamps a direct page's rows all exist: reset, still counted
          } else {
            data[stampAt] = PageFormat.ABSENT;
          }
        } else {
          changed |= result == RowVisitor.Result.CHANGED;
          live++;
        }
      }
    } else {
      int count = page.rowCount();
      boolean[] drop = null;
      for (int r = 0; r < count; r++) {
        long id = page.rowId(r);
        int at = PageFormat.rowOffset(r, rowSize, stamps);
        float[] data = page.data();
        float stamp = stamps == 0 ? PageFormat.UNDATED : data[at - 1];
        if (stamp == PageFormat.UNDATED && stamps > 0 && dateUndated != PageFormat.ABSENT) {
          stamp = dateUndated;
          data[at - 1] = stamp;
          changed = true;
        }
        RowVisitor.Result result = stamp == PageFormat.ABSENT ? RowVisitor.Result.DROP
            : visitor.visit(id, data, at, PageFormat.stampEnd(stamp));
        if (result == RowVisitor.Result.DROP) {
          if (drop == null) {
            drop = new boolean[count];
          }
          drop[r] = true;
        } else {
          changed |= result == RowVisitor.Result.CHANGED;
          live++;
        }
      }
      if (drop != null) {
        page.removeRecords(drop);
      }
    }
    if (live == 0) {
      return -1;
    }
    if (changed) {
      page.markDirty();
    }
    return live;
  }

  /**
   * Expires the model's old rows ({@link #expire}) if {@code eventTime} has entered a sweep
   * interval ({@link RowPolicy#suggestedSweepInterval()}: event time divided into intervals of
   * {@code expireAfter / 8}, at least an hour) after the one of the model's last sweep, which its
   * {@link RowBook} keeps with the model's state; so a model sweeps at most once per interval,
   * at the first example of an interval, and a replay sweeps where the first run did. Call it
   * for every example before processing it; without expiry it returns at once.
   *
   * @return the rows expired, 0 if no sweep was due
   */
  public long expireIfDue(String modelKey, long eventTime) throws Exception {
    return expireIfDue(modelKey, eventTime, null);
  }

  /**
   * {@link #expireIfDue(String, long)}, telling {@code expired} (unless null) the id of every row
   * it expires, in sweep order (the model changelog's tombstones).
   */
  public long expireIfDue(String modelKey, long eventTime, java.util.function.LongConsumer expired)
      throws Exception {
    if (!expiryDue(modelKey, eventTime)) {
      return 0;
    }
    PageCache.ModelPages pages = cache.pagesOf(modelKey);
    float[] book = cache.book(pages, modelKey, sketchWidth, sketchDepth);
    long interval = Math.max(0, Math.floorDiv(eventTime, sweepMillis));
    RowBook.set(book, RowBook.SWEPT, interval);
    return expire(modelKey, eventTime, expired);
  }

  /** Whether {@link #expireIfDue} would sweep the model at {@code eventTime}; changes nothing. */
  public boolean expiryDue(String modelKey, long eventTime) throws Exception {
    if (sweepMillis == 0) {
      return false;
    }
    float[] book = cache.book(cache.pagesOf(modelKey), modelKey, sketchWidth, sketchDepth);
    return Math.max(0, Math.floorDiv(eventTime, sweepMillis)) > RowBook.read(book, RowBook.SWEPT);
  }

  /**
   * Expires the model's rows not updated for the policy's {@code expireAfter} before
   * {@code nowMillis} (event time): a row whose stamp's hour ended at or before
   * {@code nowMillis - expireAfter} (so a row expires between {@code expireAfter} and
   * {@code expireAfter} + 1 h after its last update). The bias and dense-feature rows never
   * expire. A row without a date (migrated from page format 1) is dated {@code nowMillis}. With
   * admission control, every count of the sketch is then halved ({@link CountMinSketch#halve}),
   * so a feature must be seen {@code admitAfter} times within about the last few sweeps, and the
   * sketch of an endless stream never fills up. Does nothing without expiry.
   *
   * @return the rows expired
   */
  public long expire(String modelKey, long nowMillis) throws Exception {
    return expire(modelKey, nowMillis, null);
  }

  /**
   * {@link #expire(String, long)}, telling {@code expiredRows} (unless null) the id of every row
   * it expires, in sweep order.
   */
  public long expire(String modelKey, long nowMillis, java.util.function.LongConsumer expiredRows)
      throws Exception {
    if (!policy.expires()) {
      return 0;
    }
    long cutoff = nowMillis - policy.expireAfter().toMillis();
    float today = PageFormat.stamp(nowMillis);
    long[] expired = new long[1];
    sweep(modelKey, (id, data, at, before) -> {
      if (PageFormat.isReservedRow(id)) {
        return RowVisitor.Result.KEEP;
      }
      if (before != Long.MIN_VALUE && before <= cutoff) {
        expired[0]++;
        if (expiredRows != null) {
          expiredRows.accept(id);
        }
        return RowVisitor.Result.DROP;
      }
      return RowVisitor.Result.KEEP;
    }, today);
    PageCache.ModelPages pages = cache.pagesOf(modelKey);
    float[] book = cache.book(pages, modelKey, sketchWidth, sketchDepth);
    RowBook.add(book, RowBook.EXPIRED, expired[0]);
    // Count-based admission forgets old sightings; probabilistic admission draws from the
    // count, which must keep growing so that every sighting gets a draw of its own.
    if (admission && policy.admitAfter() > 1) {
      CountMinSketch.halve(book, RowBook.SKETCH, sketchWidth, sketchDepth);
    }
    cache.bookChanged(pages);
    rowsExpired += expired[0];
    return expired[0];
  }

  private void ensureCapacity(int n) {
    if (ids.length < n) {
      int size = Math.max(n, 2 * ids.length);
      ids = new long[size];
      values = new float[size];
      rowPages = new RowPage[size];
      arrays = new float[size][];
      offsets = new int[size];
      stampAts = new int[size];
      slots = new int[size];
      chunkUpTo = 0;
    }
  }
}
