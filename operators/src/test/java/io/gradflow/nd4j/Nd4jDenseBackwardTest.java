package io.gradflow.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.DeepModel;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.Loss;
import io.gradflow.model.ParameterBlock;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Nd4jDenseBackward} against the plain-Java per-example backward pass: for random shapes
 * (mlp and wide_and_deep, 0 to 3 hidden layers, ReLU and tanh, batches of 1 to 40, some examples
 * with d = 0), its sums equal the sum over the batch of {@link DeepModel#backward}'s dense block
 * gradients, and its dx0 the input gradient (the embedding part checked against
 * {@link DeepModel#backward}'s embedding row gradients, the whole of it against a plain per-example
 * chain rule written here).
 *
 * <p>Tolerance: {@link DeepModel#backward} rounds each example's gradient to float before it is
 * summed, ND4J does not; each term then differs by at most 2^-24 of itself, so a sum differs by
 * at most {@code 2^-24 * sum |term|} (asserted with 1.2e-7), plus the double rounding of both
 * sums (1e-12 absolute). dx0 against the chain rule here, both in double: 1e-10 relative to
 * the sum of the absolute terms.
 */
class Nd4jDenseBackwardTest {
  private static final float[][] NO_PAGES = new float[0][];
  private static final int[] NO_OFFSETS = new int[0];
  private static final float[] NO_VALUES = new float[0];

  @Test
  void matchesThePerExampleBackwardPassOnRandomShapes() {
    SplittableRandom random = new SplittableRandom(14);
    for (int trial = 0; trial < 60; trial++) {
      boolean wide = trial % 3 == 2;
      List<Integer> hidden = new ArrayList<>();
      int layers = trial % 4; // 0 to 3 hidden layers, [] included
      for (int l = 0; l < layers; l++) {
        hidden.add(1 + random.nextInt(24));
      }
      Activation activation = trial % 2 == 0 ? Activation.RELU : Activation.TANH;
      int inputs = (wide ? 0 : 1) + random.nextInt(12);
      int factors = wide ? 1 + random.nextInt(5) : 0;
      DeepModelSpec spec = new DeepModelSpec(wide, hidden, activation, inputs, factors, 0.3,
          Pooling.SUM, 1, trial);
      int batch = 1 + random.nextInt(40);
      check(spec, batch, random);
    }
  }

  @Test
  void aLargerBatchThroughWideLayers() {
    SplittableRandom random = new SplittableRandom(15);
    check(new DeepModelSpec(false, List.of(128, 64), Activation.RELU, 48, 0, 0.1, Pooling.SUM,
        1, 3), 256, random);
    check(new DeepModelSpec(true, List.of(96), Activation.TANH, 20, 8, 0.2, Pooling.SUM, 1, 4),
        100, random);
  }

  @Test
  void theBatchSizeMayChangeBetweenCallsAndSumsAreAdded() {
    SplittableRandom random = new SplittableRandom(16);
    DeepModelSpec spec = DeepModelSpec.mlp(5, List.of(7, 3), Activation.TANH);
    for (int batch : new int[] {8, 3, 8, 1}) {
      check(spec, batch, random);
    }
  }

  @Test
  void refusesArraysShorterThanTheBatchNeeds() {
    DeepModel model = (DeepModel) DeepModelSpec.mlp(3, List.of(4), Activation.RELU).create();
    Nd4jDenseBackward nd4j = new Nd4jDenseBackward(model);
    float[][] blocks = {new float[4 * (4 * 3 + 2)], new float[4 * 3 + 2]};
    double[][] acts = {new double[6], new double[8]};
    double[][] sums = {new double[16], new double[4]};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> nd4j.backward(model, blocks, 3, acts, new double[2], 2, sums, new double[5]));
    assertEquals("a batch of 2 needs d of 2, dx0 of 6 and 2 acts, sums and blocks, but they"
        + " have 2, 5, 2, 2 and 2", e.getMessage());
    DeepModel other = (DeepModel) DeepModelSpec.mlp(3, List.of(5), Activation.RELU).create();
    assertThrows(IllegalArgumentException.class,
        () -> nd4j.backward(other, blocks, 3, acts, new double[2], 2, sums, new double[6]));
  }

  /** Runs one batch through both and compares. */
  private static void check(DeepModelSpec spec, int batch, SplittableRandom random) {
    ExampleLearner learner = new ExampleLearner(new LearnerSpec(spec, Loss.LOGISTIC,
        AdamSpec.of(1e-3), GradientSpec.NONE, new ScheduleSpec.Constant(),
        ScheduleClock.MODEL_STEP, false));
    DeepModel model = (DeepModel) learner.model();
    int stride = learner.layout().stride();
    int layers = model.hiddenLayers();
    float[][] blocks = learner.newDenseBlocks();
    // Weights off their initial values, unit biases included, so that every term matters.
    for (int l = 0; l <= layers; l++) {
      ParameterBlock block = model.denseBlocks().get(l);
      for (int r = 0; r < block.rows(); r++) {
        for (int c = 0; c < block.width(); c++) {
          blocks[l][block.rowOffset(r, stride) + c * stride] += (float) random.nextGaussian(0,
              0.3);
        }
      }
    }
    float[] bias = new float[learner.rowSize()];
    learner.initializeRow(-1, bias, 0);
    int inputs = spec.inputs();
    int factors = spec.factors();
    double[][] acts = new double[layers + 1][];
    double[][] sums = new double[layers + 1][];
    double[][] expected = new double[layers + 1][];
    double[][] bound = new double[layers + 1][];
    for (int l = 0; l <= layers; l++) {
      acts[l] = new double[batch * model.layerInput(l)];
      int size = model.denseBlocks().get(l).gradientSize();
      sums[l] = new double[size];
      expected[l] = new double[size];
      bound[l] = new double[size];
      for (int i = 0; i < size; i++) {
        sums[l][i] = random.nextDouble(-1, 1); // the contract adds to what is there
        expected[l][i] = sums[l][i];
      }
    }
    double[] d = new double[batch];
    double[] embeddingGrads = new double[batch * factors];
    double[] acc = new double[model.accumulatorSize()];
    float[] grad = new float[model.rowWidth()];
    float[] biasGrad = new float[model.rowWidth()];
    float[][] blockGrads = new float[layers + 1][];
    for (int l = 0; l <= layers; l++) {
      blockGrads[l] = new float[model.denseBlocks().get(l).gradientSize()];
    }
    for (int b = 0; b < batch; b++) {
      float[] dense = new float[inputs];
      for (int j = 0; j < inputs; j++) {
        dense[j] = (float) random.nextDouble(-2, 2);
      }
      // wide_and_deep: one sparse feature of value 1, so its embedding row's gradient is dx0's
      // embedding part (sum pooling).
      float[][] pages = NO_PAGES;
      int[] offsets = NO_OFFSETS;
      float[] values = NO_VALUES;
      if (spec.wide()) {
        pages = new float[][] {new float[learner.rowSize()]};
        learner.initializeRow(1000 + b, pages[0], 0);
        offsets = new int[] {0};
        values = new float[] {1f};
      }
      int n = pages.length;
      double activation = model.forward(pages, offsets, values, n, bias, 0, stride, dense, blocks,
          acc);
      // The accumulator's forward part (DeepModel's javadoc): the partial, then x0, h_1 .. h_L.
      int at = model.partialSize();
      for (int l = 0; l <= layers; l++) {
        int width = model.layerInput(l);
        System.arraycopy(acc, at, acts[l], b * width, width);
        at += width;
      }
      d[b] = b % 5 == 4 ? 0 : random.nextDouble(-1, 1);
      model.backward(pages, offsets, values, n, bias, 0, stride, dense, blocks, acc, d[b], grad,
          biasGrad, blockGrads);
      for (int l = 0; l <= layers; l++) {
        for (int i = 0; i < blockGrads[l].length; i++) {
          expected[l][i] += blockGrads[l][i];
          bound[l][i] += Math.abs(blockGrads[l][i]);
        }
      }
      for (int f = 0; f < factors; f++) {
        embeddingGrads[b * factors + f] = grad[1 + f];
      }
      assertEquals(activation, bias[0] + dot(blocks[layers], stride, acts[layers], b,
          model.layerInput(layers)), 1e-12 * (1 + Math.abs(activation)), "h_L as read");
    }
    double[] dx0 = new double[batch * model.layerInput(0)];
    new Nd4jDenseBackward(model).backward(model, blocks, stride, acts, d, batch, sums, dx0);
    String where = spec + ", batch " + batch;
    for (int l = 0; l <= layers; l++) {
      for (int i = 0; i < sums[l].length; i++) {
        assertEquals(expected[l][i], sums[l][i], 1.2e-7 * bound[l][i] + 1e-12,
            where + ": block " + l + ", gradient " + i);
      }
    }
    double[] chain = new double[dx0.length];
    double[] scale = new double[dx0.length];
    chainRule(model, blocks, stride, acts, d, batch, chain, scale);
    for (int i = 0; i < dx0.length; i++) {
      assertEquals(chain[i], dx0[i], 1e-10 * scale[i] + 1e-15, where + ": dx0[" + i + "]");
    }
    int width = model.layerInput(0);
    for (int b = 0; b < batch; b++) {
      for (int f = 0; f < factors; f++) {
        double embedding = dx0[b * width + inputs + f];
        assertEquals(embeddingGrads[b * factors + f], embedding, 1.2e-7 * Math.abs(embedding)
            + 1e-30, where + ": example " + b + ", embedding " + f);
      }
    }
  }

  private static double dot(float[] u, int stride, double[] h, int b, int width) {
    double z = 0;
    for (int c = 0; c < width; c++) {
      z += u[c * stride] * h[b * width + c];
    }
    return z;
  }

  /**
   * dLoss/dx0 example by example, in double: delta_L = d u .* act'(h_L), then
   * delta_(l-1)[c] = act'(h_(l-1)[c]) sum_r delta_l[r] W_l[r][c]; with the sums of the absolute
   * products in {@code scale}.
   */
  private static void chainRule(DeepModel model, float[][] blocks, int stride, double[][] acts,
      double[] d, int batch, double[] dx0, double[] scale) {
    int layers = model.hiddenLayers();
    for (int b = 0; b < batch; b++) {
      int width = model.layerInput(layers);
      double[] delta = new double[width];
      double[] size = new double[width];
      for (int c = 0; c < width; c++) {
        delta[c] = d[b] * blocks[layers][c * stride]
            * derivative(model, layers, acts[layers][b * width + c]);
        size[c] = Math.abs(delta[c]);
      }
      for (int l = layers - 1; l >= 0; l--) {
        int in = model.layerInput(l);
        int rowSize = model.denseBlocks().get(l).rowSize(stride);
        double[] next = new double[in];
        double[] nextSize = new double[in];
        for (int c = 0; c < in; c++) {
          double da = derivative(model, l, acts[l][b * in + c]);
          for (int r = 0; r < delta.length; r++) {
            double w = blocks[l][r * rowSize + c * stride];
            next[c] += delta[r] * w * da;
            nextSize[c] += Math.abs(size[r] * w * da);
          }
        }
        delta = next;
        size = nextSize;
      }
      System.arraycopy(delta, 0, dx0, b * delta.length, delta.length);
      System.arraycopy(size, 0, scale, b * size.length, size.length);
    }
  }

  private static double derivative(DeepModel model, int l, double y) {
    if (l == 0) {
      return 1;
    }
    return model.relu() ? (y > 0 ? 1 : 0) : 1 - y * y;
  }
}
