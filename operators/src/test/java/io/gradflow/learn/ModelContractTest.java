package io.gradflow.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.DeepModel;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.SgdSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every model type keeps under every optimizer family, at batch size 1 and in
 * mini-batches: same seed, same bits; snapshot, restore and continue equals continue; the input
 * is never modified; features appearing start from their documented initial row and features
 * vanishing (rows no example of a step touched) keep their bits; a batch of one is plain online
 * learning, bit for bit. The learner's rows live in a map (a stand-in for pages) and its dense
 * blocks in arrays.
 */
class ModelContractTest {
  private static final long BIAS = -1;

  static Stream<Arguments> cases() {
    List<ModelSpec> models = List.of(new LinearSpec(), new FactorizationMachineSpec(3, 0.2, 5),
        new DeepModelSpec(false, List.of(6, 3), Activation.RELU, 4, 0, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(5), Activation.TANH, 4, 3, 0.2, Pooling.MEAN, 1, 8),
        new DeepModelSpec(true, List.of(4, 4), Activation.RELU, 2, 2, 0.2, Pooling.SUM, 1, 9));
    List<OptimizerSpec> optimizers = List.of(AdamSpec.of(0.02),
        new AdaGradSpec(0.1, 0, 0, 0.1, 1e-10), new SgdSpec(0.05, 0.9, 0, true, 0),
        new FtrlSpec(0.5, 1.0, 0.01, 0.01));
    List<Arguments> out = new ArrayList<>();
    for (ModelSpec model : models) {
      for (OptimizerSpec optimizer : optimizers) {
        for (int batch : new int[] {1, 4}) {
          out.add(Arguments.of(model, optimizer, batch));
        }
      }
    }
    return out.stream();
  }

  /** A seeded stream: features 0..19 in the first half, 10..29 in the second. */
  static List<float[][]> examples(int count, int inputs, long seed) {
    Random random = new Random(seed);
    List<float[][]> out = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      int base = e < count / 2 ? 0 : 10;
      int n = 1 + random.nextInt(4);
      float[] ids = new float[n];
      float[] values = new float[n];
      java.util.Set<Integer> used = new java.util.HashSet<>();
      for (int i = 0; i < n; i++) {
        int id;
        do {
          id = base + random.nextInt(20);
        } while (!used.add(id));
        ids[i] = id;
        values[i] = random.nextBoolean() ? 1f : (float) random.nextGaussian();
      }
      float[] dense = new float[inputs];
      for (int j = 0; j < inputs; j++) {
        dense[j] = (float) random.nextGaussian();
      }
      float label = random.nextBoolean() ? 1f : 0f;
      out.add(new float[][] {ids, values, dense, {label}});
    }
    return out;
  }

  /** One model: rows by id, dense blocks, the batch in progress. */
  static final class Run {
    final ExampleLearner learner;
    final boolean sparse;
    final int inputs;
    final int batchSize;
    final Map<Long, float[]> rows = new TreeMap<>();
    float[][] blocks;
    final BatchGradient batch;
    long steps;
    final List<Double> activations = new ArrayList<>();

    Run(ModelSpec model, OptimizerSpec optimizer, int batchSize) {
      learner = new ExampleLearner(new LearnerSpec(model, Loss.LOGISTIC, optimizer,
          GradientSpec.NONE, new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false));
      sparse = !(learner.model() instanceof DeepModel deep) || deep.readsSparseFeatures();
      inputs = Math.max(0, learner.model().denseInputs());
      this.batchSize = batchSize;
      blocks = learner.newDenseBlocks();
      batch = new BatchGradient(learner.model());
    }

    /** A restored copy: a new learner over copies of every array. */
    Run restore() {
      assertEquals(0, batch.examples(), "snapshots are taken between batches");
      Run copy = new Run(learner.spec().model(), learner.spec().optimizer(), batchSize);
      rows.forEach((id, row) -> copy.rows.put(id, row.clone()));
      for (int b = 0; b < blocks.length; b++) {
        copy.blocks[b] = blocks[b].clone();
      }
      copy.steps = steps;
      return copy;
    }

    float[] row(long id) {
      return rows.computeIfAbsent(id, i -> {
        float[] row = new float[learner.rowSize()];
        learner.initializeRow(i, row, 0);
        return row;
      });
    }

    void process(float[][] example, boolean plain) {
      int n = sparse ? example[0].length : 0;
      long[] ids = new long[n];
      float[][] pages = new float[n][];
      for (int i = 0; i < n; i++) {
        ids[i] = (long) example[0][i];
        pages[i] = row(ids[i]);
      }
      int[] offsets = new int[n];
      float[] dense = example[2];
      float[] bias = row(BIAS);
      double a = learner.activation(pages, offsets, example[1], n, bias, 0, dense, blocks);
      activations.add(a);
      if (plain) {
        steps++;
        learner.learn(pages, offsets, example[1], n, bias, 0, dense, blocks, a, example[3][0],
            1f, steps, learner.learningRate(steps));
        return;
      }
      learner.accumulate(batch, ids, BIAS, pages, offsets, example[1], n, bias, 0, dense,
          blocks, a, example[3][0], 1f);
      if (batch.examples() == batchSize) {
        flush();
      }
    }

    void flush() {
      if (batch.examples() == 0) {
        return;
      }
      steps++;
      double lr = learner.learningRate(steps);
      learner.stepDense(batch, blocks, steps, lr);
      for (int i = 0; i < batch.rows(); i++) {
        learner.stepRow(batch, i, row(batch.rowId(i)), 0, steps, lr);
      }
      batch.clear();
    }

    void assertSameState(Run other) {
      assertEquals(rows.keySet(), other.rows.keySet());
      rows.forEach((id, row) -> assertArrayEquals(row, other.rows.get(id), "row " + id));
      for (int b = 0; b < blocks.length; b++) {
        assertArrayEquals(blocks[b], other.blocks[b], "dense block " + b);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1} batch {2}")
  @MethodSource("cases")
  void theSameSeedGivesTheSameBits(ModelSpec model, OptimizerSpec optimizer, int batchSize) {
    Run a = new Run(model, optimizer, batchSize);
    Run b = new Run(model, optimizer, batchSize);
    for (float[][] e : examples(60, a.inputs, 1)) {
      a.process(e, false);
      b.process(e, false);
    }
    a.assertSameState(b);
    assertEquals(a.activations, b.activations);
    assertTrue(a.steps >= 60 / batchSize, "it learned");
  }

  @ParameterizedTest(name = "{0} {1} batch {2}")
  @MethodSource("cases")
  void snapshotRestoreAndContinueEqualsContinue(ModelSpec model, OptimizerSpec optimizer,
      int batchSize) {
    Run original = new Run(model, optimizer, batchSize);
    List<float[][]> stream = examples(64, original.inputs, 2);
    for (float[][] e : stream.subList(0, 32)) {
      original.process(e, false);
    }
    Run restored = original.restore();
    for (float[][] e : stream.subList(32, 64)) {
      original.process(e, false);
      restored.process(e, false);
    }
    original.assertSameState(restored);
    assertEquals(original.activations.subList(32, 64), restored.activations);
  }

  @ParameterizedTest(name = "{0} {1} batch {2}")
  @MethodSource("cases")
  void theInputIsNeverModified(ModelSpec model, OptimizerSpec optimizer, int batchSize) {
    Run run = new Run(model, optimizer, batchSize);
    for (float[][] e : examples(20, run.inputs, 3)) {
      float[][] before = new float[e.length][];
      for (int i = 0; i < e.length; i++) {
        before[i] = e[i].clone();
      }
      run.process(e, false);
      for (int i = 0; i < e.length; i++) {
        assertArrayEquals(before[i], e[i]);
      }
    }
  }

  /**
   * A feature seen for the first time starts from its documented initial row; at every step,
   * the rows no example of the batch touched keep their bits, and the touched ones (and the
   * bias, and every dense block) are the only ones that may change.
   */
  @ParameterizedTest(name = "{0} {1} batch {2}")
  @MethodSource("cases")
  void featuresAppearFromTheirInitialRowAndVanishedOnesStayPut(ModelSpec model,
      OptimizerSpec optimizer, int batchSize) {
    Run run = new Run(model, optimizer, batchSize);
    Run fresh = new Run(model, optimizer, batchSize);
    Map<Long, float[]> before = new TreeMap<>();
    java.util.Set<Long> touched = new java.util.HashSet<>();
    int appeared = 0;
    for (float[][] e : examples(48, run.inputs, 4)) {
      if (run.sparse) {
        for (float id : e[0]) {
          long key = (long) id;
          if (!run.rows.containsKey(key)) {
            appeared++;
            assertArrayEquals(fresh.row(key), run.row(key), "new row " + key);
          }
          touched.add(key);
        }
      }
      long stepsBefore = run.steps;
      run.process(e, false);
      if (run.steps != stepsBefore) {
        for (Map.Entry<Long, float[]> row : before.entrySet()) {
          if (!touched.contains(row.getKey()) && row.getKey() != BIAS) {
            assertArrayEquals(row.getValue(), run.rows.get(row.getKey()),
                "untouched row " + row.getKey());
          }
        }
        touched.clear();
        before.clear();
        run.rows.forEach((id, row) -> before.put(id, row.clone()));
      }
    }
    assertEquals(run.sparse, appeared > 0);
    if (run.sparse) {
      assertTrue(run.rows.size() > 20, "features 20..29 appeared in the second half");
    }
  }

  @ParameterizedTest(name = "{0} {1} batch {2}")
  @MethodSource("cases")
  void aBatchOfOneIsPlainOnlineLearning(ModelSpec model, OptimizerSpec optimizer,
      int batchSize) {
    if (batchSize != 1) {
      return;
    }
    Run batched = new Run(model, optimizer, 1);
    Run plain = new Run(model, optimizer, 1);
    for (float[][] e : examples(40, batched.inputs, 5)) {
      batched.process(e, false);
      plain.process(e, true);
    }
    batched.assertSameState(plain);
    assertEquals(plain.activations, batched.activations);
    assertFalse(plain.activations.stream().allMatch(a -> a.equals(plain.activations.get(0))),
        "the model moved");
  }
}
