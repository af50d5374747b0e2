package io.gradflow.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.Loss;
import io.gradflow.model.ParameterBlock;
import io.gradflow.optim.AdaDeltaSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.SgdSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mlp and wide_and_deep models against PyTorch (golden/deep_generate.py: a
 * {@code torch.nn.Sequential} with the same float32 weights, autograd, {@code torch.optim}):
 * every example's activation, the gradient of a batch's mean weighted loss with respect to every
 * parameter (dense layers, output row, bias row, sparse rows; an untouched row has none), and the
 * parameters after two optimizer steps on it, for every optimizer PyTorch has, at batch sizes 1
 * and 3.
 *
 * <p>Tolerance: PyTorch computes in float32 (relative error about 1e-7 per operation, a few dozen
 * operations deep), Gradflow in double rounded to float; 1e-7 absolute plus 1e-6 relative holds
 * every comparison with a margin of about 3 (measured; the largest deviation is printed).
 */
class DeepModelGoldenTest {
  private static final double ABS = 1e-7;
  private static final double REL = 1e-6;
  private static final long BIAS_ID = -1;
  private static final Map<String, OptimizerSpec> OPTIMIZERS = Map.of(
      "sgd", new SgdSpec(0.1, 0.9, 0.1, false, 0.01),
      "sgd_nesterov", new SgdSpec(0.05, 0.9, 0, true, 0),
      "adagrad", new AdaGradSpec(0.1, 0.01, 0.01, 0.1, 1e-10),
      "rmsprop", new RmsPropSpec(0.01, 0.9, 1e-8, 0.01, 0.9, true),
      "adadelta", new AdaDeltaSpec(1.0, 0.9, 1e-6, 0),
      "adam", new AdamSpec(0.01, 0.9, 0.99, 1e-8, 0.01, true),
      "adamw", new AdamWSpec(0.01, 0.9, 0.999, 1e-8, 0.05, false));
  private static double largest;

  static JsonNode golden() throws IOException {
    try (InputStream in = DeepModelGoldenTest.class.getResourceAsStream("/golden/deep.json")) {
      assertNotNull(in, "golden/deep.json is on the test class path");
      return new ObjectMapper().readTree(in);
    }
  }

  static Stream<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode c : golden().get("cases")) {
      for (JsonNode batch : c.get("batches")) {
        out.add(Arguments.of(c.get("name").asText() + " batch " + batch.get("examples").size(),
            c, batch));
      }
    }
    return out.stream();
  }

  /** One model's parameters in Gradflow's layout, loaded from a golden case. */
  static final class Model {
    final ExampleLearner learner;
    final float[][] blocks;
    final float[][] rows;
    final float[] bias;
    final int stride;

    Model(JsonNode c, OptimizerSpec optimizer) {
      List<Integer> hidden = new ArrayList<>();
      c.get("hidden").forEach(h -> hidden.add(h.asInt()));
      DeepModelSpec spec = new DeepModelSpec(c.get("wide").asBoolean(), hidden,
          DeepModelSpec.Activation.of(c.get("activation").asText()), c.get("inputs").asInt(),
          c.get("factors").asInt(), 0.1, DeepModelSpec.Pooling.of(c.get("pooling").asText()), 1,
          7);
      learner = new ExampleLearner(new LearnerSpec(spec,
          c.get("loss").asText().equals("logistic") ? Loss.LOGISTIC : Loss.SQUARED, optimizer,
          GradientSpec.NONE, new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false));
      stride = learner.layout().stride();
      blocks = learner.newDenseBlocks();
      JsonNode p = c.get("params");
      List<ParameterBlock> dense = learner.model().denseBlocks();
      for (int l = 0; l < hidden.size(); l++) {
        JsonNode w = p.get("layers").get(l).get(0);
        JsonNode b = p.get("layers").get(l).get(1);
        int in = dense.get(l).fanIn();
        for (int r = 0; r < hidden.get(l); r++) {
          int at = dense.get(l).rowOffset(r, stride);
          for (int j = 0; j < in; j++) {
            blocks[l][at + j * stride] = (float) w.get(r).get(j).asDouble();
          }
          blocks[l][at + in * stride] = (float) b.get(r).asDouble();
        }
      }
      JsonNode u = p.get("output");
      for (int j = 0; j < u.size(); j++) {
        blocks[hidden.size()][j * stride] = (float) u.get(j).asDouble();
      }
      bias = row(BIAS_ID, p.get("bias_row"));
      rows = new float[p.get("rows").size()][];
      for (int r = 0; r < rows.length; r++) {
        rows[r] = row(r, p.get("rows").get(r));
      }
    }

    private float[] row(long id, JsonNode weights) {
      float[] row = new float[learner.rowSize()];
      learner.initializeRow(id, row, 0);
      for (int j = 0; j < weights.size(); j++) {
        row[j * stride] = (float) weights.get(j).asDouble();
      }
      return row;
    }

    /** Predicts every example and adds it to the batch; returns the activations. */
    double[] accumulate(JsonNode examples, BatchGradient batch) {
      double[] activations = new double[examples.size()];
      for (int e = 0; e < examples.size(); e++) {
        JsonNode ex = examples.get(e);
        JsonNode sparse = ex.get("sparse");
        int n = sparse.size();
        float[][] pages = new float[n][];
        long[] ids = new long[n];
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
          ids[i] = sparse.get(i).get(0).asInt();
          pages[i] = rows[(int) ids[i]];
          values[i] = (float) sparse.get(i).get(1).asDouble();
        }
        float[] dense = new float[ex.get("dense").size()];
        for (int j = 0; j < dense.length; j++) {
          dense[j] = (float) ex.get("dense").get(j).asDouble();
        }
        int[] offsets = new int[n];
        activations[e] = learner.activation(pages, offsets, values, n, bias, 0, dense, blocks);
        learner.accumulate(batch, ids, BIAS_ID, pages, offsets, values, n, bias, 0, dense,
            blocks, activations[e], (float) ex.get("label").asDouble(),
            (float) ex.get("weight").asDouble());
      }
      return activations;
    }

    /** One step on the batch's mean gradient. */
    void step(BatchGradient batch, long step) {
      assertEquals(0, learner.stepDense(batch, blocks, step, learner.learningRate(step)));
      for (int i = 0; i < batch.rows(); i++) {
        long id = batch.rowId(i);
        assertTrue(learner.stepRow(batch, i, id == BIAS_ID ? bias : rows[(int) id], 0, step,
            learner.learningRate(step)));
      }
      batch.clear();
    }

    void assertWeights(JsonNode expected, String what) {
      List<ParameterBlock> dense = learner.model().denseBlocks();
      int layers = dense.size() - 1;
      for (int l = 0; l < layers; l++) {
        int in = dense.get(l).fanIn();
        for (int r = 0; r < dense.get(l).rows(); r++) {
          int at = dense.get(l).rowOffset(r, stride);
          for (int j = 0; j < in; j++) {
            close(expected.get("layers").get(l).get(0).get(r).get(j).asDouble(),
                blocks[l][at + j * stride], what + " layer" + (l + 1) + " W[" + r + "][" + j + "]");
          }
          close(expected.get("layers").get(l).get(1).get(r).asDouble(),
              blocks[l][at + in * stride], what + " layer" + (l + 1) + " bias[" + r + "]");
        }
      }
      JsonNode u = expected.get("output");
      for (int j = 0; j < u.size(); j++) {
        close(u.get(j).asDouble(), blocks[layers][j * stride], what + " output[" + j + "]");
      }
      assertRow(expected.get("bias_row"), bias, what + " bias row");
      for (int r = 0; r < rows.length; r++) {
        assertRow(expected.get("rows").get(r), rows[r], what + " row " + r);
      }
    }

    private void assertRow(JsonNode expected, float[] row, String what) {
      for (int j = 0; j < expected.size(); j++) {
        close(expected.get(j).asDouble(), row[j * stride], what + " weight " + j);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void forwardAndBackwardEqualPyTorch(String name, JsonNode c, JsonNode golden) {
    Model m = new Model(c, OPTIMIZERS.get("sgd"));
    BatchGradient batch = new BatchGradient(m.learner.model());
    double[] activations = m.accumulate(golden.get("examples"), batch);
    for (int e = 0; e < activations.length; e++) {
      close(golden.get("activations").get(e).asDouble(), activations[e], "activation " + e);
    }
    assertEquals(golden.get("examples").size(), batch.examples());
    JsonNode g = golden.get("gradients");
    // Dense blocks.
    List<ParameterBlock> dense = m.learner.model().denseBlocks();
    float[][] grads = new float[dense.size()][];
    for (int b = 0; b < grads.length; b++) {
      grads[b] = new float[dense.get(b).gradientSize()];
    }
    batch.meanDense(grads);
    int layers = dense.size() - 1;
    for (int l = 0; l < layers; l++) {
      int in = dense.get(l).fanIn();
      for (int r = 0; r < dense.get(l).rows(); r++) {
        for (int j = 0; j < in; j++) {
          close(g.get("layers").get(l).get(0).get(r).get(j).asDouble(), grads[l][r * (in + 1) + j],
              "dL/dW" + (l + 1) + "[" + r + "][" + j + "]");
        }
        close(g.get("layers").get(l).get(1).get(r).asDouble(), grads[l][r * (in + 1) + in],
            "dL/dc" + (l + 1) + "[" + r + "]");
      }
    }
    for (int j = 0; j < g.get("output").size(); j++) {
      close(g.get("output").get(j).asDouble(), grads[layers][j], "dL/du[" + j + "]");
    }
    // Sparse rows: exactly the touched ones have a gradient.
    float[] row = new float[m.learner.model().rowWidth()];
    int touched = 0;
    for (int i = 0; i < batch.rows(); i++) {
      long id = batch.rowId(i);
      JsonNode expected = id == BIAS_ID ? g.get("bias_row") : g.get("rows").get((int) id);
      assertTrue(!expected.isNull(), "row " + id + " has a gradient in PyTorch too");
      batch.meanRow(i, row);
      for (int j = 0; j < row.length; j++) {
        close(expected.get(j).asDouble(), row[j], "dL/d row " + id + " weight " + j);
      }
      touched += id == BIAS_ID ? 0 : 1;
    }
    int expectedTouched = 0;
    for (JsonNode r : g.get("rows")) {
      expectedTouched += r.isNull() ? 0 : 1;
    }
    assertEquals(expectedTouched, touched, "rows with a gradient");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void twoStepsOfEveryOptimizerEqualPyTorch(String name, JsonNode c, JsonNode golden) {
    for (Map.Entry<String, OptimizerSpec> o : OPTIMIZERS.entrySet()) {
      JsonNode trajectory = golden.get("steps").get(o.getKey());
      assertNotNull(trajectory, o.getKey());
      Model m = new Model(c, o.getValue());
      BatchGradient batch = new BatchGradient(m.learner.model());
      for (int step = 1; step <= 2; step++) {
        m.accumulate(golden.get("examples"), batch);
        m.step(batch, step);
        m.assertWeights(trajectory.get(step - 1), o.getKey() + " step " + step);
      }
    }
    System.out.printf("%s: largest deviation from PyTorch so far %.3g%n", name, largest);
  }

  private static void close(double expected, double actual, String what) {
    double error = Math.abs(expected - actual);
    largest = Math.max(largest, error / (ABS + REL * Math.abs(expected)));
    assertEquals(expected, actual, ABS + REL * Math.abs(expected), what);
  }
}
