package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.FeatureHashing;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Small models ({@link PageFormat}, "Small models"): a model with fewer than
 * {@link PageFormat#SMALL_AT} rows keeps them in one page, {@link PageFormat#MODEL_PAGE}. The
 * reference is the same learner with every model in pages ({@code smallAt} 0): the same
 * predictions bit for bit, the same rows (weights, slots, step counts and stamps) and row counts,
 * through evictions, spills (including one that makes a direct page), expiry sweeps and admission;
 * a small model stored as its page and its book only; and a model stored in pages (by a release
 * before small models) stays in pages and continues bit for bit.
 */
class SmallModelsTest {
  static final int PAGE_BITS = 6;
  static final float[] NO_DENSE = new float[0];
  static final LearnerSpec FM = SparsePagesTest.FM;
  static final LearnerSpec LINEAR = SparsePagesTest.LINEAR;
  static final long HOUR = 3_600_000L;

  /** A learner over many models in one store and cache. */
  static final class Rig {
    final MapPageStore store;
    final PagedLearner learner;
    final PageCache cache;
    final Map<String, Long> steps = new HashMap<>();

    Rig(LearnerSpec spec, MapPageStore store, int capacity, RowPolicy policy, int smallAt) {
      this.store = store;
      ExampleLearner core = new ExampleLearner(spec);
      this.cache = new PageCache(store, capacity, core.rowSize(), 2, policy.stamped(),
          PageFormat.DENSE_AT, smallAt);
      this.learner = new PagedLearner(core, cache, PAGE_BITS, policy);
    }

    /** As a model session does: expire when due, then predict and learn. */
    double process(CompactExample e) throws Exception {
      learner.expireIfDue(e.modelKey, e.eventTime);
      long step = steps.merge(e.modelKey, 1L, Long::sum);
      return learner.process(e.modelKey, e, NO_DENSE, true, step, 0.1);
    }

    /**
     * A row of a model as the store holds it after a flush (whichever page holds it), then its
     * stamp ({@link PageFormat#ABSENT} without stamps); a new row if the store holds none.
     */
    float[] row(String model, long id) throws Exception {
      int rowSize = learner.learner().rowSize();
      float[] row = new float[rowSize + 1];
      for (long key : new long[] {PageFormat.MODEL_PAGE, PageFormat.pageKey(id, PAGE_BITS)}) {
        float[] stored = store.load(model, key);
        RowPage page = stored == null ? null : RowPage.load(stored, rowSize);
        int at = page == null ? -1 : page.find(id);
        if (at >= 0) {
          System.arraycopy(page.data(), at, row, 0, rowSize);
          row[rowSize] = page.stamps() == 0 ? PageFormat.ABSENT
              : page.data()[page.stampAt(id, at)];
          return row;
        }
      }
      learner.learner().initializeRow(id, row, 0);
      return row;
    }

    Set<Long> keys(String model) {
      Set<Long> keys = new TreeSet<>();
      for (long key : store.pageKeys(model)) {
        keys.add(key);
      }
      return keys;
    }
  }

  /**
   * Examples over {@code models} keys, the first few frequent (they outgrow a small page; model
   * "k0"'s first examples fill a dense range, so its spill makes a direct page) and most rare;
   * 3 hashed features, an entity row in every 5th; event time an hour per 500 examples.
   */
  static CompactExample[] stream(int n, int models, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    CompactExample[] out = new CompactExample[n];
    int dense = 0;
    for (int i = 0; i < n; i++) {
      int model = (int) (models * Math.pow(random.nextDouble(), 3));
      long[] rows = new long[3];
      for (int j = 0; j < 3; j++) {
        rows[j] = model == 0 && dense < 70 ? dense++ : random.nextLong(1L << 20);
      }
      if (i % 5 == 0) {
        rows = Arrays.copyOf(rows, 4);
        rows[3] = FeatureHashing.entityRow("user", "u" + random.nextInt(50));
      }
      float[] values = new float[rows.length];
      Arrays.fill(values, 1f);
      out[i] = new CompactExample("e" + i, "k" + model, i * HOUR / 500, rows, values, NO_DENSE,
          random.nextInt(2), 1f);
    }
    return out;
  }

  static Map<String, Set<Long>> idsByModel(CompactExample[] examples) {
    Map<String, Set<Long>> ids = new HashMap<>();
    for (CompactExample e : examples) {
      Set<Long> of = ids.computeIfAbsent(e.modelKey, k -> new LinkedHashSet<>());
      of.add(FeatureHashing.BIAS_ROW);
      for (long id : e.rowIds) {
        of.add(id);
      }
    }
    return ids;
  }

  @Test
  void theSameFloatsAndCountsAsPagesThroughEvictionsSpillsExpiryAndAdmission()
      throws Exception {
    CompactExample[] examples = stream(6_000, 300, 3);
    Map<String, Set<Long>> ids = idsByModel(examples);
    List<RowPolicy> policies = List.of(RowPolicy.NONE,
        new RowPolicy(Duration.ofHours(2), 1, 1.0, RowPolicy.DEFAULT_SKETCH_WIDTH),
        new RowPolicy(Duration.ofHours(4), 2, 1.0, 64));
    for (LearnerSpec spec : new LearnerSpec[] {LINEAR, FM}) {
      for (RowPolicy policy : policies) {
        for (int capacity : new int[] {8, 1 << 14}) {
          String name = spec.model() + ", " + policy + ", capacity " + capacity;
          Rig small = new Rig(spec, new MapPageStore(), capacity, policy, PageFormat.SMALL_AT);
          Rig paged = new Rig(spec, new MapPageStore(), 1 << 14, policy, 0);
          for (CompactExample e : examples) {
            assertEquals(Double.doubleToLongBits(paged.process(e)),
                Double.doubleToLongBits(small.process(e)), name + ": " + e.exampleId);
          }
          small.cache.flush();
          paged.cache.flush();
          int smallModels = 0;
          int spilled = 0;
          for (Map.Entry<String, Set<Long>> model : ids.entrySet()) {
            String key = model.getKey();
            for (long id : model.getValue()) {
              assertArrayEquals(paged.row(key, id), small.row(key, id),
                  name + ": model " + key + ", row " + id);
            }
            assertEquals(paged.learner.rowCounts(key), small.learner.rowCounts(key),
                name + ": model " + key);
            if (small.keys(key).contains(PageFormat.MODEL_PAGE)) {
              smallModels++;
              assertEquals(Set.of(PageFormat.MODEL_PAGE, PageFormat.BOOK_PAGE), small.keys(key),
                  name + ": a small model is its page and its book");
            } else if (small.keys(key).stream().anyMatch(PageFormat::isRowPage)) {
              spilled++;
            }
          }
          assertTrue(smallModels > 100 && spilled >= 1, name + ": " + smallModels
              + " small models, " + spilled + " spilled");
          // (With expiry, the dense range's rows expire, and its page goes back to the hashed
          // form.)
          assertTrue(policy.expires()
              || small.store.pages.values().stream().anyMatch(PageFormat::isDirectPage),
              name + ": a spill made a direct page");
          assertEquals(paged.learner.rowsExpired(), small.learner.rowsExpired(), name);
          assertEquals(paged.learner.rowsRefused(), small.learner.rowsRefused(), name);
        }
      }
    }
  }

  @Test
  void aModelStoredInPagesStaysInPagesAndContinuesBitForBit() throws Exception {
    CompactExample[] examples = stream(4_000, 200, 5);
    int half = examples.length / 2;
    Set<String> before = new TreeSet<>();
    for (int i = 0; i < half; i++) {
      before.add(examples[i].modelKey);
    }
    for (LearnerSpec spec : new LearnerSpec[] {LINEAR, FM}) {
      Rig old = new Rig(spec, new MapPageStore(), 1 << 14, RowPolicy.NONE, 0);
      for (int i = 0; i < half; i++) {
        old.process(examples[i]);
      }
      old.cache.flush();
      MapPageStore copy = new MapPageStore();
      old.store.pages.forEach((k, v) -> copy.pages.put(k, v.clone()));
      Rig restored = new Rig(spec, copy, 16, RowPolicy.NONE, PageFormat.SMALL_AT);
      restored.steps.putAll(old.steps);
      for (int i = half; i < examples.length; i++) {
        CompactExample e = examples[i];
        assertEquals(Double.doubleToLongBits(old.process(e)),
            Double.doubleToLongBits(restored.process(e)), spec.model() + ": " + e.exampleId);
      }
      restored.cache.flush();
      int newSmall = 0;
      for (String key : idsByModel(examples).keySet()) {
        boolean small = restored.keys(key).contains(PageFormat.MODEL_PAGE);
        if (before.contains(key)) {
          assertTrue(!small, "model " + key + " was stored in pages: it stays in pages");
        } else {
          newSmall += small ? 1 : 0;
        }
      }
      assertTrue(newSmall > 0, "models new since the restore are small");
    }
  }

  /**
   * State written with the threshold of before 2026-12-01 ({@link PageFormat#DENSE_AT}, 64 rows:
   * small pages below it, models spilled at it) restored into today's ({@link PageFormat#SMALL_AT})
   * continues bit for bit: spilled models stay in pages, small ones keep growing in their page
   * past 64 rows; and the other way, today's larger small pages restored into the old threshold
   * spill at their next example and continue bit for bit. The reference runs without a restore.
   */
  @Test
  void stateOfEitherThresholdContinuesBitForBitInTheOther() throws Exception {
    CompactExample[] examples = stream(6_000, 120, 7);
    int half = examples.length / 2;
    for (LearnerSpec spec : new LearnerSpec[] {LINEAR, FM}) {
      for (int[] thresholds : new int[][] {{PageFormat.DENSE_AT, PageFormat.SMALL_AT},
          {PageFormat.SMALL_AT, PageFormat.DENSE_AT}}) {
        String name = spec.model() + ", " + thresholds[0] + " then " + thresholds[1];
        Rig reference = new Rig(spec, new MapPageStore(), 1 << 14, RowPolicy.NONE, 0);
        Rig before = new Rig(spec, new MapPageStore(), 32, RowPolicy.NONE, thresholds[0]);
        for (int i = 0; i < half; i++) {
          assertEquals(Double.doubleToLongBits(reference.process(examples[i])),
              Double.doubleToLongBits(before.process(examples[i])), name + ": " + i);
        }
        before.cache.flush();
        MapPageStore copy = new MapPageStore();
        before.store.pages.forEach((k, v) -> copy.pages.put(k, v.clone()));
        Set<String> spilledBefore = new TreeSet<>();
        int largeBefore = 0;
        for (String key : idsByModel(examples).keySet()) {
          float[] small = copy.load(key, PageFormat.MODEL_PAGE);
          if (small == null && copy.load(key, PageFormat.BOOK_PAGE) != null) {
            spilledBefore.add(key);
          } else if (small != null && PageFormat.rowCount(small) > PageFormat.DENSE_AT) {
            largeBefore++;
          }
        }
        assertTrue(!spilledBefore.isEmpty(), name + ": some models were spilled");
        Rig after = new Rig(spec, copy, 32, RowPolicy.NONE, thresholds[1]);
        after.steps.putAll(before.steps);
        for (int i = half; i < examples.length; i++) {
          assertEquals(Double.doubleToLongBits(reference.process(examples[i])),
              Double.doubleToLongBits(after.process(examples[i])), name + ": " + i);
        }
        after.cache.flush();
        reference.cache.flush();
        int grown = 0;
        for (Map.Entry<String, Set<Long>> model : idsByModel(examples).entrySet()) {
          String key = model.getKey();
          for (long id : model.getValue()) {
            assertArrayEquals(reference.row(key, id), after.row(key, id),
                name + ": model " + key + ", row " + id);
          }
          float[] small = copy.load(key, PageFormat.MODEL_PAGE);
          if (spilledBefore.contains(key)) {
            assertNull(small, name + ": model " + key + " was stored in pages: it stays so");
          } else if (small != null && PageFormat.rowCount(small) > PageFormat.DENSE_AT) {
            grown++;
          }
        }
        if (thresholds[1] > thresholds[0]) {
          assertTrue(grown > 0, name + ": small models grew past " + PageFormat.DENSE_AT);
        } else {
          assertTrue(largeBefore > 0 && grown == 0, name + ": " + largeBefore
              + " small models larger than the old threshold, spilled when next used");
        }
      }
    }
  }

  /**
   * A small page weighs its memory in the cache, as it grows (a break that leaves a page its
   * first weight fails here), and the cache stays bounded: models that fit while new grow, in
   * turns, to about 95 rows each (one page each, many more of them than the cache has pages)
   * without a miss among them, and the cache evicts as they grow, never past its capacity by more
   * than the pages one example pins.
   */
  @Test
  void aSmallPageWeighsItsMemoryAsItGrowsAndTheCacheStaysBounded() throws Exception {
    int capacity = 64;
    int models = 200;
    Rig rig = new Rig(LINEAR, new MapPageStore(), capacity, RowPolicy.NONE, PageFormat.SMALL_AT);
    int rowSize = rig.learner.learner().rowSize();
    long directFloats = PageFormat.directPageFloats(rowSize, 0);
    SplittableRandom random = new SplittableRandom(1);
    long maxUnits = 0;
    int step = 0;
    for (int round = 0; round < 47; round++) { // the bias and 2 rows a round: 95 rows
      for (int model = 0; model < models; model++) {
        String key = "t" + model;
        long[] ids = {random.nextLong(1L << 22), random.nextLong(1L << 22)};
        rig.process(new CompactExample("e" + step, key, step++, ids, new float[] {1, 1},
            NO_DENSE, random.nextInt(2), 1f));
        RowPage page = rig.cache.cached(key, PageFormat.MODEL_PAGE);
        assertNotNull(page, key + " is one page");
        assertEquals(PageCache.MODEL_UNITS + (page.floats() * PageCache.UNITS + directFloats - 1)
            / directFloats, page.units, key + ": weighs its memory at " + page.rowCount()
            + " rows");
        maxUnits = Math.max(maxUnits, rig.cache.units());
      }
      if (round == 0) {
        assertEquals(models, rig.cache.models(), "new models fit");
      }
    }
    assertEquals(95, rig.cache.cached("t" + (models - 1), PageFormat.MODEL_PAGE).rowCount());
    assertTrue(maxUnits <= (long) capacity * PageCache.UNITS + PageCache.UNITS, maxUnits
        + " units in a cache of " + capacity + " pages");
    assertTrue(rig.cache.models() > capacity, rig.cache.models() + " models of 95 rows in "
        + capacity + " pages");
    assertTrue(rig.cache.models() < 2 * capacity, rig.cache.models()
        + " models: a page of 95 rows weighs more than half a page");
  }

  @Test
  void aSmallModelsPageIsOneEntryThatASpillRemoves() throws Exception {
    Rig rig = new Rig(LINEAR, new MapPageStore(), 1 << 10, RowPolicy.NONE, 5);
    long[] ids = {7, 1L << 19, FeatureHashing.entityRow("user", "u")};
    rig.process(new CompactExample("1", "m", 0, ids, new float[] {1, 1, 1}, NO_DENSE, 1f, 1f));
    rig.cache.flush();
    assertEquals(Set.of(PageFormat.MODEL_PAGE, PageFormat.BOOK_PAGE), rig.keys("m"));
    float[] stored = rig.store.load("m", PageFormat.MODEL_PAGE);
    assertEquals(4, PageFormat.rowCount(stored), "the bias and 3 rows");
    // A fifth row reaches smallAt: the rows go to their pages.
    rig.process(new CompactExample("2", "m", 1, new long[] {8}, new float[] {1}, NO_DENSE, 0f,
        1f));
    rig.cache.flush();
    assertNull(rig.store.load("m", PageFormat.MODEL_PAGE));
    for (long id : new long[] {7, 8, 1L << 19, ids[2], FeatureHashing.BIAS_ROW}) {
      assertNotNull(rig.store.load("m", PageFormat.pageKey(id, PAGE_BITS)), "row " + id);
    }
  }

  @Test
  void theSignatureNamesSmallModelsSoAnOlderReleaseRefusesThemAndOldSavepointsRestore() {
    var signature = io.gradflow.learn.ModelSignature.of(Map.of("", LINEAR), 22, 12, 1,
        List.of("pages.v1"));
    // The part names the threshold (PageFormat.SMALL_AT); state of the earlier 64-row threshold
    // continues under it (stateOfEitherThresholdContinuesBitForBitInTheOther), so the signature
    // lets it restore, and names the part when a release of the earlier threshold is given this.
    assertEquals("one page below " + PageFormat.SMALL_AT + " rows",
        signature.parts().get("small models"));
    var before = new java.util.LinkedHashMap<>(signature.parts());
    before.put("small models", "one page below 64 rows");
    var beforeSignature = new io.gradflow.learn.ModelSignature(before);
    assertNull(signature.refusal(beforeSignature), "a savepoint of the 64-row threshold restores");
    assertTrue(beforeSignature.refusal(signature).contains("small models one page below "
        + PageFormat.SMALL_AT + " rows"), "a release of the 64-row threshold names the part");
    var older = new java.util.LinkedHashMap<>(signature.parts());
    older.remove("small models");
    var olderSignature = new io.gradflow.learn.ModelSignature(older);
    assertNull(signature.refusal(olderSignature), "a savepoint of before restores");
    assertTrue(olderSignature.refusal(signature).contains("small models"), "not the other way");
  }

  @Test
  void smallAtIsValidated() {
    for (int[] bad : new int[][] {{1, PageFormat.DENSE_AT}, {PageFormat.SMALL_AT + 1,
        PageFormat.DENSE_AT}, {PageFormat.SMALL_AT, 1}, {-1, PageFormat.DENSE_AT}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new PageCache(new MapPageStore(), 8, 4, 2, false, bad[1], bad[0]));
      assertTrue(e.getMessage().startsWith("smallAt must be 0 or in [2, 256] with denseAt > 1"),
          e.getMessage());
    }
  }
}
