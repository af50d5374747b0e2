package io.gradflow.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.DeepModel;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.DenseBackend;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.JavaDenseBackward;
import io.gradflow.model.Loss;
import io.gradflow.model.ParameterBlock;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The batched gradient of a deep model equals, bit for bit, the sum of single-example
 * {@link DeepModel#backward} results (each gradient element rounded to float, then summed in
 * double in example order), which is what the trainer summed before a batch kept its examples:
 * {@link JavaDenseBackward}'s dense sums, and the whole {@link BatchGradient} (sparse rows in
 * first-touch order, bias, dense blocks) formed at the step; and its state round trip. Random
 * shapes: mlp and wide_and_deep, no hidden layer to three, ReLU and tanh, sum and mean pooling,
 * weighted examples and one of weight 0.
 */
class DenseBackwardTest {
  static final long BIAS = -7;
  static final List<List<Integer>> HIDDEN =
      List.of(List.of(), List.of(5), List.of(6, 3), List.of(4, 4, 2));

  /** One random model, its rows and blocks, and a batch of examples through both paths. */
  static final class Case {
    final DeepModel model;
    final ExampleLearner learner;
    final int stride;
    final float[][] blocks;
    final Map<Long, float[]> rows = new LinkedHashMap<>();
    final float[] bias;
    final Random random;
    // The single-example reference: per-row and per-block double sums in example order.
    final Map<Long, double[]> rowSums = new LinkedHashMap<>();
    final double[][] denseSums;
    final List<double[]> accs = new ArrayList<>();
    final List<Double> ds = new ArrayList<>();
    int learned;

    Case(long seed) {
      this(seed, DenseBackend.JAVA);
    }

    Case(long seed, DenseBackend backend) {
      random = new Random(seed);
      boolean wide = random.nextBoolean();
      DeepModelSpec spec = new DeepModelSpec(wide, HIDDEN.get(random.nextInt(HIDDEN.size())),
          random.nextBoolean() ? Activation.RELU : Activation.TANH, 1 + random.nextInt(4),
          wide ? 1 + random.nextInt(3) : 0, 0.3, random.nextBoolean() ? Pooling.SUM
              : Pooling.MEAN, 4, seed).withDenseBackend(backend);
      learner = new ExampleLearner(new LearnerSpec(spec, Loss.LOGISTIC, AdamSpec.of(0.01),
          GradientSpec.NONE, new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false));
      model = (DeepModel) learner.model();
      stride = learner.layout().stride();
      blocks = learner.newDenseBlocks();
      bias = row(BIAS);
      bias[0] = 0.2f;
      List<ParameterBlock> dense = model.denseBlocks();
      denseSums = new double[dense.size()][];
      for (int b = 0; b < dense.size(); b++) {
        denseSums[b] = new double[dense.get(b).gradientSize()];
      }
    }

    float[] row(long id) {
      return rows.computeIfAbsent(id, i -> {
        float[] row = new float[learner.rowSize()];
        learner.initializeRow(i, row, 0);
        row[0] = (float) (0.5 * random.nextGaussian());
        return row;
      });
    }

    /**
     * A batch of 1 to {@code most} examples of weights in [0.5, 2.5), but example
     * {@code weightless} of weight 0.
     */
    BatchGradient batch(int most, int weightless) {
      BatchGradient batch = new BatchGradient(model);
      int examples = 1 + random.nextInt(most);
      for (int e = 0; e < examples; e++) {
        add(batch, e == weightless ? 0f : (float) (0.5 + random.nextDouble() * 2));
      }
      return batch;
    }

    /** One example into {@code batch} and into the reference sums. */
    void add(BatchGradient batch, float weight) {
      int n = model.readsSparseFeatures() ? random.nextInt(4) : 0;
      long[] ids = new long[n];
      float[] values = new float[n];
      float[][] pages = new float[n][];
      for (int i = 0; i < n; i++) {
        ids[i] = 10 * i + random.nextInt(3); // distinct within an example, shared across them
        values[i] = (float) (0.5 + random.nextDouble());
        pages[i] = row(ids[i]);
      }
      int[] offsets = new int[n];
      float[] dense = new float[model.denseInputs()];
      for (int j = 0; j < dense.length; j++) {
        dense[j] = (float) random.nextGaussian();
      }
      float label = random.nextBoolean() ? 1f : 0f;
      double a = learner.activation(pages, offsets, values, n, bias, 0, dense, blocks);
      learner.accumulate(batch, ids, BIAS, pages, offsets, values, n, bias, 0, dense, blocks, a,
          label, weight);
      if (weight == 0) {
        return;
      }
      learned++;
      double[] acc = new double[model.accumulatorSize()];
      assertEquals(a, model.forward(pages, offsets, values, n, bias, 0, stride, dense, blocks,
          acc));
      double d = Loss.LOGISTIC.gradient(a, label) * weight;
      accs.add(acc.clone());
      ds.add(d);
      float[] grad = new float[n * model.rowWidth()];
      float[] biasGrad = new float[model.rowWidth()];
      float[][] blockGrads = new float[denseSums.length][];
      for (int b = 0; b < blockGrads.length; b++) {
        blockGrads[b] = new float[denseSums[b].length];
      }
      model.backward(pages, offsets, values, n, bias, 0, stride, dense, blocks, acc, d, grad,
          biasGrad, blockGrads);
      for (int i = 0; i < n; i++) {
        addRow(ids[i], grad, i * model.rowWidth());
      }
      addRow(BIAS, biasGrad, 0);
      for (int b = 0; b < blockGrads.length; b++) {
        for (int k = 0; k < blockGrads[b].length; k++) {
          denseSums[b][k] += blockGrads[b][k];
        }
      }
    }

    private void addRow(long id, float[] grad, int from) {
      double[] sum = rowSums.computeIfAbsent(id, i -> new double[model.rowWidth()]);
      for (int j = 0; j < sum.length; j++) {
        sum[j] += grad[from + j];
      }
    }

    /** The batch's formed gradient against the reference's, bit for bit. */
    void assertSameGradient(BatchGradient batch, String what) {
      assertEquals(learned, batch.examples(), what);
      float[][] means = new float[denseSums.length][];
      for (int b = 0; b < means.length; b++) {
        means[b] = new float[denseSums[b].length];
      }
      batch.meanDense(means);
      for (int b = 0; b < means.length; b++) {
        float[] expected = new float[denseSums[b].length];
        for (int k = 0; k < expected.length; k++) {
          expected[k] = (float) (denseSums[b][k] / learned);
        }
        assertArrayEquals(expected, means[b], what + ", dense block " + b);
      }
      assertEquals(List.copyOf(rowSums.keySet()), rowIds(batch), what + ", first-touch order");
      float[] mean = new float[model.rowWidth()];
      int i = 0;
      for (double[] sum : rowSums.values()) {
        batch.meanRow(i++, mean);
        float[] expected = new float[sum.length];
        for (int j = 0; j < sum.length; j++) {
          expected[j] = (float) (sum[j] / learned);
        }
        assertArrayEquals(expected, mean, what + ", row " + batch.rowId(i - 1));
      }
    }
  }

  static List<Long> rowIds(BatchGradient batch) {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < batch.rows(); i++) {
      ids.add(batch.rowId(i));
    }
    return ids;
  }

  @Test
  void javaDenseBackwardSumsSingleExampleBackwardPassesBitForBit() {
    for (long seed = 0; seed < 60; seed++) {
      Case c = new Case(seed);
      int batch = 1 + c.random.nextInt(9);
      for (int e = 0; e < batch; e++) {
        c.add(new BatchGradient(c.model), (float) (0.5 + c.random.nextDouble()));
      }
      DeepModel m = c.model;
      int layers = m.hiddenLayers();
      double[][] acts = new double[layers + 1][];
      for (int l = 0; l <= layers; l++) {
        acts[l] = new double[batch * m.layerInput(l)];
        for (int e = 0; e < batch; e++) {
          System.arraycopy(c.accs.get(e), m.activationsAt(l), acts[l], e * m.layerInput(l),
              m.layerInput(l));
        }
      }
      double[] d = c.ds.stream().mapToDouble(Double::doubleValue).toArray();
      double[][] sums = new double[layers + 1][];
      for (int b = 0; b <= layers; b++) {
        sums[b] = new double[c.denseSums[b].length];
      }
      double[] dx0 = new double[batch * m.layerInput(0)];
      new JavaDenseBackward().backward(m, c.blocks, c.stride, acts, d, batch, sums, dx0);
      for (int b = 0; b <= layers; b++) {
        assertArrayEquals(c.denseSums[b], sums[b], m + ", block " + b);
      }
      // dx0, bit for bit: each example's dLoss/dx0 as its single-example backward pass left it.
      int in0 = m.layerInput(0);
      for (int e = 0; e < batch; e++) {
        double[] acc = c.accs.get(e).clone();
        float[][] grads = new float[layers + 1][];
        for (int b = 0; b <= layers; b++) {
          grads[b] = new float[c.denseSums[b].length];
        }
        int at = m.backwardDense(c.blocks, c.stride, acc, d[e], grads);
        assertArrayEquals(Arrays.copyOfRange(acc, at, at + in0),
            Arrays.copyOfRange(dx0, e * in0, (e + 1) * in0), m + ", dx0 of example " + e);
      }
      assertThrows(IllegalArgumentException.class, () -> new JavaDenseBackward().backward(m,
          c.blocks, c.stride, acts, d, batch + 1, sums, dx0));
    }
  }

  /**
   * A learner whose {@code model.dense_backend} is nd4j forms, from the same examples, the same
   * batch gradient as the plain-Java one up to rounding: dense blocks and the sparse rows (whose
   * embedding parts come from ND4J's dx0), within 1e-5 relative of the larger sum plus 1e-7; and
   * not bit for bit (ND4J sums unrounded products), so the learner really ran ND4J's pass.
   */
  @Test
  void anNd4jLearnerFormsTheJavaLearnersBatchGradientUpToRounding() {
    int differing = 0;
    for (long seed = 300; seed < 320; seed++) {
      Case java = new Case(seed, DenseBackend.JAVA);
      Case nd4j = new Case(seed, DenseBackend.ND4J);
      BatchGradient a = java.batch(40, 5);
      BatchGradient b = nd4j.batch(40, 5);
      String what = java.model.toString();
      assertEquals(a.examples(), b.examples(), what);
      assertEquals(rowIds(a), rowIds(b), what);
      float[][] da = new float[java.denseSums.length][];
      float[][] db = new float[java.denseSums.length][];
      for (int k = 0; k < da.length; k++) {
        da[k] = new float[java.denseSums[k].length];
        db[k] = new float[java.denseSums[k].length];
      }
      a.meanDense(da);
      b.meanDense(db);
      for (int k = 0; k < da.length; k++) {
        assertClose(da[k], db[k], what + ", dense block " + k);
        differing += Arrays.equals(da[k], db[k]) ? 0 : 1;
      }
      float[] ra = new float[java.model.rowWidth()];
      float[] rb = new float[java.model.rowWidth()];
      for (int i = 0; i < a.rows(); i++) {
        a.meanRow(i, ra);
        b.meanRow(i, rb);
        assertClose(ra, rb, what + ", row " + a.rowId(i));
      }
    }
    assertTrue(differing > 0, "no dense block's bits differ: ND4J did not run");
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      double tolerance = 1e-5 * Math.max(Math.abs(expected[i]), Math.abs(actual[i])) + 1e-7;
      assertEquals(expected[i], actual[i], tolerance, what + " [" + i + "]");
    }
  }

  @Test
  void aBatchFormedAtItsStepEqualsTheSumOfSingleExampleBackwardPasses() {
    for (long seed = 100; seed < 160; seed++) {
      Case c = new Case(seed);
      BatchGradient batch = c.batch(9, 2);
      c.assertSameGradient(batch, c.model.toString());
    }
  }

  /**
   * The examples in flight survive {@link BatchGradient#stateNumbers()} and
   * {@link BatchGradient#stateRows()}: a batch restored from them and formed at the step (with
   * the same blocks) has the same gradient, bit for bit.
   */
  @Test
  void aRestoredBatchFormsTheSameGradient() {
    for (long seed = 200; seed < 240; seed++) {
      Case c = new Case(seed);
      BatchGradient batch = c.batch(12, -1);
      BatchGradient restored = new BatchGradient(c.model);
      restored.restore(batch.stateNumbers(), batch.stateRows());
      assertThrows(IllegalStateException.class, restored::rows, "no blocks to form it with");
      restored.sum(new JavaDenseBackward(), c.blocks, c.stride);
      c.assertSameGradient(restored, c.model + ", restored");
      double[] numbers = batch.stateNumbers();
      assertThrows(IllegalArgumentException.class, () -> new BatchGradient(c.model).restore(
          Arrays.copyOf(numbers, numbers.length - 1), batch.stateRows()));
    }
  }
}
