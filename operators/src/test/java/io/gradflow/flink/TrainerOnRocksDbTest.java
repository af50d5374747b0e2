package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ReferenceLearner;
import io.gradflow.learn.SyntheticClicks;
import io.gradflow.model.CompactExample;
import io.gradflow.state.PageFormat;
import io.gradflow.state.RowPage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The trainer in Flink's operator test harness on RocksDB (the other harness tests run on the
 * heap): three models' pages go through {@link PageSerializer} into RocksDB at every flush before
 * a snapshot. A snapshot holds every row of every model equal to the bare loop's, and an operator
 * restored from it, full or incremental, after a second snapshot over the first, continues bit
 * for bit as the loop does.
 */
class TrainerOnRocksDbTest {
  private static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      boolean incremental) throws Exception {
    var h = TrainerOperatorTest.harness(TrainerOperatorTest.LOGISTIC_ADAGRAD, 100_000);
    h.setStateBackend(new EmbeddedRocksDBStateBackend(incremental));
    return h;
  }

  @Test
  void aRestoredOperatorContinuesExactlyAfterTwoSnapshots() throws Exception {
    List<CompactExample> examples =
        SyntheticClicks.generate(7, 6_000, 12, 50_000, "a", "b", "c");
    ReferenceLearner reference = new ReferenceLearner(TrainerOperatorTest.LOGISTIC_ADAGRAD);
    List<Double> expected = new ArrayList<>();
    for (CompactExample e : examples) {
      expected.add(reference.process(e));
    }
    for (boolean incremental : new boolean[] {false, true}) {
      List<Double> got = new ArrayList<>();
      OperatorSubtaskState snapshot;
      try (var h = harness(incremental)) {
        h.open();
        got.addAll(TrainerOperatorTest.run(h, examples.subList(0, 2_000)));
        h.snapshot(1, 1); // a first flush: every page dirty
        got.addAll(TrainerOperatorTest.run(h, examples.subList(2_000, 4_000)));
        snapshot = h.snapshot(2, 2); // a second: the pages changed since, over the first's
        TrainerOperatorTest.run(h, examples.subList(4_000, 4_500)); // not in the snapshot
      }
      try (var h = harness(incremental)) {
        h.initializeState(snapshot);
        h.open();
        got.addAll(TrainerOperatorTest.run(h, examples.subList(4_000, 6_000)));
      }
      assertEquals(expected, got, incremental ? "incremental" : "full");
    }
  }

  @Test
  void theSnapshotHoldsEveryRowOfEveryModel() throws Exception {
    List<CompactExample> examples =
        SyntheticClicks.generate(8, 3_000, 12, 50_000, "a", "b", "c");
    ReferenceLearner reference = new ReferenceLearner(TrainerOperatorTest.LOGISTIC_ADAGRAD);
    examples.forEach(reference::process);
    try (var h = harness(true)) {
      h.open();
      TrainerOperatorTest.run(h, examples);
      h.snapshot(1, 1);
      TrainerOperator operator = (TrainerOperator) h.getOperator();
      int rowSize = 1 + 1 + 2;
      for (String key : List.of("a", "b", "c")) {
        operator.setCurrentKey(key);
        int rows = 0;
        for (Map.Entry<Long, float[]> page : operator.pagesOfCurrentKey()) {
          if (!PageFormat.isRowPage(page.getKey())) {
            continue; // the model's row book
          }
          RowPage loaded = RowPage.load(page.getValue(), rowSize);
          assertTrue(PageFormat.isDirect(page.getKey()));
          long first = PageFormat.firstRow(page.getKey());
          // A direct page holds all its ids; one in the hashed form the rows touched.
          int held = loaded.isDirect() ? PageFormat.DIRECT_ROWS : loaded.rowCount();
          for (int r = 0; r < held; r++) {
            long id = loaded.isDirect() ? first + r : loaded.rowId(r);
            float[] want = reference.row(key, id);
            if (want == null) {
              continue; // a row no example touched: still initial
            }
            float[] have = new float[want.length];
            System.arraycopy(loaded.data(), loaded.find(id), have, 0, want.length);
            assertArrayEquals(want, have, key + ", row " + id);
            rows++;
          }
        }
        assertTrue(rows > 1_000, key + ": " + rows + " rows");
        assertEquals(reference.rows(key).size(), rows, key);
      }
    }
  }
}
