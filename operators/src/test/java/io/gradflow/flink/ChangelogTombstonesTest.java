package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.state.PagedLearner;
import io.gradflow.state.RowPolicy;
import io.gradflow.state.RowVisitor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The changelog tells of expired rows ({@code rows.expire_after}): a row that expires is emitted
 * as a removal (the topic's tombstone) at the next changelog emission, or before the next
 * checkpoint, once; a consumer that applies the emitted records in order (a record puts the row,
 * a removal drops it) ends with exactly the trainer's live rows and their weights, also across a
 * checkpoint and restore; an expired row learned again comes back as a changed row.
 *
 * <p>Model "m", {@code expire_after: 1h}, {@code changelog.every: 77}: rows A and B learned in
 * hour 0, then only B (and C) for two hours, so A expires at the sweep at 2 h (example 401, not a
 * multiple of 77); a checkpoint at example 410 must carry the removals out before its barrier.
 * Then two rows of A are learned again. A and B each hold rows of one direct page (128
 * consecutive ids of a 512-id block, where an expired row keeps its place with its initial
 * values) and hashed entity rows (whose records go).
 */
class ChangelogTombstonesTest {
  private static final long HOUR = 3_600_000L;
  private static final long BLOCK = 10L << 9; // the first id of a direct page's 512
  private static final long EVERY = 77;

  private static final List<Long> A = new ArrayList<>();
  private static final List<Long> B = new ArrayList<>();
  private static final List<Long> C = new ArrayList<>();

  static {
    for (int k = 0; k < 64; k++) {
      A.add(BLOCK + k);
      B.add(BLOCK + 64 + k);
    }
    for (int k = 0; k < 20; k++) {
      A.add(FeatureHashing.entityRow("user", "a" + k));
      B.add(FeatureHashing.entityRow("user", "b" + k));
      C.add(FeatureHashing.entityRow("item", "c" + k));
    }
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      long changelogEvery) throws Exception {
    TrainerOperator operator = new TrainerOperator(Map.of("", TrainerOperatorTest.LOGISTIC_ADAGRAD),
        new TrainerSettings(64, 6, 1000, changelogEvery, MetricsSpec.DEFAULT,
            new RowPolicy(Duration.ofHours(1), 1, 1.0, RowPolicy.DEFAULT_SKETCH_WIDTH)),
        FeatureHashing.DEFAULT_BITS);
    return new KeyedOneInputStreamOperatorTestHarness<>(operator, e -> e.modelKey, Types.STRING);
  }

  private static CompactExample example(int n, long time, List<Long> ids) {
    long[] rows = new long[ids.size()];
    float[] values = new float[ids.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = ids.get(i);
      values[i] = 1f;
    }
    return new CompactExample("e" + n, "m", time, rows, values, new float[0],
        (n * 7 % 3 == 0) ? 1f : 0f, 1f);
  }

  /** Four ids of {@code pool} for the {@code n}-th example, so every id comes up in turn. */
  private static List<Long> pick(List<Long> pool, int n) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      out.add(pool.get((4 * n + i) % pool.size()));
    }
    return out;
  }

  /**
   * Hour 0: 200 examples of A and B; hours 1 to 3: 400 of B and C (A expires at 2 h, example
   * 401); then 100 in hour 3 of B and two rows of A learned again.
   */
  static List<CompactExample> stream() {
    List<CompactExample> out = new ArrayList<>();
    List<Long> ab = new ArrayList<>(A);
    ab.addAll(B);
    for (int j = 0; j < 200; j++) {
      out.add(example(out.size(), j * (HOUR / 200) / 2, pick(ab, j)));
    }
    List<Long> bc = new ArrayList<>(B);
    bc.addAll(C);
    for (int j = 0; j < 400; j++) {
      out.add(example(out.size(), HOUR + j * (2 * HOUR / 400), pick(bc, j)));
    }
    for (int j = 0; j < 100; j++) {
      List<Long> ids = pick(B, j);
      if (j >= 50) {
        ids.add(A.get(3)); // a direct page's row
        ids.add(A.get(70)); // an entity row
      }
      out.add(example(out.size(), 3 * HOUR + j * 1000, ids));
    }
    return out;
  }

  @Test
  void expiredRowsAreRemovedOnceAndTheChangelogEndsWithTheLiveRows() throws Exception {
    List<CompactExample> all = stream();
    assertEquals(2 * HOUR, all.get(400).eventTime, "the sweep that expires A is at example 401");
    int cut = 410;
    List<RowChange> before;
    List<RowChange> after;
    List<Double> scores;
    Map<Long, List<Float>> live;
    OperatorSubtaskState snapshot;
    try (var h = harness(EVERY)) {
      h.open();
      scores = new ArrayList<>(TrainerOperatorTest.run(h, all.subList(0, cut)));
      h.prepareSnapshotPreBarrier(1);
      snapshot = h.snapshot(1, 1);
      before = changes(h);
    }
    try (var h = harness(EVERY)) {
      h.initializeState(snapshot);
      h.open();
      scores.addAll(TrainerOperatorTest.run(h, all.subList(cut, all.size())));
      h.endInput();
      after = changes(h);
      live = liveRows(((TrainerOperator) h.getOperator()).pagedLearner(""), "m");
    }

    // Removals: exactly the rows of A, each once, all before the checkpoint's barrier.
    List<Long> removedBefore = removals(before);
    assertEquals(new TreeSet<>(A), new TreeSet<>(removedBefore), "rows removed before the"
        + " checkpoint");
    assertEquals(A.size(), removedBefore.size(), "each expired row is removed once");
    assertEquals(List.of(), removals(after), "nothing expires after the restore");
    // The removals went out at the checkpoint (example 410), not at an emission (385, 462).
    int firstRemoval = 0;
    while (!before.get(firstRemoval).removed()) {
      firstRemoval++;
    }
    assertEquals(cut, before.get(firstRemoval).modelStep, "emitted before the barrier");

    // A consumer applying the records in order ends with the live rows, weights included.
    Map<Long, List<Float>> applied = new HashMap<>();
    List<RowChange> every = new ArrayList<>(before);
    every.addAll(after);
    for (RowChange c : every) {
      assertEquals("m", c.modelKey);
      if (c.removed()) {
        applied.remove(c.rowId);
      } else {
        applied.put(c.rowId, floats(c.weights));
      }
    }
    assertTrue(live.keySet().containsAll(B) && live.keySet().containsAll(C), "B and C live");
    assertTrue(live.containsKey(A.get(3)) && live.containsKey(A.get(70)), "learned again");
    assertFalse(live.containsKey(A.get(4)), "A stays expired");
    assertEquals(live, applied, "the changelog applied, against the trainer's live rows");
    // The rows learned again came back as changed rows after their removal.
    for (long id : List.of(A.get(3), A.get(70))) {
      RowChange last = null;
      for (RowChange c : after) {
        if (c.rowId == id) {
          last = c;
        }
      }
      assertNotNull(last, "row " + id + " emitted again");
      assertFalse(last.removed());
    }

    // Tombstones change nothing that is learned: the same predictions without a changelog.
    try (var h = harness(0)) {
      h.open();
      assertEquals(scores, TrainerOperatorTest.run(h, all), "predictions bit for bit");
    }
  }

  /**
   * An id that never became a row writes nothing: features admission refuses (seen fewer than
   * {@code admit_after} times; on a direct page or as entities) get no tombstone at every
   * emission, and the admitted rows are written with their weights.
   */
  @Test
  void idsAdmissionRefusedWriteNoTombstone() throws Exception {
    TrainerOperator operator = new TrainerOperator(Map.of("", TrainerOperatorTest.LOGISTIC_ADAGRAD),
        new TrainerSettings(64, 6, 1000, 1, MetricsSpec.DEFAULT,
            new RowPolicy(Duration.ofHours(1), 3, 1.0, RowPolicy.DEFAULT_SKETCH_WIDTH)),
        FeatureHashing.DEFAULT_BITS);
    List<CompactExample> all = new ArrayList<>();
    for (int n = 0; n < 40; n++) {
      // A and B's first rows come up at every example (admitted at the third); the others once.
      all.add(example(n, n * 1000L, List.of(A.get(0), B.get(64), A.get(1 + n % 60),
          C.get(n % 20) + n)));
    }
    List<RowChange> out;
    try (var h = new KeyedOneInputStreamOperatorTestHarness<>(operator,
        (CompactExample e) -> e.modelKey, Types.STRING)) {
      h.open();
      TrainerOperatorTest.run(h, all);
      h.endInput();
      out = changes(h);
    }
    assertEquals(List.of(), removals(out), "no tombstone for an id that never was a row");
    Set<Long> written = new HashSet<>();
    for (RowChange c : out) {
      written.add(c.rowId);
    }
    assertTrue(written.contains(A.get(0)) && written.contains(B.get(64)), "admitted rows written");
    assertFalse(written.contains(C.get(5) + 5), "a feature seen once is not a row");
  }

  private static List<RowChange> changes(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h) {
    List<RowChange> out = new ArrayList<>();
    for (var record : h.getSideOutput(TrainerOperator.CHANGELOG)) {
      out.add(record.getValue());
    }
    return out;
  }

  private static List<Long> removals(List<RowChange> changes) {
    List<Long> out = new ArrayList<>();
    for (RowChange c : changes) {
      if (c.removed()) {
        out.add(c.rowId);
      }
    }
    return out;
  }

  /** The model's live rows and their weights, visited in keyed state and the cache. */
  private static Map<Long, List<Float>> liveRows(PagedLearner learner, String key)
      throws Exception {
    Map<Long, List<Float>> out = new HashMap<>();
    Set<Long> seen = new HashSet<>();
    int width = learner.learner().layout().width();
    learner.sweep(key, (rowId, data, offset, lastUpdateBefore) -> {
      assertTrue(seen.add(rowId), "row " + rowId + " visited once");
      float[] weights = new float[width];
      learner.learner().layout().copyWeights(data, offset, weights, 0);
      out.put(rowId, floats(weights));
      return RowVisitor.Result.KEEP;
    });
    return out;
  }

  private static List<Float> floats(float[] values) {
    List<Float> out = new ArrayList<>();
    for (float v : values) {
      out.add(v);
    }
    return out;
  }
}
