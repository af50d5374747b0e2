package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.learn.ReferenceLearner;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.state.PageFormat;
import io.gradflow.state.RowPolicy;
import io.gradflow.learn.SyntheticClicks;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.FeatureHashing;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

/**
 * A savepoint of the release whose pages are format 1 ({@code pages.v1} holding
 * {@code PageFormat} version 1 pages) restores into the current trainer: the committed fixture
 * {@code trainer-pages-v1.snapshot} was written by {@link #writeFixture} with that release's code
 * (commit "Fixture: a TrainerOperator snapshot of page format 1"), as Flink's own migration tests
 * write theirs with {@link OperatorSnapshotUtil}.
 *
 * <p>To rewrite it (only ever with the code of the release it stands for):
 * {@code -Dgradflow.writePagesV1Fixture=operators/src/test/resources/io/gradflow/flink/trainer-pages-v1.snapshot}.
 *
 * <p>Also: expiry through the trainer's keyed state (pages listed and removed in the
 * {@code MapState}).
 */
class PagesV1MigrationTest {
  static final String FIXTURE = "trainer-pages-v1.snapshot";
  static final int LEARNED = 600;

  /** Hashed features and, every third example, an entity row (a hashed page). */
  static List<CompactExample> examples() {
    List<CompactExample> out = new ArrayList<>();
    for (CompactExample e : SyntheticClicks.generate(11, 1_000, 6, 4_000, "a", "b")) {
      int i = Integer.parseInt(e.exampleId.substring(1));
      long[] ids = e.rowIds;
      float[] values = e.values;
      if (i % 3 == 0) {
        ids = Arrays.copyOf(ids, ids.length + 1);
        values = Arrays.copyOf(values, values.length + 1);
        ids[ids.length - 1] = FeatureHashing.entityRow("user", "u" + (i % 40));
        values[values.length - 1] = 1f;
      }
      out.add(new CompactExample(e.exampleId, e.modelKey, e.eventTime, ids, values, e.dense,
          e.label, e.weight));
    }
    return out;
  }

  @Test
  void writeFixture() throws Exception {
    String target = System.getProperty("gradflow.writePagesV1Fixture");
    if (target == null) {
      return;
    }
    try (var h = TrainerOperatorTest.harness(TrainerOperatorTest.LOGISTIC_ADAGRAD, 3)) {
      h.open();
      TrainerOperatorTest.run(h, examples().subList(0, LEARNED));
      h.prepareSnapshotPreBarrier(1);
      OperatorSubtaskState snapshot = h.snapshot(1, 1);
      OperatorSnapshotUtil.writeStateHandle(snapshot, new File(target).getAbsolutePath());
    }
  }

  /**
   * The restored weights are the release's (the next predictions equal the bare-loop reference's
   * after the same examples, bit for bit) and learning goes on from them: with no {@code rows}
   * policy (pages stay in format 1), and with expiry on (pages convert to format 2 as they are
   * read; the signature accepts the migration).
   */
  @Test
  void aFormatOneSnapshotRestoresWithTheSameWeightsAndLearningContinues() throws Exception {
    List<CompactExample> examples = examples();
    ReferenceLearner reference = new ReferenceLearner(TrainerOperatorTest.LOGISTIC_ADAGRAD);
    List<Double> expected = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      double p = reference.process(examples.get(i));
      if (i >= LEARNED) {
        expected.add(p);
      }
    }
    OperatorSubtaskState snapshot = OperatorSnapshotUtil.readStateHandle(
        new File(getClass().getResource(FIXTURE).toURI()).getAbsolutePath());
    for (RowPolicy rows : List.of(RowPolicy.NONE,
        new RowPolicy(Duration.ofDays(7), 1, 1.0, RowPolicy.DEFAULT_SKETCH_WIDTH))) {
      TrainerOperator operator = new TrainerOperator(
          Map.of("", TrainerOperatorTest.LOGISTIC_ADAGRAD),
          new TrainerSettings(4, 6, 1000, 0, MetricsSpec.DEFAULT, rows),
          FeatureHashing.DEFAULT_BITS);
      try (var h = new KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored>(
          operator, e -> e.modelKey, Types.STRING)) {
        h.initializeState(snapshot);
        h.open();
        List<Double> got =
            TrainerOperatorTest.run(h, examples.subList(LEARNED, examples.size()));
        assertEquals(expected, got, "rows " + rows);
        h.snapshot(2, 2);
        operator.setCurrentKey("a");
        for (Map.Entry<Long, float[]> page : operator.pagesOfCurrentKey()) {
          if (PageFormat.isRowPage(page.getKey())) {
            assertEquals(rows.stamped() ? 1 : 0, PageFormat.stamps(page.getValue()),
                "page " + page.getKey() + " after a checkpoint, rows " + rows);
          }
        }
      }
    }
  }

  /**
   * Expiry through the trainer's keyed state: the model's session sweeps when an example comes
   * a sweep interval later; the sweep lists the model's pages in the {@code MapState} and
   * removes the expired rows, with a cache too small to hold them. A model this small keeps its
   * rows in one page ({@link PageFormat#MODEL_PAGE}), whose expired records go; BoundedRowsTest
   * covers pages left empty.
   */
  @Test
  void expiryRemovesEmptiedPagesFromKeyedState() throws Exception {
    long hour = 3_600_000L;
    TrainerOperator operator = new TrainerOperator(
        Map.of("", TrainerOperatorTest.LOGISTIC_ADAGRAD),
        new TrainerSettings(1, 6, 1000, 0, MetricsSpec.DEFAULT,
            new RowPolicy(Duration.ofHours(2), 1, 1.0, RowPolicy.DEFAULT_SKETCH_WIDTH)),
        FeatureHashing.DEFAULT_BITS);
    try (var h = new KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored>(
        operator, e -> e.modelKey, Types.STRING)) {
      h.open();
      long entity = FeatureHashing.entityRow("user", "u1");
      TrainerOperatorTest.run(h, List.of(
          new CompactExample("1", "a", 0, new long[] {1, entity}, new float[] {1, 1},
              new float[0], 1f, 1f),
          new CompactExample("2", "a", 10 * hour, new long[] {5 * 512}, new float[] {1},
              new float[0], 0f, 1f),
          new CompactExample("3", "b", 0, new long[] {1}, new float[] {1}, new float[0], 0f,
              1f)));
      var learner = operator.pagedLearner("");
      // The session swept when example 2 came, 10 h later: 1 and the entity expired before it.
      assertEquals(2, learner.liveRows("a"), "bias and 5 * 512 live; 1 and the entity expired");
      assertEquals(0, learner.expire("a", 10 * hour), "nothing more to expire");
      h.snapshot(1, 1);
      operator.setCurrentKey("a");
      java.util.Set<Long> keys = new java.util.TreeSet<>();
      java.util.Set<Long> rowIds = new java.util.TreeSet<>();
      for (var e : operator.pagesOfCurrentKey()) {
        keys.add(e.getKey());
        if (e.getKey() == PageFormat.MODEL_PAGE) {
          io.gradflow.state.RowPage page = io.gradflow.state.RowPage.load(e.getValue(),
              new io.gradflow.learn.ExampleLearner(TrainerOperatorTest.LOGISTIC_ADAGRAD)
                  .rowSize());
          for (int r = 0; r < page.rowCount(); r++) {
            rowIds.add(page.rowId(r));
          }
        }
      }
      assertEquals(java.util.Set.of(PageFormat.MODEL_PAGE, PageFormat.BOOK_PAGE), keys);
      assertEquals(java.util.Set.of(5L * 512, FeatureHashing.BIAS_ROW), rowIds,
          "the records of 1 and the entity are gone");
      operator.setCurrentKey("b");
      int pagesOfB = 0;
      for (var e : operator.pagesOfCurrentKey()) {
        pagesOfB++;
      }
      assertEquals(2, pagesOfB, "another model's page and book are untouched");
      assertEquals(2, learner.rowsExpired());
      assertEquals(2 + 2, learner.rowsLive(), "bias and 5 * 512 of a, bias and 1 of b");
    }
  }
}
