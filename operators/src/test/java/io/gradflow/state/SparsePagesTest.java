package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.schema.FeatureHashing;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Pages proportional to the learned rows ({@link PageFormat}, "Sparse direct keys"): a sparse
 * model's stored pages within a small factor of its rows' bytes, the same floats as the layout
 * where every direct key's page is direct from the start (bit for bit, with and without stamps,
 * through evictions and reloads), and stores written in that old layout restoring, continuing
 * bit for bit and shrinking.
 */
class SparsePagesTest {
  static final int PAGE_BITS = 6;
  static final float[] NO_DENSE = new float[0];

  static LearnerSpec spec(ModelSpec model) {
    return new LearnerSpec(model, Loss.LOGISTIC, AdaGradSpec.of(0.1), GradientSpec.NONE,
        new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false);
  }

  static final LearnerSpec FM = spec(new FactorizationMachineSpec(4, 0.01, 7));
  static final LearnerSpec LINEAR = spec(new LinearSpec());

  /** A learner over a store with a cache of the given capacity and densification threshold. */
  static final class Rig {
    final MapPageStore store;
    final PagedLearner learner;
    final PageCache cache;
    long step;

    Rig(LearnerSpec spec, MapPageStore store, int capacity, boolean stamped, int denseAt) {
      this.store = store;
      ExampleLearner core = new ExampleLearner(spec);
      this.cache = new PageCache(store, capacity, core.rowSize(), 16, stamped, denseAt);
      this.learner = new PagedLearner(core, cache, PAGE_BITS);
    }

    double process(CompactExample e) throws Exception {
      step++;
      return learner.process(e.modelKey, e, NO_DENSE, true, step, 0.1);
    }

    /** A row as the store holds it after a flush, or a new row if it holds none. */
    float[] row(long id) throws Exception {
      cache.flush();
      int rowSize = learner.learner().rowSize();
      float[] row = new float[rowSize];
      float[] stored = store.load("m", PageFormat.pageKey(id, PAGE_BITS));
      RowPage page = stored == null ? null : RowPage.load(stored, rowSize);
      int at = page == null ? -1 : page.find(id);
      if (at < 0) {
        learner.learner().initializeRow(id, row, 0);
      } else {
        System.arraycopy(page.data(), at, row, 0, rowSize);
      }
      return row;
    }
  }

  /** Bytes of the stored pages: the floats, an 8-byte key and a 4-byte length each. */
  static long storedBytes(MapPageStore store) {
    return store.pages.values().stream().mapToLong(p -> 4L * p.length + 12).sum();
  }

  /**
   * Examples of 3 features each: from {@code ids} distinct hashed ids spread over
   * {@code [0, 2^hashBits)}, and with {@code denseShare} of them from a dense range [0, 3000)
   * (whose pages fill up and turn direct), plus an entity row.
   */
  static CompactExample[] stream(int n, int ids, int hashBits, double denseShare, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] vocabulary = new long[ids];
    for (int i = 0; i < ids; i++) {
      vocabulary[i] = random.nextLong(1L << hashBits);
    }
    CompactExample[] out = new CompactExample[n];
    for (int i = 0; i < n; i++) {
      long[] rows = new long[3];
      for (int j = 0; j < 3; j++) {
        rows[j] = random.nextDouble() < denseShare ? random.nextInt(3000)
            : vocabulary[random.nextInt(ids)];
      }
      if (i % 5 == 0) {
        rows = java.util.Arrays.copyOf(rows, 4);
        rows[3] = FeatureHashing.entityRow("user", "u" + random.nextInt(50));
      }
      float[] values = {1f, 1f, 1f, 1f};
      out[i] = new CompactExample("e" + i, "m", i, rows,
          java.util.Arrays.copyOf(values, rows.length), NO_DENSE, random.nextInt(2), 1f);
    }
    return out;
  }

  static Set<Long> ids(CompactExample[] examples) {
    Set<Long> ids = new LinkedHashSet<>();
    for (CompactExample e : examples) {
      for (long id : e.rowIds) {
        ids.add(id);
      }
    }
    ids.add(FeatureHashing.BIAS_ROW);
    return ids;
  }

  @Test
  void aSparseModelsStoredPagesAreWithinTwiceItsRowsBytes() throws Exception {
    // The ratings case: about 4,100 ids on a 2^24 hash space, a factorization machine.
    CompactExample[] examples = stream(30_000, 4_100, 24, 0, 11);
    Rig rig = new Rig(FM, new MapPageStore(), 1 << 16, false, PageFormat.DENSE_AT);
    Rig old = new Rig(FM, new MapPageStore(), 1 << 16, false, 1);
    for (CompactExample e : examples) {
      rig.process(e);
      old.process(e);
    }
    rig.cache.flush();
    old.cache.flush();
    int rowSize = rig.learner.learner().rowSize();
    long rowsBytes = 4L * rowSize * ids(examples).size();
    long bytes = storedBytes(rig.store);
    assertTrue(bytes <= 2 * rowsBytes, bytes + " stored bytes for " + rowsBytes + " of rows");
    System.out.printf("sparse model: %,d bytes of rows, stored in %,d bytes (all-direct layout:"
        + " %,d)%n", rowsBytes, bytes, storedBytes(old.store));
    // What the fix is measured against: a 512-row page per id.
    assertTrue(storedBytes(old.store) > 100 * rowsBytes, storedBytes(old.store) + " bytes");
  }

  @Test
  void theSignatureNamesTheLayoutSoAnOlderReleaseRefusesItAndOldSavepointsRestore() {
    var signature = io.gradflow.learn.ModelSignature.of(java.util.Map.of("", LINEAR), 22, 12, 1,
        java.util.List.of("pages.v1"));
    assertEquals("hashed form below " + PageFormat.DENSE_AT + " rows",
        signature.parts().get("direct keys"));
    var older = new java.util.LinkedHashMap<>(signature.parts());
    older.remove("direct keys");
    var olderSignature = new io.gradflow.learn.ModelSignature(older);
    assertEquals(null, signature.refusal(olderSignature), "a savepoint of before restores");
    assertTrue(olderSignature.refusal(signature).contains("direct keys"), "not the other way");
  }

  @Test
  void theSameFloatsAsDirectPagesFromTheStartThroughEvictionsWithAndWithoutStamps()
      throws Exception {
    CompactExample[] examples = stream(20_000, 3_000, 20, 0.6, 3);
    for (LearnerSpec spec : new LearnerSpec[] {FM, LINEAR}) {
      for (boolean stamped : new boolean[] {false, true}) {
        for (int capacity : new int[] {4, 1 << 14}) {
          Rig rig = new Rig(spec, new MapPageStore(), capacity, stamped, PageFormat.DENSE_AT);
          Rig direct = new Rig(spec, new MapPageStore(), 1 << 14, stamped, 1);
          for (CompactExample e : examples) {
            assertEquals(Double.doubleToLongBits(direct.process(e)),
                Double.doubleToLongBits(rig.process(e)), e.exampleId);
          }
          for (long id : ids(examples)) {
            assertArrayEquals(direct.row(id), rig.row(id), "row " + id);
          }
          long directPages = rig.store.pages.values().stream()
              .filter(PageFormat::isDirectPage).count();
          assertTrue(directPages > 0 && directPages < 10, directPages + " direct pages: the"
              + " dense range's, and only them");
        }
      }
    }
  }

  @Test
  void pagesStoredAllDirectRestoreContinueBitForBitAndShrink() throws Exception {
    CompactExample[] examples = stream(16_000, 3_000, 22, 0.3, 5);
    int half = examples.length / 2;
    for (int[] formats : new int[][] {{0, 0}, {1, 1}, {0, 1}}) {
      for (LearnerSpec spec : new LearnerSpec[] {FM, LINEAR}) {
        Rig before = new Rig(spec, new MapPageStore(), 1 << 14, formats[0] == 1, 1);
        for (int i = 0; i < half; i++) {
          before.process(examples[i]);
        }
        before.cache.flush();
        Map<String, float[]> saved = new HashMap<>(before.store.pages);
        long savedBytes = storedBytes(before.store);
        MapPageStore copy = new MapPageStore();
        saved.forEach((k, v) -> copy.pages.put(k, v.clone()));
        Rig reference = new Rig(spec, before.store, 1 << 14, formats[1] == 1, 1);
        Rig restored = new Rig(spec, copy, 64, formats[1] == 1, PageFormat.DENSE_AT);
        reference.step = restored.step = before.step;
        for (int i = half; i < examples.length; i++) {
          assertEquals(Double.doubleToLongBits(reference.process(examples[i])),
              Double.doubleToLongBits(restored.process(examples[i])), examples[i].exampleId);
        }
        for (long id : ids(examples)) {
          assertArrayEquals(reference.row(id), restored.row(id), "row " + id);
        }
        restored.cache.flush();
        assertTrue(storedBytes(copy) * 10 < savedBytes, storedBytes(copy) + " bytes after,"
            + " " + savedBytes + " before");
      }
    }
  }
}
