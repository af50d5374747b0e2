package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.gradflow.optim.BiasCorrection;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.SgdSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.state.PageFormat;
import io.gradflow.state.RowPage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
        new TrainerSettings(cachePages, 6, 1000, 0, io.gradflow.metrics.MetricsSpec.DEFAULT),
        FeatureHashing.DEFAULT_BITS);
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

  /** Each prediction carries its example's importance weight, which evaluate's AUC weighs. */
  @Test
  void eachPredictionCarriesItsExamplesImportanceWeight() throws Exception {
    float[] weights = {1f, 0f, 3f, 0.25f, 1f};
    float[] labels = {1f, 0f, 1f, 0f, Float.NaN};
    List<CompactExample> examples = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      examples.add(new CompactExample("e" + i, "a", i, new long[] {i + 1L}, new float[] {1f},
          new float[0], labels[i], weights[i]));
    }
    try (var h = harness(LOGISTIC_ADAGRAD, 8)) {
      h.open();
      run(h, examples);
      List<Scored> out = h.extractOutputValues();
      assertEquals(weights.length, out.size());
      for (int i = 0; i < weights.length; i++) {
        assertEquals(weights[i], out.get(i).weight, "e" + i);
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
        if (!PageFormat.isRowPage(page.getKey())) {
          continue; // the model's row book
        }
        RowPage loaded = RowPage.load(page.getValue(), rowSize);
        assertTrue(PageFormat.isDirect(page.getKey()),
            "hashed features and the bias live under direct keys");
        long first = PageFormat.firstRow(page.getKey());
        // A direct page holds all its ids; one in the hashed form the rows touched (PageFormat).
        int held = loaded.isDirect() ? PageFormat.DIRECT_ROWS : loaded.rowCount();
        for (int r = 0; r < held; r++) {
          long id = loaded.isDirect() ? first + r : loaded.rowId(r);
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

  /** Every drift event the operator reported, as text, in order. */
  private static List<String> drifts(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h) {
    List<String> out = new ArrayList<>();
    h.getSideOutput(TrainerOperator.METRICS).forEach(r -> r.getValue().drifts()
        .forEach(d -> out.add(r.getValue().modelKey + " " + d)));
    return out;
  }

  @Test
  void driftDecisionsAreReportedAndARestoredOperatorMakesTheSameOnes() throws Exception {
    LearnerSpec spec = LOGISTIC_ADAGRAD.withDrift(new io.gradflow.drift.DriftPolicy(
        io.gradflow.drift.AdwinSpec.defaults(), io.gradflow.drift.DriftPolicy.Watch.LOSS,
        java.util.EnumSet.of(io.gradflow.drift.DriftAction.RESTART_SCHEDULE,
            io.gradflow.drift.DriftAction.BOOST_LR), 0.1, 3.0, 500, 1.0));
    // Two models, each with its abrupt change at its 3,000th example.
    List<CompactExample> examples = SyntheticClicks.generate(12, 12_000, 12, 400, 6_000, "a", "b");
    List<Double> expected;
    List<String> uninterrupted;
    try (var h = harness(spec, 8)) {
      h.open();
      expected = run(h, examples);
      h.endInput();
      uninterrupted = drifts(h);
    }
    assertFalse(uninterrupted.isEmpty(), "the change is detected");
    // Restore from a snapshot taken just after the first detection, before its report.
    String first = uninterrupted.get(0);
    long step = Long.parseLong(first.replaceAll(".*example=(\\d+).*", "$1"));
    int split = 2 * (int) step;
    List<Double> got;
    List<String> restored;
    OperatorSubtaskState snapshot;
    try (var h = harness(spec, 8)) {
      h.open();
      got = new ArrayList<>(run(h, examples.subList(0, split)));
      restored = new ArrayList<>(drifts(h));
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness(spec, 3)) {
      h.initializeState(snapshot);
      h.open();
      got.addAll(run(h, examples.subList(split, examples.size())));
      h.endInput();
      restored.addAll(drifts(h));
    }
    assertEquals(expected, got);
    assertEquals(uninterrupted, restored);
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
  /** Every page of the current key in keyed state, after a snapshot flushed the cache. */
  private static Map<Long, float[]> pagesAfterSnapshot(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h, String key)
      throws Exception {
    h.snapshot(1, 1);
    TrainerOperator operator = (TrainerOperator) h.getOperator();
    operator.setCurrentKey(key);
    Map<Long, float[]> pages = new TreeMap<>();
    for (Map.Entry<Long, float[]> page : operator.pagesOfCurrentKey()) {
      pages.put(page.getKey(), page.getValue().clone());
    }
    return pages;
  }

  /**
   * Every row of the model's pages after a snapshot, by id (whichever page holds it: a small
   * model keeps all its rows in one, {@link PageFormat#MODEL_PAGE}).
   */
  static Map<Long, float[]> rowsAfterSnapshot(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h, String key,
      int rowSize) throws Exception {
    Map<Long, float[]> rows = new TreeMap<>();
    for (Map.Entry<Long, float[]> stored : pagesAfterSnapshot(h, key).entrySet()) {
      if (!PageFormat.isRowPage(stored.getKey())) {
        continue;
      }
      RowPage page = RowPage.load(stored.getValue(), rowSize);
      int count = page.isDirect() ? PageFormat.DIRECT_ROWS : page.rowCount();
      for (int r = 0; r < count; r++) {
        long id = page.isDirect() ? PageFormat.firstRow(stored.getKey()) + r : page.rowId(r);
        int at = page.find(id);
        rows.put(id, java.util.Arrays.copyOfRange(page.data(), at, at + rowSize));
      }
    }
    return rows;
  }

  private static ModelMeta metaAfterSnapshot(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h, String key)
      throws Exception {
    TrainerOperator operator = (TrainerOperator) h.getOperator();
    operator.setCurrentKey(key);
    return operator.metaOfCurrentKey();
  }

  private static int[] bits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  /**
   * ../shared/cases/vw-importance-zero.vw, built by hand (the VW reader is tested elsewhere):
   * {@code 1 1 |f a b}, {@code 0 0 |f a c}, {@code 1 1 |f b c}. Importance weight 0 means
   * "score, do not learn" (VW's rule).
   */
  static List<CompactExample> importanceZeroCase(boolean withDense) {
    FeatureHashing hashing = new FeatureHashing(18);
    long a = hashing.feature("f", "a");
    long b = hashing.feature("f", "b");
    long c = hashing.feature("f", "c");
    float[] ones = {1f, 1f};
    return List.of(
        new CompactExample("1", "m", 1_000, new long[] {a, b}, ones,
            withDense ? new float[] {3f} : new float[0], 1f, 1f),
        new CompactExample("2", "m", 2_000, new long[] {a, c}, ones,
            withDense ? new float[] {-40f} : new float[0], 0f, 0f),
        new CompactExample("3", "m", 3_000, new long[] {b, c}, ones,
            withDense ? new float[] {5f} : new float[0], 1f, 1f));
  }

  @Test
  void aWeightZeroExampleIsScoredButChangesNoRowSlotStepClockOrStandardizer() throws Exception {
    List<LearnerSpec> specs = List.of(
        // Adam's moments and SGD's momentum would move the weights on a zero gradient.
        new LearnerSpec(new LinearSpec(), Loss.LOGISTIC, AdamSpec.of(0.1), GradientSpec.NONE,
            new ScheduleSpec.CosineAnnealing(4, 0.01), ScheduleClock.MODEL_STEP, true),
        new LearnerSpec(FactorizationMachineSpec.of(2), Loss.LOGISTIC,
            new SgdSpec(0.1, 0.9, 0, true, 0), GradientSpec.NONE,
            new ScheduleSpec.ExponentialDecay(500, 0.5), ScheduleClock.EVENT_TIME, true));
    for (LearnerSpec spec : specs) {
      for (boolean withDense : new boolean[] {false, true}) {
        List<CompactExample> all = importanceZeroCase(withDense);
        List<CompactExample> weighted = List.of(all.get(0), all.get(2));
        try (var h = harness(spec, 4); var alone = harness(spec, 4)) {
          h.open();
          alone.open();
          run(h, all);
          run(alone, weighted);
          List<Scored> scored = h.extractOutputValues();
          assertEquals(3, scored.size(), "every example is scored");
          assertEquals(List.of(1L, 1L, 2L), scored.stream().map(x -> x.modelStep).toList());
          assertEquals(alone.extractOutputValues().get(1).score, scored.get(2).score,
              "the third prediction does not see the weight-0 example");

          Map<Long, float[]> pages = pagesAfterSnapshot(h, "m");
          Map<Long, float[]> expected = pagesAfterSnapshot(alone, "m");
          assertEquals(expected.keySet(), pages.keySet());
          for (Long page : expected.keySet()) {
            assertArrayEquals(bits(expected.get(page)), bits(pages.get(page)),
                spec.optimizer() + ", dense " + withDense + ": page " + page);
          }
          ModelMeta meta = metaAfterSnapshot(h, "m");
          ModelMeta expectedMeta = metaAfterSnapshot(alone, "m");
          assertEquals(2, meta.step, "2 learned");
          assertEquals(1, meta.scored, "1 scored only");
          assertEquals(expectedMeta.step, meta.step);
          assertEquals(expectedMeta.scheduleStartStep, meta.scheduleStartStep);
          assertEquals(expectedMeta.scheduleStartMillis, meta.scheduleStartMillis);
          assertArrayEquals(expectedMeta.standardizer, meta.standardizer);
        }
      }
    }
  }

  @Test
  void aWeightZeroOrUnlabeledExampleFirstDoesNotStartTheEventTimeClock() throws Exception {
    LearnerSpec spec = new LearnerSpec(new LinearSpec(), Loss.LOGISTIC, AdaGradSpec.of(0.1),
        GradientSpec.NONE, new ScheduleSpec.ExponentialDecay(1_000, 0.5),
        ScheduleClock.EVENT_TIME, false);
    List<CompactExample> learned = importanceZeroCase(false);
    CompactExample weightZero = learned.get(1);
    CompactExample unlabeled = learned.get(0).withLabel(Float.NaN);
    try (var h = harness(spec, 4); var alone = harness(spec, 4)) {
      h.open();
      alone.open();
      run(h, List.of(
          new CompactExample("0", "m", 0, weightZero.rowIds, weightZero.values, weightZero.dense,
              0f, 0f),
          new CompactExample("00", "m", 500, unlabeled.rowIds, unlabeled.values, unlabeled.dense,
              Float.NaN, 1f),
          learned.get(0), learned.get(2)));
      run(alone, List.of(learned.get(0), learned.get(2)));
      int rowSize = new io.gradflow.learn.ExampleLearner(spec).rowSize();
      Map<Long, float[]> rows = rowsAfterSnapshot(h, "m", rowSize);
      assertEquals(1_000, metaAfterSnapshot(h, "m").scheduleStartMillis);
      Map<Long, float[]> expected = rowsAfterSnapshot(alone, "m", rowSize);
      for (Long id : expected.keySet()) {
        assertArrayEquals(bits(expected.get(id)), bits(rows.get(id)), "row " + id);
      }
    }
  }

  /**
   * With {@code bias_correction: global} the trainer hands Adam the model step (examples learned,
   * counting this one): a feature first seen at the 5th example takes SparseAdam's first step,
   * {@code -lr * sqrt(1 - beta2^5) / (1 - beta1^5) * (0.1 g) / (sqrt(0.001) |g| + eps)}, not
   * Adam's {@code -lr sign(g)}.
   */
  @Test
  void globalBiasCorrectionUsesTheModelStep() throws Exception {
    for (BiasCorrection mode : BiasCorrection.values()) {
      LearnerSpec spec = new LearnerSpec(new LinearSpec(), Loss.LOGISTIC,
          new AdamSpec(0.1, 0.9, 0.999, 1e-8, 0, false, mode), GradientSpec.NONE,
          new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false);
      FeatureHashing hashing = new FeatureHashing(18);
      long early = hashing.feature("f", "early");
      long late = hashing.feature("f", "late");
      List<CompactExample> examples = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        long[] ids = i < 4 ? new long[] {early} : new long[] {early, late};
        examples.add(new CompactExample("e" + i, "m", i, ids, new float[ids.length],
            new float[0], 1f, 1f));
        examples.get(i).values[0] = 1f;
        if (ids.length == 2) {
          examples.get(i).values[1] = 1f;
        }
      }
      try (var h = harness(spec, 4)) {
        h.open();
        run(h, examples);
        float[] row = rowsAfterSnapshot(h, "m", 1 + 2 + 2).get(late);
        float weight = row[0];
        long rowStep = new io.gradflow.optim.RowLayout(1, 2).step(row, 0);
        assertEquals(1, rowStep, "the row's own step count still advances");
        // The label is 1 and the prediction below 1, so the gradient is negative: w grows.
        double expected = mode == BiasCorrection.ROW ? 0.1
            : 0.1 * Math.sqrt(1 - Math.pow(0.999, 5)) / (1 - Math.pow(0.9, 5)) * 0.1
                / Math.sqrt(0.001);
        assertEquals(expected, weight, 1e-6, mode.configName());
      }
    }
  }

  @Test
  void globalBiasCorrectionInTheTrainerEqualsTheBareLoop() throws Exception {
    LearnerSpec spec = FM_ADAM.withOptimizer(
        new AdamSpec(0.01, 0.9, 0.999, 1e-8, 0, false, BiasCorrection.GLOBAL));
    List<CompactExample> examples = SyntheticClicks.generate(8, 2_000, 10, 3_000, "a", "b");
    List<Double> expected = reference(spec, examples);
    try (var h = harness(spec, 3)) {
      h.open();
      assertEquals(expected, run(h, examples));
    }
    assertFalse(expected.equals(reference(FM_ADAM, examples)), "global differs from row");
  }
}
