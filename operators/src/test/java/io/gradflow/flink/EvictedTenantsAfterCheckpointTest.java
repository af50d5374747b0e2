package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.state.PageCache;
import io.gradflow.state.RowPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * A tenant the page cache evicted while its changed rows waited for the changelog stays in memory
 * only until the next checkpoint: the emission before the barrier reads its rows from keyed state
 * without bringing the model back into the cache ({@code PagedLearner.ExistingRows}), so the
 * checkpoint drops its session. (Until 2026-12-01 the emission made the model's bookkeeping
 * again, so the cache said it held the model, and the session and that bookkeeping stayed until
 * the tenant's next example.) What is emitted, and every later prediction, is what a cache
 * holding every tenant gives.
 */
class EvictedTenantsAfterCheckpointTest {
  private static final long NEVER = 1_000_000; // changelog: emitted before checkpoints only

  private static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      TrainerOperator operator) throws Exception {
    return new KeyedOneInputStreamOperatorTestHarness<>(operator,
        (CompactExample e) -> e.modelKey, Types.STRING);
  }

  private static TrainerOperator operator(int cachePages) {
    return new TrainerOperator(Map.of("", ManyKeysBench.SPEC),
        new TrainerSettings(cachePages, 12, 50, NEVER, MetricsSpec.DEFAULT, RowPolicy.NONE),
        FeatureHashing.DEFAULT_BITS);
  }

  private static List<String> changelog(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h) {
    List<String> out = new ArrayList<>();
    for (var r : h.getSideOutput(TrainerOperator.CHANGELOG)) {
      RowChange c = r.getValue();
      out.add(c.modelKey + " " + c.rowId + " " + java.util.Arrays.toString(c.weights) + " "
          + c.rowStep + " " + c.modelStep);
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  @Test
  void evictedTenantsLeaveMemoryAtTheCheckpointAndEmitAsInALargeCache() throws Exception {
    List<CompactExample> all = ManyKeysBench.examples(60, 3000, 41);
    List<CompactExample> first = all.subList(0, 2000);
    List<CompactExample> rest = all.subList(2000, all.size());
    double[] expected;
    List<String> expectedChanges;
    try (var h = harness(operator(4096))) {
      h.open();
      ManyKeysBench.run(h, first);
      h.prepareSnapshotPreBarrier(1);
      h.snapshot(1, 1);
      expectedChanges = changelog(h);
      expected = ManyKeysBench.run(h, rest);
    }
    TrainerOperator small = operator(2);
    try (var h = harness(small)) {
      h.open();
      ManyKeysBench.run(h, first);
      PageCache cache = small.pagedLearner("").cache();
      assertTrue(small.sessionsInMemory() > cache.models() + 20,
          "evicted tenants wait with rows to emit: " + small.sessionsInMemory() + " sessions, "
              + cache.models() + " models cached");
      h.prepareSnapshotPreBarrier(1);
      h.snapshot(1, 1);
      List<String> changes = changelog(h);
      assertEquals(expectedChanges.size(), changes.size(), "rows emitted before the barrier");
      for (int i = 0; i < changes.size(); i++) {
        assertEquals(expectedChanges.get(i), changes.get(i), "row change " + i);
      }
      assertTrue(cache.models() <= cache.size(),
          "every model the cache keeps has a page in it: " + cache.models() + " models, "
              + cache.size() + " pages");
      assertTrue(small.sessionsInMemory() <= cache.models(),
          "sessions after the checkpoint: " + small.sessionsInMemory() + ", models cached: "
              + cache.models());
      assertArrayEquals(expected, ManyKeysBench.run(h, rest), "predictions after the checkpoint");
    }
  }
}
