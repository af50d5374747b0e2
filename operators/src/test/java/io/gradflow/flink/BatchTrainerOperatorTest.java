package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.BatchGradient;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.FeatureMerger;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.session.SessionState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Mini-batches in the trainer ({@code model.batch_size} > 1), against {@link BatchReference}: the
 * core's {@link ExampleLearner#accumulate}, {@link ExampleLearner#stepRow} and
 * {@link ExampleLearner#stepDense} on rows in hash maps, no pages, no cache, no Flink, with the
 * batches cut where the test says. Every comparison is of predictions, bit for bit: each is made
 * with the weights after every earlier step, so equal predictions over a stream mean equal steps.
 * Each test also shows that a batch cut elsewhere gives other predictions, so the cut it checks
 * is observable.
 */
class BatchTrainerOperatorTest {
  static final DeepModelSpec MLP =
      new DeepModelSpec(false, List.of(8, 4), Activation.TANH, 3, 0, 0.1, Pooling.SUM, 1, 7);
  static final DeepModelSpec WIDE_AND_DEEP =
      new DeepModelSpec(true, List.of(8), Activation.RELU, 3, 4, 0.1, Pooling.MEAN, 1, 8);

  static LearnerSpec spec(DeepModelSpec model, int batchSize) {
    DeepModelSpec batched = new DeepModelSpec(model.wide(), model.hidden(), model.activation(),
        model.inputs(), model.factors(), model.initStd(), model.pooling(), batchSize,
        model.seed());
    // A schedule that moves at every step, so the rate chosen for a batch shows in its bits.
    return new LearnerSpec(batched, Loss.LOGISTIC, AdamSpec.of(0.01), GradientSpec.NONE,
        new ScheduleSpec.CosineWarmRestarts(300, 2, 0.001), ScheduleClock.MODEL_STEP, false);
  }

  static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      LearnerSpec spec, int cachePages, Duration batchTimeout) throws Exception {
    return harness(spec, cachePages, batchTimeout, 0);
  }

  static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      LearnerSpec spec, int cachePages, Duration batchTimeout, long changelogEvery)
      throws Exception {
    TrainerOperator operator = new TrainerOperator(Map.of("", spec),
        new TrainerSettings(cachePages, 6, 1000, changelogEvery, MetricsSpec.DEFAULT)
            .withBatchTimeout(batchTimeout), FeatureHashing.DEFAULT_BITS);
    return new KeyedOneInputStreamOperatorTestHarness<>(operator, e -> e.modelKey, Types.STRING);
  }

  /** Two model keys; every 13th example has weight 0 and every 17th no label (not learned). */
  static List<CompactExample> stream(int count, long seed) {
    List<CompactExample> out = new ArrayList<>();
    for (CompactExample e : DeepTrainerOperatorTest.stream(count, seed)) {
      int i = out.size();
      float label = i % 17 == 5 ? Float.NaN : e.label;
      float weight = i % 13 == 4 ? 0f : 1f;
      out.add(new CompactExample(e.exampleId, e.modelKey, e.eventTime, e.rowIds, e.values,
          e.dense, label, weight));
    }
    return out;
  }

  /** Unlabeled copies (scored, never learned) of some examples of each key. */
  static List<CompactExample> probes(List<CompactExample> examples) {
    List<CompactExample> out = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      CompactExample e = examples.get(i * 7);
      out.add(new CompactExample("probe" + i, e.modelKey, e.eventTime, e.rowIds, e.values,
          e.dense, Float.NaN, 1f));
    }
    return out;
  }

  /**
   * The reference of a stream: every example predicted by {@link BatchReference}, all batches
   * stepped after the examples whose indices are in {@code cuts}, and at the end.
   */
  static List<Double> reference(LearnerSpec spec, List<CompactExample> examples,
      Set<Integer> cuts, BatchReference reference) {
    List<Double> scores = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      scores.add(reference.process(examples.get(i)));
      if (cuts.contains(i)) {
        reference.flushAll();
      }
    }
    return scores;
  }

  @Test
  void batchesInTheTrainerEqualTheCoreAndTheLastIsSteppedAtEndOfInput() throws Exception {
    List<CompactExample> examples = stream(1_003, 21);
    List<CompactExample> probes = probes(examples);
    for (DeepModelSpec model : List.of(MLP, WIDE_AND_DEEP)) {
      for (int batchSize : new int[] {1, 4, 7}) {
        LearnerSpec spec = spec(model, batchSize);
        BatchReference reference = new BatchReference(spec);
        List<Double> expected = reference(spec, examples, Set.of(), reference);
        List<Double> unflushed = reference.scoreAll(probes);
        reference.flushAll();
        List<Double> expectedProbes = reference.scoreAll(probes);
        if (batchSize > 1) {
          assertNotEquals(unflushed, expectedProbes, "the last partial batch shows");
        }
        for (int cachePages : new int[] {1, 1_000}) {
          String what = model.configName() + ", batch " + batchSize + ", cache " + cachePages;
          OperatorSubtaskState snapshot;
          try (var h = harness(spec, cachePages, Duration.ZERO)) {
            h.open();
            assertEquals(expected, TrainerOperatorTest.run(h, examples), what);
            h.endInput();
            snapshot = h.snapshot(1, 1);
          }
          try (var h = harness(spec, cachePages, Duration.ZERO)) {
            h.initializeState(snapshot);
            h.open();
            assertEquals(expectedProbes, TrainerOperatorTest.run(h, probes), what + ", probes");
          }
        }
      }
    }
  }

  /** Where the chained runs below take their checkpoints (after these example indices). */
  static final int[] CHECKPOINTS = {2, 249, 250, 600, 873};

  /**
   * A batch in flight is part of the checkpoint: a run checkpointed mid-batch at several points,
   * each time restored into a fresh operator (with another cache size) and continued, gives the
   * uninterrupted run's predictions and ends with its pages and model state, bit for bit, and
   * both equal the Flink-free reference that cuts batches only by their size and at the end.
   */
  @Test
  void aBatchInFlightIsCheckpointedAndARestoreContinuesBitForBit() throws Exception {
    List<CompactExample> examples = stream(1_003, 22);
    List<CompactExample> probes = probes(examples);
    for (DeepModelSpec model : List.of(MLP, WIDE_AND_DEEP)) {
      for (int batchSize : new int[] {4, 7}) {
        String what = model.configName() + ", batch " + batchSize;
        LearnerSpec spec = spec(model, batchSize);
        BatchReference reference = new BatchReference(spec);
        List<Double> expected = reference(spec, examples, Set.of(), reference);
        reference.flushAll();
        List<Double> expectedProbes = reference.scoreAll(probes);
        // Had the checkpoints stepped the batches, the predictions after them would differ.
        Set<Integer> cuts = new java.util.HashSet<>();
        for (int c : CHECKPOINTS) {
          cuts.add(c);
        }
        assertNotEquals(expected, reference(spec, examples, cuts, new BatchReference(spec)));

        Map<String, Object> uninterrupted;
        OperatorSubtaskState end;
        try (var h = harness(spec, 1_000, Duration.ZERO)) {
          h.open();
          assertEquals(expected, TrainerOperatorTest.run(h, examples), what + ", uninterrupted");
          h.endInput();
          uninterrupted = finalState(h);
        }
        List<Double> got = new ArrayList<>();
        OperatorSubtaskState snapshot = null;
        int from = 0;
        for (int k = 0; k <= CHECKPOINTS.length; k++) {
          int to = k < CHECKPOINTS.length ? CHECKPOINTS[k] + 1 : examples.size();
          try (var h = harness(spec, k % 2 == 0 ? 1_000 : 3, Duration.ZERO)) {
            if (snapshot != null) {
              h.initializeState(snapshot);
            }
            h.open();
            got.addAll(TrainerOperatorTest.run(h, examples.subList(from, to)));
            if (k == CHECKPOINTS.length) {
              h.endInput();
              assertFinalStateEquals(uninterrupted, finalState(h), what);
              snapshot = h.snapshot(k + 1, k + 1);
            } else {
              h.prepareSnapshotPreBarrier(k + 1);
              snapshot = h.snapshot(k + 1, k + 1);
              assertTrue(batchesInFlight(h) > 0, what + ": a batch in flight at checkpoint " + k);
            }
          }
          from = to;
        }
        assertEquals(expected, got, what + ", restored at " + java.util.Arrays.toString(
            CHECKPOINTS));
        try (var h = harness(spec, 1_000, Duration.ZERO)) {
          h.initializeState(snapshot);
          h.open();
          assertEquals(expectedProbes, TrainerOperatorTest.run(h, probes), what + ", probes");
        }
      }
    }
  }

  /**
   * A model whose session is evicted from memory with its batch in flight (a page cache of 1 or
   * 2 pages and two models: every example evicts the other model) continues it from keyed state:
   * the predictions are the reference's, whose batches are cut only by their size, and the final
   * pages and model state those of a run whose cache holds every page.
   */
  @Test
  void aModelEvictedWithItsBatchInFlightContinuesIt() throws Exception {
    List<CompactExample> examples = stream(1_003, 25);
    for (DeepModelSpec model : List.of(MLP, WIDE_AND_DEEP)) {
      for (int batchSize : new int[] {4, 7}) {
        LearnerSpec spec = spec(model, batchSize);
        List<Double> expected = reference(spec, examples, Set.of(), new BatchReference(spec));
        Map<String, Object> kept;
        try (var h = harness(spec, 1_000, Duration.ZERO)) {
          h.open();
          TrainerOperatorTest.run(h, examples);
          h.endInput();
          kept = finalState(h);
        }
        // An mlp's one page fits a cache of 2 beside the other model's.
        for (int cachePages : model.wide() ? new int[] {1, 2} : new int[] {1}) {
          String what = model.configName() + ", batch " + batchSize + ", cache " + cachePages;
          try (var h = harness(spec, cachePages, Duration.ZERO)) {
            h.open();
            TrainerOperator operator = (TrainerOperator) h.getOperator();
            List<Double> got = new ArrayList<>();
            int evictedInFlight = 0;
            for (CompactExample e : examples) {
              got.addAll(TrainerOperatorTest.run(h, List.of(e)));
              if (operator.sessionsInMemory() < 2
                  && batchInFlight(h, e.modelKey.equals("a") ? "b" : "a")) {
                evictedInFlight++;
              }
            }
            assertTrue(evictedInFlight > 100, what + ": evicted in flight " + evictedInFlight);
            assertEquals(expected, got, what);
            h.endInput();
            assertFinalStateEquals(kept, finalState(h), what + ", against a cache that keeps all");
          }
        }
      }
    }
  }

  /** Models of the operator whose state holds a batch in flight. */
  static int batchesInFlight(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h) throws Exception {
    int count = 0;
    for (String key : List.of("a", "b")) {
      if (batchInFlight(h, key)) {
        count++;
      }
    }
    return count;
  }

  /** Whether the model's state in keyed state holds a batch in flight. */
  static boolean batchInFlight(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h, String key)
      throws Exception {
    TrainerOperator operator = (TrainerOperator) h.getOperator();
    operator.setCurrentKey(key);
    ModelMeta meta = operator.metaOfCurrentKey();
    return meta != null && meta.batch.length > 0;
  }

  /** Each model's pages and session state in keyed state, after end of input. */
  static Map<String, Object> finalState(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h) throws Exception {
    TrainerOperator operator = (TrainerOperator) h.getOperator();
    Map<String, Object> out = new java.util.TreeMap<>();
    for (String key : List.of("a", "b")) {
      operator.setCurrentKey(key);
      for (Map.Entry<Long, float[]> page : operator.pagesOfCurrentKey()) {
        out.put(key + "/page " + page.getKey(), page.getValue().clone());
      }
      SessionState s = operator.metaOfCurrentKey().toState();
      out.put(key + "/step", s.step());
      out.put(key + "/scored", s.scored());
      out.put(key + "/metrics", s.metrics());
      out.put(key + "/batch", s.batch());
    }
    return out;
  }

  static void assertFinalStateEquals(Map<String, Object> expected, Map<String, Object> got,
      String what) {
    assertEquals(expected.keySet(), got.keySet(), what);
    for (String part : expected.keySet()) {
      Object e = expected.get(part);
      Object g = got.get(part);
      if (e instanceof float[] ef) {
        assertArrayEquals(ef, (float[]) g, what + ", " + part);
      } else if (e instanceof double[] ed) {
        assertArrayEquals(ed, (double[]) g, what + ", " + part);
      } else {
        assertEquals(e, g, what + ", " + part);
      }
    }
  }

  @Test
  void aPartialBatchIsSteppedAfterTheTimeout() throws Exception {
    List<CompactExample> examples = stream(600, 23);
    LearnerSpec spec = spec(MLP, 8);
    // Examples 0-5 arrive at processing time 0, 6 and 7 at 999 (three learned per key by then:
    // 4 has weight 0, 5 no label); the timer of 1 s steps both batches at 1000, not at 999.
    // The rest arrive at 1000 and are cut by the batch size.
    List<Double> expected = reference(spec, examples, Set.of(7), new BatchReference(spec));
    List<Double> early = reference(spec, examples, Set.of(5), new BatchReference(spec));
    List<Double> never = reference(spec, examples, Set.of(), new BatchReference(spec));
    assertNotEquals(early, expected);
    assertNotEquals(never, expected);
    // With a cache of one page, the timer steps a batch whose session was evicted.
    for (int cachePages : new int[] {1_000, 1}) {
      List<Double> got = new ArrayList<>();
      try (var h = harness(spec, cachePages, Duration.ofSeconds(1))) {
        h.open();
        h.setProcessingTime(0);
        got.addAll(TrainerOperatorTest.run(h, examples.subList(0, 6)));
        h.setProcessingTime(999);
        got.addAll(TrainerOperatorTest.run(h, examples.subList(6, 8)));
        if (cachePages == 1) {
          assertEquals(1, ((TrainerOperator) h.getOperator()).sessionsInMemory());
          // Example 7 was b's, so a's session was evicted, with its batch, to keyed state.
          assertTrue(batchInFlight(h, "a"), "the evicted model's batch is in keyed state");
        }
        h.setProcessingTime(1_000);
        got.addAll(TrainerOperatorTest.run(h, examples.subList(8, 600)));
      }
      assertEquals(expected, got, "cache " + cachePages);
    }
  }

  /**
   * Rows are emitted as stepped: every row's last emission (at end of input, after the last
   * partial batch's step) holds the reference's final weights; changes due inside a batch wait for
   * its step. Also across checkpoints taken while an emission waits for its batch's step (the
   * flag is in the state) and the rows of the batch in flight are not yet changed: the restored
   * runs emit the same rows, with the same final weights.
   */
  @Test
  void theChangelogEmitsRowsAsStepped() throws Exception {
    List<CompactExample> examples = stream(1_003, 24);
    LearnerSpec spec = spec(WIDE_AND_DEEP, 4);
    BatchReference reference = new BatchReference(spec);
    reference(spec, examples, Set.of(), reference);
    reference.flushAll();
    boolean[] dueInFlight = {false};
    Map<String, RowChange> uninterrupted = changelog(spec, examples, new int[] {1_003},
        dueInFlight);
    Map<String, RowChange> restored = changelog(spec, examples, new int[] {13, 400, 801, 1_003},
        dueInFlight);
    assertTrue(dueInFlight[0], "an emission waited for a batch at some checkpoint");
    assertEquals(uninterrupted.keySet(), restored.keySet(), "rows emitted");
    assertTrue(restored.size() > 100, "rows emitted: " + restored.size());
    for (Map<String, RowChange> last : List.of(uninterrupted, restored)) {
      for (RowChange c : last.values()) {
        float[] row = reference.row(c.modelKey, c.rowId);
        float[] weights = new float[c.weights.length];
        reference.learner.layout().copyWeights(row, 0, weights, 0);
        assertArrayEquals(weights, c.weights, c.modelKey + " row " + c.rowId);
      }
    }
  }

  /**
   * Every row's last changelog emission, from runs that end at {@code ends} (each but the last
   * with a checkpoint, restored into the next run; records in {@code dueInFlight} whether a
   * checkpoint held an emission waiting for its batch).
   */
  static Map<String, RowChange> changelog(LearnerSpec spec, List<CompactExample> examples,
      int[] ends, boolean[] dueInFlight) throws Exception {
    Map<String, RowChange> last = new HashMap<>();
    OperatorSubtaskState snapshot = null;
    int from = 0;
    for (int to : ends) {
      try (var h = harness(spec, 2, Duration.ZERO, 6)) {
        if (snapshot != null) {
          h.initializeState(snapshot);
        }
        h.open();
        TrainerOperatorTest.run(h, examples.subList(from, to));
        if (to == examples.size()) {
          h.endInput();
        } else {
          h.prepareSnapshotPreBarrier(to);
          snapshot = h.snapshot(to, to);
          TrainerOperator operator = (TrainerOperator) h.getOperator();
          for (String key : List.of("a", "b")) {
            operator.setCurrentKey(key);
            dueInFlight[0] |= operator.metaOfCurrentKey().changesDue;
          }
        }
        for (var record : h.getSideOutput(TrainerOperator.CHANGELOG)) {
          RowChange c = record.getValue();
          last.put(c.modelKey + "/" + c.rowId, c);
        }
      }
      from = to;
    }
    return last;
  }

  /**
   * The batch reference: per model key, rows by id in a hash map, the dense blocks and the
   * batch in progress; the core's arithmetic on them with the trainer's documented counting
   * (model step counts examples learned; a batch's rate is the schedule's at its first example;
   * the step is given the model step after the batch). Raw dense inputs (no standardizer).
   */
  static final class BatchReference {
    private final ExampleLearner learner;
    private final int batchSize;
    private final FeatureMerger merger = new FeatureMerger();
    private final Map<String, ModelState> models = new HashMap<>();

    private final class ModelState {
      final Map<Long, float[]> rows = new HashMap<>();
      final float[][] blocks = learner.newDenseBlocks();
      final BatchGradient batch = new BatchGradient(learner.model());
      long step;
      double rate;

      float[] row(long id) {
        return rows.computeIfAbsent(id, i -> {
          float[] row = new float[learner.rowSize()];
          learner.initializeRow(i, row, 0);
          return row;
        });
      }

      void flush() {
        if (batch.examples() == 0) {
          return;
        }
        learner.stepDense(batch, blocks, step, rate);
        for (int i = 0; i < batch.rows(); i++) {
          learner.stepRow(batch, i, row(batch.rowId(i)), 0, step, rate);
        }
        batch.clear();
      }
    }

    BatchReference(LearnerSpec spec) {
      this.learner = new ExampleLearner(spec);
      this.batchSize = spec.model().batchSize();
    }

    double process(CompactExample e) {
      ModelState m = models.computeIfAbsent(e.modelKey, k -> new ModelState());
      int sparse = learner.model().readsSparseFeatures() ? e.rowIds.length : 0;
      long[] ids = new long[sparse];
      float[] values = new float[sparse];
      int n = merger.merge(e.rowIds, e.values, sparse, ids, values);
      float[][] arrays = new float[n][];
      for (int i = 0; i < n; i++) {
        arrays[i] = m.row(ids[i]);
      }
      int[] offsets = new int[n];
      float[] bias = m.row(FeatureHashing.BIAS_ROW);
      double a = learner.activation(arrays, offsets, values, n, bias, 0, e.dense, m.blocks);
      if (e.learnable()) {
        if (m.batch.examples() == 0) {
          m.rate = learner.learningRate(m.step);
        }
        learner.accumulate(m.batch, ids, FeatureHashing.BIAS_ROW, arrays, offsets, values, n,
            bias, 0, e.dense, m.blocks, a, e.label, e.weight);
        m.step++;
        if (m.batch.examples() == batchSize) {
          m.flush();
        }
      }
      return learner.loss().prediction(a);
    }

    float[] row(String modelKey, long id) {
      return models.get(modelKey).rows.get(id);
    }

    void flushAll() {
      models.values().forEach(ModelState::flush);
    }

    List<Double> scoreAll(List<CompactExample> unlabeled) {
      List<Double> out = new ArrayList<>();
      for (CompactExample e : unlabeled) {
        out.add(process(e));
      }
      return out;
    }
  }
}
