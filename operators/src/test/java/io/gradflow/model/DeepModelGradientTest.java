package io.gradflow.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mlp's and wide_and_deep's backward pass against central finite differences of the forward
 * pass, for every parameter (sparse rows, the bias row, every dense block's weights and unit
 * biases, the output row), both activations, both poolings and both losses; the split forward
 * (partials and finish) against the whole one for every model type; the documented
 * initialization.
 *
 * <p>As in {@link ModelGradientTest}: weights are multiples of 2^-10 and h = 2^-12, so the
 * perturbed weights are exact floats and the forward passes run in double. The activation is no
 * longer linear in each weight (ReLU's kinks, tanh's curvature): the truncation error of the
 * central difference is h^2/6 times a third derivative of order 1, below 1e-8; no pre-activation
 * of these seeded examples lies within a perturbation's reach of ReLU's kink (the test would fail
 * at that unit). Tolerance: 1e-6 absolute plus 1e-6 relative (the analytic gradient is rounded to
 * float).
 */
class DeepModelGradientTest {
  private static final double H = 0x1.0p-12;
  private static final double TOLERANCE = 1e-6;
  private static final int STRIDE = 3;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    List<DeepModelSpec> specs = List.of(
        new DeepModelSpec(false, List.of(6, 4), Activation.RELU, 5, 0, 0.1, Pooling.SUM, 1, 3),
        new DeepModelSpec(false, List.of(5), Activation.TANH, 3, 0, 0.1, Pooling.SUM, 1, 4),
        new DeepModelSpec(false, List.of(), Activation.TANH, 3, 0, 0.1, Pooling.SUM, 1, 4),
        new DeepModelSpec(true, List.of(5, 3), Activation.RELU, 2, 3, 0.3, Pooling.SUM, 1, 5),
        new DeepModelSpec(true, List.of(4), Activation.TANH, 3, 2, 0.3, Pooling.MEAN, 1, 6),
        new DeepModelSpec(true, List.of(4), Activation.RELU, 0, 3, 0.3, Pooling.MEAN, 1, 8));
    for (DeepModelSpec spec : specs) {
      for (Loss loss : Loss.values()) {
        double label = loss == Loss.LOGISTIC ? 1 : -0.7;
        cases.add(Arguments.of(spec, loss, label, 1.0));
        cases.add(Arguments.of(spec, loss, loss == Loss.LOGISTIC ? 0.0 : 2.1, 2.5));
      }
    }
    return cases.stream();
  }

  /** Dense inputs and dense blocks of exact weights, slots NaN (never read). */
  static final class Dense {
    final float[] inputs;
    final float[][] blocks;

    Dense(Model model, long seed) {
      Random random = new Random(seed);
      inputs = new float[Math.max(model.denseInputs(), 0)];
      for (int j = 0; j < inputs.length; j++) {
        inputs[j] = (random.nextInt(33) - 16) / 8f;
      }
      List<ParameterBlock> dense = model.denseBlocks();
      blocks = new float[dense.size()][];
      for (int b = 0; b < blocks.length; b++) {
        ParameterBlock block = dense.get(b);
        blocks[b] = new float[block.size(STRIDE)];
        Arrays.fill(blocks[b], Float.NaN);
        for (int r = 0; r < block.rows(); r++) {
          for (int j = 0; j < block.width(); j++) {
            blocks[b][block.rowOffset(r, STRIDE) + j * STRIDE] =
                (random.nextInt(1025) - 512) / 1024f;
          }
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void backwardEqualsCentralFiniteDifferences(DeepModelSpec spec, Loss loss, double label,
      double importance) {
    Model model = spec.create();
    int width = model.rowWidth();
    ModelGradientTest.Example e = new ModelGradientTest.Example(model, spec.wide() ? 6 : 0,
        STRIDE, 17);
    Dense d = new Dense(model, 23);
    double[] acc = new double[model.accumulatorSize()];
    double a = forward(model, e, d, acc);
    float[] grad = new float[e.n * width];
    float[] biasGrad = new float[width];
    Arrays.fill(biasGrad, 99f);
    List<ParameterBlock> blocks = model.denseBlocks();
    float[][] blockGrads = new float[blocks.size()][];
    for (int b = 0; b < blockGrads.length; b++) {
      blockGrads[b] = new float[blocks.get(b).gradientSize()];
      Arrays.fill(blockGrads[b], 99f);
    }
    model.backward(e.pageOf, e.offsets, e.values, e.n, e.biasPage, e.biasOffset, STRIDE,
        d.inputs, d.blocks, acc, importance * loss.gradient(a, label), grad, biasGrad,
        blockGrads);
    for (int i = 0; i < e.n; i++) {
      for (int j = 0; j < width; j++) {
        assertClose(numeric(model, loss, label, importance, e, d, e.pageOf[i],
            e.offsets[i] + j * STRIDE), grad[i * width + j], "feature " + i + " weight " + j);
      }
    }
    for (int j = 0; j < width; j++) {
      assertClose(numeric(model, loss, label, importance, e, d, e.biasPage,
          e.biasOffset + j * STRIDE), biasGrad[j], "bias weight " + j);
    }
    int checked = 0;
    for (int b = 0; b < blocks.size(); b++) {
      ParameterBlock block = blocks.get(b);
      for (int r = 0; r < block.rows(); r++) {
        for (int j = 0; j < block.width(); j++) {
          double numeric = numeric(model, loss, label, importance, e, d, d.blocks[b],
              block.rowOffset(r, STRIDE) + j * STRIDE);
          assertClose(numeric, blockGrads[b][r * block.width() + j],
              block.name() + " row " + r + " weight " + j);
          checked += numeric != 0 ? 1 : 0;
        }
      }
    }
    assertTrue(checked > 0, "some dense weight has a non-zero gradient");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void inputsAreNeverModified(DeepModelSpec spec, Loss loss, double label, double importance) {
    Model model = spec.create();
    ModelGradientTest.Example e = new ModelGradientTest.Example(model, spec.wide() ? 5 : 0,
        STRIDE, 3);
    Dense d = new Dense(model, 5);
    float[] pageBefore = e.pageOf.length > 0 ? e.pageOf[0].clone() : new float[0];
    float[] biasBefore = e.biasPage.clone();
    float[] inputsBefore = d.inputs.clone();
    float[][] blocksBefore = new float[d.blocks.length][];
    for (int b = 0; b < blocksBefore.length; b++) {
      blocksBefore[b] = d.blocks[b].clone();
    }
    double[] acc = new double[model.accumulatorSize()];
    double a = forward(model, e, d, acc);
    float[][] blockGrads = new float[d.blocks.length][];
    for (int b = 0; b < blockGrads.length; b++) {
      blockGrads[b] = new float[model.denseBlocks().get(b).gradientSize()];
    }
    model.backward(e.pageOf, e.offsets, e.values, e.n, e.biasPage, e.biasOffset, STRIDE,
        d.inputs, d.blocks, acc, loss.gradient(a, label), new float[e.n * model.rowWidth()],
        new float[model.rowWidth()], blockGrads);
    if (e.pageOf.length > 0) {
      assertArrayEquals(pageBefore, e.pageOf[0]);
    }
    assertArrayEquals(biasBefore, e.biasPage);
    assertArrayEquals(inputsBefore, d.inputs);
    for (int b = 0; b < blocksBefore.length; b++) {
      assertArrayEquals(blocksBefore[b], d.blocks[b]);
    }
    assertEquals(a, forward(model, e, d, new double[model.accumulatorSize()]), 0.0);
  }

  static Stream<ModelSpec> everyModelType() {
    return Stream.of(new LinearSpec(), new FactorizationMachineSpec(4, 0.3, 2),
        new DeepModelSpec(false, List.of(3), Activation.RELU, 4, 0, 0.1, Pooling.SUM, 1, 3),
        new DeepModelSpec(true, List.of(4), Activation.TANH, 2, 3, 0.3, Pooling.MEAN, 1, 6));
  }

  /**
   * The forward pass is begin, partials, finish: in one run the same bits; and partials of
   * disjoint row sets computed apart and summed give the same activation up to the rounding of
   * the sum's order (1e-12 here).
   */
  @ParameterizedTest
  @MethodSource("everyModelType")
  void theForwardPassSplitsIntoAdditivePartialsAndAFinish(ModelSpec spec) {
    Model model = spec.create();
    boolean sparse = !(model instanceof DeepModel deep) || deep.readsSparseFeatures();
    ModelGradientTest.Example e = new ModelGradientTest.Example(model, sparse ? 8 : 0, STRIDE,
        31);
    Dense d = new Dense(model, 37);
    double whole = forward(model, e, d, new double[model.accumulatorSize()]);
    int size = Math.max(model.partialSize(), model.accumulatorSize());
    double[] one = new double[size];
    model.beginPartial(e.biasPage, e.biasOffset, STRIDE, one);
    model.addPartials(e.pageOf, e.offsets, e.values, 0, e.n, STRIDE, one);
    assertEquals(whole, model.finish(one, d.inputs, d.blocks, STRIDE), 0.0);

    double[] first = new double[size];
    double[] second = new double[size];
    model.beginPartial(e.biasPage, e.biasOffset, STRIDE, first);
    model.addPartials(e.pageOf, e.offsets, e.values, 0, e.n / 2, STRIDE, first);
    model.beginPartial(e.biasPage, e.biasOffset, STRIDE, second);
    double[] empty = second.clone();
    model.addPartials(e.pageOf, e.offsets, e.values, e.n / 2, e.n, STRIDE, second);
    double[] combined = new double[size];
    for (int j = 0; j < model.partialSize(); j++) {
      combined[j] = first[j] + second[j] - empty[j]; // the second shard's bias counted once
    }
    assertEquals(whole, model.finish(combined, d.inputs, d.blocks, STRIDE), 1e-12);
  }

  @Test
  void anMlpReadsOnlyItsDenseInputs() {
    Model mlp = DeepModelSpec.mlp(3, List.of(2), Activation.RELU).create();
    Dense d = new Dense(mlp, 1);
    ModelGradientTest.Example e = new ModelGradientTest.Example(mlp, 4, STRIDE, 2);
    double[] acc = new double[mlp.accumulatorSize()];
    double withFeatures = forward(mlp, e, d, acc);
    double without = mlp.forward(e.pageOf, e.offsets, e.values, 0, e.biasPage, e.biasOffset,
        STRIDE, d.inputs, d.blocks, acc);
    assertEquals(without, withFeatures, 0.0);
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> mlp.forward(e.pageOf, e.offsets, e.values, 0, e.biasPage, e.biasOffset, STRIDE,
            new float[2], d.blocks, acc));
    assertEquals("the model reads 3 dense features (model.inputs), but the example has 2",
        wrong.getMessage());
  }

  /**
   * He-normal for ReLU (N(0, 2/fan_in)), Glorot-uniform for tanh (U(-a, a), a = sqrt(6 /
   * (fan_in + fan_out))), unit biases 0, embeddings N(0, init_std^2): checked on the moments of
   * 64 x 64 draws (the sample variance of n normal draws has a relative deviation of about
   * sqrt(2/n) = 0.018; the bound 0.08 is more than four of them) and the uniform bound; the same
   * (seed, block, row) gives the same bits, another seed other bits.
   */
  @Test
  void denseWeightsStartAsDocumented() {
    for (Activation activation : Activation.values()) {
      DeepModelSpec spec = new DeepModelSpec(true, List.of(64, 16), activation, 60, 4, 0.2,
          Pooling.SUM, 1, 99);
      Model model = spec.create();
      ParameterBlock layer = model.denseBlocks().get(0);
      assertEquals(64, layer.fanIn());
      float[] block = new float[layer.size(1)];
      double sum = 0;
      double squares = 0;
      double largest = 0;
      for (int r = 0; r < layer.rows(); r++) {
        int at = layer.rowOffset(r, 1);
        model.initializeDenseRow(0, r, block, at, 1);
        assertEquals(0f, block[at + 64], "a unit's bias starts at 0");
        for (int j = 0; j < 64; j++) {
          sum += block[at + j];
          squares += block[at + j] * block[at + j];
          largest = Math.max(largest, Math.abs(block[at + j]));
        }
      }
      int n = 64 * 64;
      double variance = squares / n - (sum / n) * (sum / n);
      double expected = activation == Activation.RELU ? 2.0 / 64 : 6.0 / (64 + 64) / 3;
      assertEquals(1, variance / expected, 0.08, activation + " variance");
      if (activation == Activation.TANH) {
        assertTrue(largest <= Math.sqrt(6.0 / 128), "a Glorot-uniform draw is within +-a");
      }
      float[] again = new float[layer.size(1)];
      float[] other = new float[layer.size(1)];
      model.initializeDenseRow(0, 5, again, 0, 1);
      spec.withSeed(100).create().initializeDenseRow(0, 5, other, 0, 1);
      assertArrayEquals(Arrays.copyOfRange(block, layer.rowOffset(5, 1),
          layer.rowOffset(6, 1) - 2), Arrays.copyOf(again, layer.size(1) / 64 - 2));
      assertTrue(!Arrays.equals(again, other), "another seed, other weights");
    }
  }

  private static double forward(Model model, ModelGradientTest.Example e, Dense d,
      double[] acc) {
    return model.forward(e.pageOf, e.offsets, e.values, e.n, e.biasPage, e.biasOffset, STRIDE,
        d.inputs, d.blocks, acc);
  }

  private static double numeric(Model model, Loss loss, double label, double importance,
      ModelGradientTest.Example e, Dense d, float[] page, int at) {
    float w = page[at];
    double[] acc = new double[model.accumulatorSize()];
    page[at] = (float) (w + H);
    double up = importance * loss.loss(forward(model, e, d, acc), label);
    page[at] = (float) (w - H);
    double down = importance * loss.loss(forward(model, e, d, acc), label);
    page[at] = w;
    return (up - down) / (2 * H);
  }

  private static void assertClose(double expected, double actual, String what) {
    assertEquals(expected, actual, TOLERANCE + TOLERANCE * Math.abs(expected), what);
  }
}
