package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.model.CompactExample;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rows found on {@link PagedLearner}'s fast path (a cached direct page, by arena slot) are written
 * back like any other: a page made clean by a flush (a checkpoint) and then learned only through
 * the fast path must be dirtied again, or its eviction drops the updates and the page read back
 * is stale. The examples densify a few pages, a flush cleans them, examples learn them from the
 * cache only, examples over other pages evict them, and examples read them back; every
 * prediction must equal, bit for bit, {@link HeldBiasTest.Reference}'s (each row its own array).
 */
class FastRowsTest {
  @ParameterizedTest(name = "cache of {0} pages")
  @ValueSource(ints = {6, 12})
  void rowsLearnedOnlyFromTheCacheAfterAFlushSurviveEviction(int capacity) throws Exception {
    MapPageStore store = new MapPageStore();
    ExampleLearner core = new ExampleLearner(HeldBiasTest.LINEAR);
    PageCache cache = new PageCache(store, capacity, core.rowSize(), 2, false,
        PageFormat.DENSE_AT, 0);
    PagedLearner paged = new PagedLearner(core, cache, 6);
    HeldBiasTest.Reference reference = new HeldBiasTest.Reference();
    SplittableRandom random = new SplittableRandom(capacity);
    long[] step = {0};
    long home = 4L * PageFormat.DIRECT_ROWS; // four direct pages from id 0
    long away = 64L * PageFormat.DIRECT_ROWS; // far more pages than the cache holds
    long hitsBefore = 0;
    for (int phase = 0; phase < 4; phase++) {
      if (phase == 1) {
        cache.flush(); // the home pages are clean now
        hitsBefore = cache.hits();
      }
      boolean atHome = phase != 2;
      for (int e = 0; e < (phase == 0 ? 600 : 300); e++) {
        int features = 20 + random.nextInt(20);
        long[] ids = new long[features];
        float[] values = new float[features];
        for (int f = 0; f < features; f++) {
          ids[f] = atHome ? random.nextLong(home) : home + random.nextLong(away);
          values[f] = (float) random.nextGaussian();
        }
        CompactExample example = new CompactExample("e" + phase + "." + e, "m", e, ids, values,
            new float[0], random.nextBoolean() ? 1f : 0f, 1f);
        long s = ++step[0];
        double expected = reference.process(example, new float[0], true, s);
        double actual = paged.process("m", example, new float[0], true, s, 0.1);
        assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
            "phase " + phase + ", example " + e);
      }
      if (phase == 1) {
        // Phase 1 ran on the fast path: every row of every example was a cache hit.
        assertTrue(cache.hits() - hitsBefore >= 300L * 20, "fast-path hits " + (cache.hits()
            - hitsBefore));
      }
    }
    assertTrue(cache.evictions() > 0, "the away phase must evict the home pages");
  }
}
