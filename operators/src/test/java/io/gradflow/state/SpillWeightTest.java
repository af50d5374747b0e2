package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import io.gradflow.schema.FeatureHashing;
import org.junit.jupiter.api.Test;

/**
 * A small model's page that reaches {@link PageFormat#SMALL_AT} rows in an example is spilled
 * without being weighed again first: its growth in that example must not evict other models'
 * pages, since the page leaves the cache a moment later (until 2026-12-01 it was weighed, and
 * the cache evicted for it, before the spill).
 *
 * <p>A cache of 4 pages holds a model of 2 rows and small tenants up to where the page the model
 * spills into (one page: its rows are the bias and dense rows, one reserved page) still fits;
 * then one example takes the model to 256 rows, a page that would weigh more than the room left.
 */
class SpillWeightTest {
  private static final int CAPACITY = 4;

  private static CompactExample example(String model, int step, long... ids) {
    float[] values = new float[ids.length];
    java.util.Arrays.fill(values, 1f);
    return new CompactExample(model + step, model, step, ids, values, SmallModelsTest.NO_DENSE,
        step % 2, 1f);
  }

  @Test
  void aSpillingPageIsNotWeighedAgainSoItsGrowthEvictsNothing() throws Exception {
    SmallModelsTest.Rig rig = new SmallModelsTest.Rig(SmallModelsTest.LINEAR, new MapPageStore(),
        CAPACITY, RowPolicy.NONE, PageFormat.SMALL_AT);
    PageCache cache = rig.cache;
    long room = (long) CAPACITY * PageCache.UNITS;
    rig.process(example("big", 0, FeatureHashing.denseRow(0)));
    int before = cache.cached("big", PageFormat.MODEL_PAGE).units;
    // The weight its page would have at 256 rows, grown as the model's grows.
    int rowSize = rig.learner.learner().rowSize();
    RowPage grown = new RowPage(rowSize, 0, PageCache.SMALL_FIRST_ROWS);
    for (int r = 0; r < PageFormat.SMALL_AT; r++) {
      grown.add(r == 0 ? FeatureHashing.BIAS_ROW : FeatureHashing.denseRow(r - 1));
    }
    long directFloats = PageFormat.directPageFloats(rowSize, 0);
    long after = PageCache.MODEL_UNITS
        + ((long) grown.floats() * PageCache.UNITS + directFloats - 1) / directFloats;
    int tenants = 0;
    while (true) {
      rig.process(example("t" + tenants, 0, FeatureHashing.entityRow("user", "u" + tenants)));
      int weight = cache.cached("t" + tenants, PageFormat.MODEL_PAGE).units;
      tenants++;
      if (cache.units() + weight + PageCache.UNITS > room) {
        break;
      }
    }
    assertEquals(0, cache.evictions());
    assertTrue(cache.units() + PageCache.UNITS <= room, "the spilled rows' page fits");
    assertTrue(cache.units() - before + after > room, "the grown page would not fit: "
        + cache.units() + " - " + before + " + " + after + " units, room " + room);
    long[] ids = new long[PageFormat.SMALL_AT - 2];
    for (int j = 0; j < ids.length; j++) {
      ids[j] = FeatureHashing.denseRow(j + 1);
    }
    rig.process(example("big", 1, ids));
    assertNull(cache.cached("big", PageFormat.MODEL_PAGE), "spilled");
    assertEquals(0, cache.evictions(), "evictions for the spilling page");
    for (int t = 0; t < tenants; t++) {
      assertNotNull(cache.cached("t" + t, PageFormat.MODEL_PAGE), "tenant " + t + " still held");
    }
    assertTrue(cache.units() <= room, cache.units() + " units in " + room);
  }
}
