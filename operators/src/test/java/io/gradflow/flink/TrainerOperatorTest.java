package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.LearnerSpec;
import io.gradflow.learn.ReferenceLearner;
import io.gradflow.learn.SyntheticClicks;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.state.PageFormat;
import io.gradflow.state.RowPage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The trainer operator in Flink's operator test harness (heap state backend): rows in keyed
 * pages, the write-back cache flushed before the snapshot, restore, key isolation, and equality
 * with the bare-loop reference.
 */
class TrainerOperatorTest {
  static final LearnerSpec LOGISTIC_ADAGRAD = new LearnerSpec(new LinearSpec(), Loss.LOGISTIC,
      AdaGradSpec.of(0.1), GradientSpec.NONE, new ScheduleSpec.Constant(),
      ScheduleClock.MODEL_STEP, false);
  static final LearnerSpec FM_ADAM = new LearnerSpec(FactorizationMachineSpec.of(4), Loss.LOGISTIC,
      AdamSpec.of(0.01), GradientSpec.NONE,
      new ScheduleSpec.CosineWarmRestarts(500, 2, 0.001), ScheduleClock.MODEL_STEP, false);

  static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      LearnerSpec spec, int cachePages) throws Exception {
    TrainerOperator operator = new TrainerOperator(Map.of("", spec),
        new TrainerSettings(cachePages, 6, 1000, 0, io.gradflow.metrics.MetricsSpec.DEFAULT));
    return new KeyedOneInputStreamOperatorTestHarness<>(operator, e -> e.modelKey, Types.STRING);
  }

  static List<Double> run(KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h,
      List<CompactExample> examples) throws Exception {
    int before = h.extractOutputValues().size();
    for (CompactExample e : examples) {
      h.processElement(e, e.eventTime);
    }
    List<Scored> out = h.extractOutputValues();
    List<Double> scores = new ArrayList<>();
    for (Scored s : out.subList(before, out.size())) {
      scores.add(s.score);
    }
    return scores;
  }

  private static List<Double> reference(LearnerSpec spec, List<CompactExample> examples) {
    ReferenceLearner reference = new ReferenceLearner(spec);
    List<Double> scores = new ArrayList<>();
    for (CompactExample e : examples) {
      scores.add(reference.process(e));
    }
    return scores;
  }

  @Test
  void predictionsEqualTheBareLoopBitForBitWithATinyAndAHugeCache() throws Exception {
    for (LearnerSpec spec : List.of(LOGISTIC_ADAGRAD, FM_ADAM)) {
      List<CompactExample> examples = SyntheticClicks.generate(1, 3_000, 12, 5_000, "a", "b");
      List<Double> expected = reference(spec, examples);
      for (int cachePages : new int[] {1, 7, 100_000}) {
        try (var h = harness(spec, cachePages)) {
          h.open();
          assertEquals(expected, run(h, examples), spec.model() + ", cache " + cachePages);
        }
      }
    }
  }

  @Test
  void snapshotFlushesTheCacheAndARestoredOperatorContinuesExactly() throws Exception {
    List<CompactExample> examples = SyntheticClicks.generate(2, 4_000, 10, 3_000, "a", "b", "c");
    List<Double> expected = reference(FM_ADAM, examples);
    OperatorSubtaskState snapshot;
    List<Double> got = new ArrayList<>();
    try (var h = harness(FM_ADAM, 3)) {
      h.open();
      got.addAll(run(h, examples.subList(0, 2_500)));
      h.prepareSnapshotPreBarrier(1);
      snapshot = h.snapshot(1, 1);
      // Learn more after the snapshot: none of it may leak into the restored operator.
      run(h, examples.subList(2_500, 3_000));
    }
    try (var h = harness(FM_ADAM, 5)) {
      h.initializeState(snapshot);
      h.open();
      got.addAll(run(h, examples.subList(2_500, 4_000)));
    }
    assertEquals(expected, got);
  }

  @Test
  void keyedStateHoldsEveryRowAfterTheSnapshot() throws Exception {
    List<CompactExample> examples = SyntheticClicks.generate(3, 1_000, 8, 2_000, "a");
    ReferenceLearner reference = new ReferenceLearner(LOGISTIC_ADAGRAD);
    examples.forEach(reference::process);
    try (var h = harness(LOGISTIC_ADAGRAD, 2)) {
      h.open();
      run(h, examples);
      h.snapshot(1, 1);
      TrainerOperator operator = (TrainerOperator) h.getOperator();
      operator.setCurrentKey("a");
      int rows = 0;
      int rowSize = 1 + 1 + 2;
      for (Map.Entry<Long, float[]> page : operator.pagesOfCurrentKey()) {
        RowPage loaded = RowPage.load(page.getValue(), rowSize);
        assertTrue(loaded.isDirect(), "hashed features and the bias live in direct pages");
        long first = PageFormat.firstRow(page.getKey());
        for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
          long id = first + r;
          assertEquals(page.getKey(), PageFormat.pageKey(id, 6));
          float[] want = reference.row("a", id);
          if (want == null) {
            continue; // a row of the page that no example touched: still initial
          }
          float[] have = new float[want.length];
          System.arraycopy(loaded.data(), loaded.find(id), have, 0, want.length);
          assertArrayEquals(want, have, "row " + id);
          rows++;
        }
      }
      assertEquals(reference.rows("a").size(), rows);
    }
  }

  @Test
  void metricsAreReportedPerModelAndSurviveRestore() throws Exception {
    List<CompactExample> examples = SyntheticClicks.generate(6, 6_000, 10, 2_000, "a", "b");
    List<String> uninterrupted = new ArrayList<>();
    try (var h = harness(LOGISTIC_ADAGRAD, 8)) {
      h.open();
      run(h, examples);
      h.endInput();
      h.getSideOutput(TrainerOperator.METRICS).forEach(r -> uninterrupted.add(r.getValue().toString()));
    }
    // 3000 labeled examples per model, a report every 1000.
    assertEquals(6, uninterrupted.size(), uninterrupted.toString());
    List<String> restored = new ArrayList<>();
    OperatorSubtaskState snapshot;
    try (var h = harness(LOGISTIC_ADAGRAD, 8)) {
      h.open();
      run(h, examples.subList(0, 3_001));
      h.getSideOutput(TrainerOperator.METRICS).forEach(r -> restored.add(r.getValue().toString()));
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness(LOGISTIC_ADAGRAD, 8)) {
      h.initializeState(snapshot);
      h.open();
      run(h, examples.subList(3_001, 6_000));
      h.endInput();
      h.getSideOutput(TrainerOperator.METRICS).forEach(r -> restored.add(r.getValue().toString()));
    }
    assertEquals(uninterrupted, restored);
    MetricsEvent last = null;
    try (var h = harness(LOGISTIC_ADAGRAD, 8)) {
      h.open();
      run(h, SyntheticClicks.generate(7, 20_000, 10, 300, "a"));
      h.endInput();
      for (var r : h.getSideOutput(TrainerOperator.METRICS)) {
        last = r.getValue();
      }
    }
    assertNotNull(last);
    assertTrue(last.logLoss < 0.97 * last.baseRateLogLoss, last.toString());
    assertTrue(last.auc > 0.6, last.toString());
  }

  @Test
  void modelKeysLearnInIsolation() throws Exception {
    List<CompactExample> mixed = SyntheticClicks.generate(4, 2_000, 8, 1_000, "a", "b");
    List<CompactExample> onlyA = mixed.stream().filter(e -> e.modelKey.equals("a")).toList();
    List<Double> alone;
    try (var h = harness(LOGISTIC_ADAGRAD, 4)) {
      h.open();
      alone = run(h, onlyA);
    }
    try (var h = harness(LOGISTIC_ADAGRAD, 4)) {
      h.open();
      run(h, mixed);
      List<Double> aScores = h.extractOutputValues().stream()
          .filter(s -> s.modelKey.equals("a")).map(s -> s.score).toList();
      assertEquals(alone, aScores);
    }
  }

  @Test
  void unlabeledExamplesAreScoredButNotLearned() throws Exception {
    List<CompactExample> examples = SyntheticClicks.generate(5, 500, 8, 500, "a");
    List<CompactExample> unlabeled = examples.stream().map(e -> e.withLabel(Float.NaN)).toList();
    try (var h = harness(LOGISTIC_ADAGRAD, 4)) {
      h.open();
      run(h, examples.subList(0, 200));
      List<Double> first = run(h, unlabeled.subList(200, 500));
      List<Double> second = run(h, unlabeled.subList(200, 500));
      assertEquals(first, second, "scoring does not change the model");
      assertTrue(h.extractOutputValues().stream().allMatch(s -> s.modelStep <= 200));
    }
  }
}
