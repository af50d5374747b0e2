package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.model.CompactExample;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link PagedLearner}'s chunk references ({@code chunkUpTo}) over an arena of small chunks (a
 * cache of few pages: its pages and their slack, then chunks of up to 64 pages), so that wide examples pin more direct pages than one
 * chunk holds and a second chunk appears mid-example, after the example's fast rows; slow rows
 * (pages in the hashed form) share entries with fast rows from one example to the next; models
 * take turns, scored-only examples and flushes are mixed in. Every prediction must equal, bit for
 * bit, {@link HeldBiasTest.Reference}'s (each row its own array). Dropping pass 2's lowering of
 * {@code chunkUpTo} fails it (an out-of-bounds offset into a page's array).
 */
class ArenaChunksTest {
  @ParameterizedTest(name = "capacity {0}, stamped {1}, denseAt {2}")
  @CsvSource({"1, false, 1", "1, true, 1", "1, false, 64", "3, false, 1", "40, false, 1"})
  void predictionsEqualRowsKeptApart(int capacity, boolean stamped, int denseAt)
      throws Exception {
    MapPageStore store = new MapPageStore();
    ExampleLearner core = new ExampleLearner(HeldBiasTest.LINEAR);
    PageCache cache = new PageCache(store, capacity, core.rowSize(), 2, stamped, denseAt, 0);
    PagedLearner paged = new PagedLearner(core, cache, 6);
    HeldBiasTest.Reference reference = new HeldBiasTest.Reference();
    Map<String, Long> steps = new HashMap<>();
    SplittableRandom random = new SplittableRandom(capacity * 7L + denseAt + (stamped ? 1 : 0));
    String model = "m0";
    long home = 6L * PageFormat.DIRECT_ROWS;
    int maxChunks = 1;
    for (int e = 0; e < 4_000; e++) {
      if (random.nextInt(10) == 0) {
        model = "m" + random.nextInt(3);
      }
      boolean wide = e > 400 && random.nextInt(25) == 0;
      int homeFeatures = 5 + random.nextInt(30);
      int far = wide ? 150 + random.nextInt(250) : random.nextInt(4) == 0 ? random.nextInt(3) : 0;
      long[] ids = new long[homeFeatures + far];
      float[] values = new float[ids.length];
      for (int f = 0; f < homeFeatures; f++) {
        ids[f] = random.nextLong(home);
      }
      for (int f = 0; f < far; f++) {
        long page = 10 + random.nextInt(3_000);
        ids[homeFeatures + f] = page * PageFormat.DIRECT_ROWS
            + random.nextInt(PageFormat.DIRECT_ROWS);
      }
      for (int f = 0; f < ids.length; f++) {
        values[f] = (float) random.nextGaussian();
      }
      CompactExample example = new CompactExample("e" + e, model, e, ids, values, new float[0],
          random.nextBoolean() ? 1f : 0f, 1f);
      boolean learn = random.nextInt(6) != 0;
      long step = learn ? steps.merge(model, 1L, Long::sum) : steps.getOrDefault(model, 0L);
      double expected = reference.process(example, new float[0], learn, step);
      double actual = paged.process(model, example, new float[0], learn, step, 0.1);
      assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
          "example " + e + " of model " + model + " (wide " + wide + ")");
      if (random.nextInt(100) == 0) {
        cache.flush();
      }
      maxChunks = Math.max(maxChunks, cache.oneChunk() ? 1 : 2);
    }
    if (denseAt == 1 && capacity < 10) {
      assertTrue(maxChunks > 1, "the arena never had a second chunk");
    }
  }
}
