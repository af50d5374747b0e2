package io.gradflow.learn;

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
    this.acc = new double[model.accumulatorSize()];
    this.biasGrad = new float[rowWidth];
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
    if (acc.length < model.accumulatorSize()) {
      acc = new double[model.accumulatorSize()];
    }
    return model.forward(pages, offsets, values, n, biasPage, biasOffset, layout.stride(), acc);
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
    if (weight == 0) {
      return 0;
    }
    double dLoss = loss.gradient(activation, label) * weight;
    if (grad.length < n * rowWidth) {
      grad = new float[Math.max(n * rowWidth, 2 * grad.length)];
    }
    model.backward(pages, offsets, values, n, biasPage, biasOffset, layout.stride(), acc, dLoss,
        grad, biasGrad);
    int refused = 0;
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

  /** Rows whose gradient was refused since this learner was created. */
  public long refusedRows() {
    return updater.refusedCount();
  }

  /** Why the last gradient was refused, or an empty string. */
  public String lastRefusal() {
    return updater.lastRefusal();
  }
}
