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
    assertEquals("one page below " + PageFormat.SMALL_AT + " rows",
        signature.parts().get("small models"));
    var older = new java.util.LinkedHashMap<>(signature.parts());
    older.remove("small models");
    var olderSignature = new io.gradflow.learn.ModelSignature(older);
    assertNull(signature.refusal(olderSignature), "a savepoint of before restores");
    assertTrue(olderSignature.refusal(signature).contains("small models"), "not the other way");
  }

  @Test
  void smallAtIsValidated() {
    for (int[] bad : new int[][] {{1, PageFormat.DENSE_AT}, {PageFormat.DENSE_AT + 1,
        PageFormat.DENSE_AT}, {PageFormat.SMALL_AT, 1}, {-1, PageFormat.DENSE_AT}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new PageCache(new MapPageStore(), 8, 4, 2, false, bad[1], bad[0]));
      assertTrue(e.getMessage().startsWith("smallAt must be 0 or in [2, 64] with denseAt > 1"),
          e.getMessage());
    }
  }
}
