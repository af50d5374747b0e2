package io.gradflow.learn;

import io.gradflow.model.DeepModel;
import io.gradflow.model.DenseBackends;
import io.gradflow.model.DenseBackward;
import io.gradflow.model.JavaDenseBackward;
import io.gradflow.model.Loss;
import io.gradflow.model.Model;
import io.gradflow.optim.RowLayout;
import io.gradflow.optim.RowUpdater;
import io.gradflow.schedule.Schedule;

/**
 * Predicts and learns one example whose rows are already resolved to arrays and offsets: the
 * arithmetic that the trainer operator and the bare-loop reference share, so that both produce
 * the same bits.
 *
 * <p>Row {@code i} of the example is at {@code pages[i][offsets[i] ..]} in the optimizer's
 * {@link RowLayout} for the model's row width (weights interleaved with slots, then the step
 * count); the bias row likewise. {@link #activation} runs the model's forward pass;
 * {@link #learn}, called right after it on the same rows, runs the backward pass and steps every
 * row once with the learning rate the schedule gives for the model's clock.
 *
 * <p>Not thread-safe: it owns scratch buffers (grown, never shrunk) and the updater's counters.
 * One per operator instance.
 */
public final class ExampleLearner {
  private final LearnerSpec spec;
  private final Model model;
  private final Loss loss;
  private final RowUpdater updater;
  private final Schedule schedule;
  private final int rowWidth;
  private final RowLayout layout;
  private double[] acc;
  private float[] grad = new float[0];
  private final float[] biasGrad;
  private final java.util.List<io.gradflow.model.ParameterBlock> denseBlocks;
  private final float[][] blockGrads;
  /** A deep model's batched dense backward pass: the one place its implementation is chosen. */
  private final DenseBackward denseBackward;

  /** A learner with its drift policy's slot decay ({@code drift.slot_decay}; 1 without one). */
  public ExampleLearner(LearnerSpec spec) {
    this(spec, spec.drift().slotDecay());
  }

  /**
   * @param slotDecay the share of a row's optimizer slots kept at each of its updates, in (0, 1]
   *     (1: off); see {@link RowUpdater}
   * @throws IllegalArgumentException if slotDecay is not in (0, 1]
   */
  public ExampleLearner(LearnerSpec spec, double slotDecay) {
    this.spec = spec;
    this.model = spec.model().create();
    this.loss = spec.loss();
    this.updater = new RowUpdater(spec.optimizer(), spec.gradient(), slotDecay);
    this.schedule = spec.schedule().create(spec.optimizer().learningRate());
    this.rowWidth = model.rowWidth();
    this.layout = updater.layout(rowWidth);
    this.acc = new double[Math.max(model.accumulatorSize(), model.partialSize())];
    this.biasGrad = new float[rowWidth];
    this.denseBlocks = model.denseBlocks();
    this.denseBackward = model instanceof DeepModel deep
        ? DenseBackends.of(deep, JavaDenseBackward::new) : null;
    this.blockGrads = new float[denseBlocks.size()][];
    for (int b = 0; b < blockGrads.length; b++) {
      blockGrads[b] = new float[denseBlocks.get(b).gradientSize()];
    }
  }

  /** The model this learner runs. */
  public Model model() {
    return model;
  }

  /**
   * The model's dense blocks, new: every row's initial weights ({@link Model#initializeDenseRow},
   * seeded by the model seed and the row's id), the optimizer's initial slots, step 0. One
   * array per block of {@link Model#denseBlocks()}; empty for a model without dense blocks.
   */
  public float[][] newDenseBlocks() {
    int stride = layout.stride();
    float[][] blocks = new float[denseBlocks.size()][];
    for (int b = 0; b < blocks.length; b++) {
      io.gradflow.model.ParameterBlock block = denseBlocks.get(b);
      blocks[b] = new float[block.size(stride)];
      for (int r = 0; r < block.rows(); r++) {
        int at = block.rowOffset(r, stride);
        model.initializeDenseRow(b, r, blocks[b], at, stride);
        updater.initialize(blocks[b], at, block.width());
      }
    }
    return blocks;
  }

  public LearnerSpec spec() {
    return spec;
  }

  public Loss loss() {
    return loss;
  }

  /** Floats per row: weights, slots and step count. */
  public int rowSize() {
    return layout.size();
  }

  public RowLayout layout() {
    return layout;
  }

  /** Writes a new row: the model's initial weights, the optimizer's initial slots, step 0. */
  public void initializeRow(long rowId, float[] page, int offset) {
    model.initializeRow(rowId, page, offset, layout.stride());
    updater.initialize(page, offset, rowWidth);
  }

  /**
   * Forgets part of the optimizer history of the row at {@code page[offset ..]} (a drift policy's
   * action): {@link RowUpdater#forget} with the model's row width. Weights are never changed;
   * {@code keep == 0} resets the slots and the step count to a new row's, {@code 0 < keep < 1}
   * decays the slots toward them.
   *
   * @return false if the row was left unchanged because the result would not be finite
   * @throws IllegalArgumentException if keep is not in [0, 1]
   */
  public boolean forgetRow(float[] page, int offset, double keep) {
    return updater.forget(page, offset, rowWidth, keep);
  }

  /** The share of a row's slot history kept at each of its updates (1: no slot decay). */
  public double slotDecay() {
    return updater.slotDecay();
  }

  /** The learning rate at schedule clock {@code t}. */
  public double learningRate(long t) {
    return schedule.learningRate(t);
  }

  /** The model's activation for the example (the loss turns it into a prediction). */
  public double activation(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset) {
    return activation(pages, offsets, values, n, biasPage, biasOffset, Model.NO_DENSE,
        Model.NO_BLOCKS);
  }

  /**
   * The activation of a model with dense inputs and dense blocks ({@link #newDenseBlocks()}'s
   * arrays, or restored ones).
   */
  public double activation(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, float[] dense, float[][] blocks) {
    return model.forward(pages, offsets, values, n, biasPage, biasOffset, layout.stride(), dense,
        blocks, acc);
  }

  /**
   * Learns the example, right after {@link #activation} on the same rows: one optimizer step on
   * every row and on the bias. An example of importance weight 0 is not learned at all (Vowpal
   * Wabbit's rule: score, do not learn): no row, slot or step count changes, where a step with a
   * zero gradient would still move Adam's and momentum's weights and advance the step counts.
   * Callers decide with {@link io.gradflow.model.CompactExample#learnable()} and do not call this
   * for such an example; this guard keeps every path to the rows to the same rule.
   *
   * @param modelStep the model's step count for this example: examples the model has learned,
   *     counting this one (Adam's {@code bias_correction: global} uses it)
   * @return the number of rows whose update was refused (a non-finite gradient or result; 0
   *     normally)
   */
  public int learn(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, double activation, float label, float weight, long modelStep,
      double learningRate) {
    return learn(pages, offsets, values, n, biasPage, biasOffset, Model.NO_DENSE,
        Model.NO_BLOCKS, activation, label, weight, modelStep, learningRate);
  }

  /**
   * {@link #learn} for a model with dense inputs and blocks, right after the {@link #activation}
   * with the same ones: also steps every row of every dense block once (a dense block's rows are
   * stepped at every learned example, so their step counts are the model's).
   */
  public int learn(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, float[] dense, float[][] blocks, double activation, float label,
      float weight, long modelStep, double learningRate) {
    if (weight == 0) {
      return 0;
    }
    double dLoss = loss.gradient(activation, label) * weight;
    if (grad.length < n * rowWidth) {
      grad = new float[Math.max(n * rowWidth, 2 * grad.length)];
    }
    model.backward(pages, offsets, values, n, biasPage, biasOffset, layout.stride(), dense,
        blocks, acc, dLoss, grad, biasGrad, blockGrads);
    int refused = stepDense(blocks, blockGrads, modelStep, learningRate);
    for (int i = 0; i < n; i++) {
      if (!updater.update(pages[i], offsets[i], rowWidth, grad, i * rowWidth, modelStep,
          learningRate)) {
        refused++;
      }
    }
    if (!updater.update(biasPage, biasOffset, rowWidth, biasGrad, 0, modelStep, learningRate)) {
      refused++;
    }
    return refused;
  }

  /**
   * Adds one example of a mini-batch to {@code batch}, right after its {@link #activation} (the
   * batch's weights never change before its step, so every example is predicted with the same
   * weights). A deep model's example is kept as {@link BatchGradient} describes (its layer
   * outputs from this learner's accumulator, {@code d}, its rows {@code ids} and {@code values});
   * its gradient is formed at the step ({@link #stepDense}). Any other model's gradient is added
   * at once. An example of weight 0 adds nothing and is not counted.
   *
   * @param ids the row id of each of the example's {@code n} rows
   * @param biasId the bias row's id
   */
  public void accumulate(BatchGradient batch, long[] ids, long biasId, float[][] pages,
      int[] offsets, float[] values, int n, float[] biasPage, int biasOffset, float[] dense,
      float[][] blocks, double activation, float label, float weight) {
    if (weight == 0) {
      return;
    }
    double dLoss = loss.gradient(activation, label) * weight;
    if (model instanceof DeepModel) {
      batch.keep(acc, dLoss, ids, values, n, biasId, denseBackward, blocks, layout.stride());
      return;
    }
    if (grad.length < n * rowWidth) {
      grad = new float[Math.max(n * rowWidth, 2 * grad.length)];
    }
    model.backward(pages, offsets, values, n, biasPage, biasOffset, layout.stride(), dense,
        blocks, acc, dLoss, grad, biasGrad, blockGrads);
    for (int i = 0; i < n; i++) {
      batch.addRow(ids[i], grad, i * rowWidth);
    }
    batch.addRow(biasId, biasGrad, 0);
    batch.countExample();
  }

  /**
   * Steps touched row {@code i} of the batch ({@link BatchGradient#rowId}), found by the caller
   * at {@code page[offset ..]}, once with its mean gradient.
   *
   * @return whether the update was applied (false: refused, row unchanged)
   */
  public boolean stepRow(BatchGradient batch, int i, float[] page, int offset, long modelStep,
      double learningRate) {
    batch.meanRow(i, biasGrad);
    return updater.update(page, offset, rowWidth, biasGrad, 0, modelStep, learningRate);
  }

  /**
   * Steps every row of every dense block once with the batch's mean gradient. A deep model's
   * batch gradient is formed first, from {@code blocks} as they are (the weights its examples
   * were predicted with): so call this before {@link #stepRow}, whose rows
   * ({@link BatchGradient#rows()}) are known from then on.
   *
   * @return the rows whose update was refused
   */
  public int stepDense(BatchGradient batch, float[][] blocks, long modelStep,
      double learningRate) {
    batch.sum(denseBackward, blocks, layout.stride());
    batch.meanDense(blockGrads);
    return stepDense(blocks, blockGrads, modelStep, learningRate);
  }

  /**
   * Steps every row of every dense block once with {@code grads[b][r * width ..]}.
   *
   * @return the rows whose update was refused
   */
  int stepDense(float[][] blocks, float[][] grads, long modelStep, double learningRate) {
    int stride = layout.stride();
    int refused = 0;
    for (int b = 0; b < blocks.length; b++) {
      io.gradflow.model.ParameterBlock block = denseBlocks.get(b);
      int width = block.width();
      for (int r = 0; r < block.rows(); r++) {
        if (!updater.update(blocks[b], block.rowOffset(r, stride), width, grads[b], r * width,
            modelStep, learningRate)) {
          refused++;
        }
      }
    }
    return refused;
  }

  /** Rows whose gradient was refused since this learner was created. */
  public long refusedRows() {
    return updater.refusedCount();
  }

  /** Why the last gradient was refused, or an empty string. */
  public String lastRefusal() {
    return updater.lastRefusal();
  }
}
