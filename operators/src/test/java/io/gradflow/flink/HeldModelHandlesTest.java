package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.state.RowPolicy;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.storage.JobManagerCheckpointStorage;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The trainer keeps each tenant's handle to its model's pages ({@code PageCache.select}); a handle
 * must be let go when the cache evicts the model. With a changelog, a session whose changed rows
 * wait to be emitted cannot be evicted with its pages, so tenants come back to the cache after
 * their pages left it: the case where a stale handle would be used. 40 tenants through caches of
 * 1 and 2 pages, a snapshot every 7 examples, with and without a restore after each, predict
 * exactly what one large cache without snapshots predicts. (Using a handle after its model was
 * evicted fails here, in {@code PageCache.makeRoom}; {@code ModelHandleTest} covers the cache
 * alone.)
 */
class HeldModelHandlesTest {
  private static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      int cachePages, long changelogEvery) throws Exception {
    TrainerOperator operator = new TrainerOperator(Map.of("", ManyKeysBench.SPEC),
        new TrainerSettings(cachePages, 12, 50, changelogEvery, MetricsSpec.DEFAULT,
            RowPolicy.NONE),
        FeatureHashing.DEFAULT_BITS);
    var h = new KeyedOneInputStreamOperatorTestHarness<>(operator,
        (CompactExample e) -> e.modelKey, Types.STRING);
    h.setCheckpointStorage(new JobManagerCheckpointStorage(Integer.MAX_VALUE));
    return h;
  }

  /** Scores of {@code all}, snapshotting every {@code chunk} examples and restoring if asked. */
  private static double[] scores(List<CompactExample> all, int cachePages, long changelogEvery,
      int chunk, boolean restore) throws Exception {
    double[] out = new double[all.size()];
    var h = harness(cachePages, changelogEvery);
    h.open();
    long id = 1;
    for (int from = 0; from < all.size(); from += chunk) {
      List<CompactExample> part = all.subList(from, Math.min(all.size(), from + chunk));
      System.arraycopy(ManyKeysBench.run(h, part), 0, out, from, part.size());
      h.prepareSnapshotPreBarrier(id);
      OperatorSubtaskState snapshot = h.snapshot(id, id);
      id++;
      if (restore) {
        h.close();
        h = harness(cachePages, changelogEvery);
        h.initializeState(snapshot);
        h.open();
      }
    }
    h.close();
    return out;
  }

  @Test
  void tenantsBackAfterTheirPagesWereEvictedPredictAsInALargeCache() throws Exception {
    List<CompactExample> all = ManyKeysBench.examples(40, 3000, 23);
    for (long every : new long[] {1, 37}) {
      double[] expected = scores(all, 4096, every, all.size(), false);
      for (int pages : new int[] {1, 2}) {
        String at = "changelog every " + every + ", " + pages + " cache pages";
        assertArrayEquals(expected, scores(all, pages, every, 7, false), at);
        assertArrayEquals(expected, scores(all, pages, every, 7, true), at + ", restored");
      }
    }
  }
}
