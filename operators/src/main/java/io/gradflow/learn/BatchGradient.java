package io.gradflow.learn;

import io.gradflow.model.DeepModel;
import io.gradflow.model.DenseBackward;
import io.gradflow.model.Model;
import io.gradflow.model.ParameterBlock;
import java.util.Arrays;
import java.util.List;

/**
 * One mini-batch of a model, for one optimizer step on the batch's mean gradient: the examples in
 * flight, then their summed gradients per sparse row id (the rows the batch's examples touched,
 * in first-touch order) and per dense block. The mean divides by the batch's learned examples, so
 * a row's step is that of PyTorch on {@code J = (1/B) sum_e w_e L_e}; a row no example touched is
 * not stepped at all (the lazy per-row semantics of sparse rows). Sums are in double, rounded
 * once to float by {@link #meanRow} and {@link #meanDense}.
 *
 * <p><b>A {@link DeepModel}'s batch</b> keeps, per example, what its gradient needs and nothing
 * that changes before the step: the layer outputs {@code x0, h_1 .. h_L} that
 * {@link DeepModel#finish} computed, {@code d = w dLoss/da}, and (wide_and_deep) the example's
 * sparse rows (ids and values; their count is the mean pooling's divisor). The gradients are
 * formed at the step ({@link #sum}): the dense backward over the whole batch
 * ({@link DenseBackward}), then, example by example in arrival order, the sparse rows' and the
 * bias's, added into the row sums in the order the single-example backward passes would have
 * added them. The examples in flight are part of the model's state ({@link #stateNumbers},
 * {@link #stateRows}, {@link #restore}), so a checkpoint or an eviction need not cut the batch.
 * Other models (linear, factorization machine) add each example's gradient at once.
 *
 * <p>Memory: for a deep model {@code 8 (1 + sum_l in_l) + 12 n} bytes per example in flight
 * ({@code n} sparse rows); {@code 8 * rowWidth} bytes per touched row plus {@code 8} per dense
 * weight; grown, never shrunk. Not thread-safe; one per model session.
 */
public final class BatchGradient {
  /** Version of {@link #stateNumbers()}'s layout. */
  static final double STATE_VERSION = 1;

  private final int rowWidth;
  private final List<ParameterBlock> denseBlocks;
  private final double[][] dense;
  private long[] ids = new long[16];
  private double[] sums;
  /** Open addressing: slot to row index + 1, 0 empty. */
  private int[] table = new int[64];
  private int rows;
  private int examples;

  /** The deep model whose examples are kept, or null (gradients added at arrival). */
  private final DeepModel deep;
  /** Per layer l = 0 .. L: the kept examples' outputs of layer l, in_l each. */
  private final double[][] acts;
  private double[] d = new double[8];
  /** End of each kept example's sparse rows in {@link #keptIds} and {@link #keptValues}. */
  private int[] ends = new int[8];
  private long[] keptIds = new long[16];
  private float[] keptValues = new float[16];
  private long biasId;
  /** Whether the kept examples' gradients are in the sums. */
  private boolean summed;
  /** What the last kept example was predicted with, to form the gradients lazily. */
  private DenseBackward backward;
  private float[][] blocks;
  private int stride;
  private double[] dx0 = new double[0];
  private float[] grad = new float[0];
  private final float[] biasGrad;

  /** An empty batch for {@code model}'s rows and dense blocks. */
  public BatchGradient(Model model) {
    this.rowWidth = model.rowWidth();
    this.denseBlocks = model.denseBlocks();
    this.dense = new double[denseBlocks.size()][];
    for (int b = 0; b < dense.length; b++) {
      dense[b] = new double[denseBlocks.get(b).gradientSize()];
    }
    this.sums = new double[16 * rowWidth];
    this.deep = model instanceof DeepModel m ? m : null;
    this.acts = new double[deep == null ? 0 : deep.hiddenLayers() + 1][];
    for (int l = 0; l < acts.length; l++) {
      acts[l] = new double[8 * deep.layerInput(l)];
    }
    this.biasGrad = new float[rowWidth];
  }

  /** Forgets everything: an empty batch. */
  public void clear() {
    Arrays.fill(sums, 0, rows * rowWidth, 0);
    Arrays.fill(table, 0);
    for (double[] d : dense) {
      Arrays.fill(d, 0);
    }
    rows = 0;
    examples = 0;
    summed = false;
    blocks = null;
  }

  /** Learned examples added since the last {@link #clear()}. */
  public int examples() {
    return examples;
  }

  /**
   * Distinct rows touched. A deep model's batch forms its gradients first if they are not yet
   * ({@link #sum}), with the dense blocks its last example was predicted with.
   */
  public int rows() {
    formed();
    return rows;
  }

  /** The id of touched row {@code i} (first-touch order). */
  public long rowId(int i) {
    return ids[i];
  }

  void countExample() {
    examples++;
  }

  /**
   * Keeps one example of a deep model's batch: its layer outputs from {@code acc} (as
   * {@link DeepModel#finish} left them), {@code d} and its sparse rows {@code ids[0 .. n)} with
   * {@code values[0 .. n)}.
   */
  void keep(double[] acc, double d, long[] ids, float[] values, int n, long biasId,
      DenseBackward backward, float[][] blocks, int stride) {
    int e = examples;
    if (e == this.d.length) {
      this.d = Arrays.copyOf(this.d, 2 * e);
      ends = Arrays.copyOf(ends, 2 * e);
    }
    int from = e == 0 ? 0 : ends[e - 1];
    if (from + n > keptIds.length) {
      int size = Math.max(from + n, 2 * keptIds.length);
      keptIds = Arrays.copyOf(keptIds, size);
      keptValues = Arrays.copyOf(keptValues, size);
    }
    for (int l = 0; l < acts.length; l++) {
      int width = deep.layerInput(l);
      if ((e + 1) * width > acts[l].length) {
        acts[l] = Arrays.copyOf(acts[l], 2 * e * width);
      }
      System.arraycopy(acc, deep.activationsAt(l), acts[l], e * width, width);
    }
    this.d[e] = d;
    System.arraycopy(ids, 0, keptIds, from, n);
    System.arraycopy(values, 0, keptValues, from, n);
    ends[e] = from + n;
    this.biasId = biasId;
    this.backward = backward;
    this.blocks = blocks;
    this.stride = stride;
    examples++;
  }

  /**
   * Forms a deep model's batch gradient from the kept examples, once, before the step (the dense
   * blocks must still hold the weights the examples were predicted with): the dense blocks' sums
   * by {@code backward}, then each example's sparse rows and bias in arrival order. Does nothing
   * for another model's batch or if already formed.
   */
  void sum(DenseBackward backward, float[][] blocks, int stride) {
    if (deep == null || summed || examples == 0) {
      return;
    }
    this.blocks = null;
    int in0 = deep.layerInput(0);
    if (dx0.length < examples * in0) {
      dx0 = new double[examples * in0];
    }
    backward.backward(deep, blocks, stride, acts, d, examples, dense, dx0);
    for (int e = 0; e < examples; e++) {
      int from = e == 0 ? 0 : ends[e - 1];
      int n = ends[e] - from;
      if (grad.length < n * rowWidth) {
        grad = new float[Math.max(n * rowWidth, 2 * grad.length)];
      }
      deep.sparseGradients(dx0, e * in0, n, d[e], keptValues, from, n, grad, biasGrad);
      for (int i = 0; i < n; i++) {
        addRow(keptIds[from + i], grad, i * rowWidth);
      }
      addRow(biasId, biasGrad, 0);
    }
    summed = true;
  }

  /**
   * Forms a deep model's gradients with the blocks its last kept example was predicted with, if
   * not yet formed.
   *
   * @throws IllegalStateException if there are none (a restored batch: step it with
   *     {@link ExampleLearner#stepDense})
   */
  private void formed() {
    if (deep != null && !summed && examples > 0) {
      if (blocks == null) {
        throw new IllegalStateException("the restored batch's gradients are formed at its step"
            + " (ExampleLearner.stepDense), with the model's dense blocks");
      }
      sum(backward, blocks, stride);
    }
  }

  /** Adds {@code grad[from .. from + rowWidth)} to row {@code id}'s sum. */
  void addRow(long id, float[] grad, int from) {
    int at = index(id) * rowWidth;
    for (int j = 0; j < rowWidth; j++) {
      sums[at + j] += grad[from + j];
    }
  }

  /** Writes row {@code i}'s mean gradient to {@code out[0 .. rowWidth)}. */
  void meanRow(int i, float[] out) {
    formed();
    int at = i * rowWidth;
    for (int j = 0; j < rowWidth; j++) {
      out[j] = (float) (sums[at + j] / examples);
    }
  }

  /** Writes the dense blocks' mean gradients to {@code out[b]}. */
  void meanDense(float[][] out) {
    formed();
    for (int b = 0; b < dense.length; b++) {
      double[] d = dense[b];
      float[] o = out[b];
      for (int i = 0; i < d.length; i++) {
        o[i] = (float) (d[i] / examples);
      }
    }
  }

  /**
   * The examples in flight as doubles, for the model's state: {@code [version, B, d_0 .. d_B-1,
   * acts[0] .. acts[L] (B in_l each), sparse values (as doubles, exact)]}; empty when no example
   * is in flight. With {@link #stateRows()}, all {@link #restore} needs to continue bit for bit.
   *
   * @throws IllegalStateException if examples are in flight but not kept (a model other than
   *     deep, whose batch cannot outlive a checkpoint), or the batch is being stepped
   */
  public double[] stateNumbers() {
    if (examples == 0) {
      return new double[0];
    }
    requireKept();
    int sparse = ends[examples - 1];
    int size = 2 + examples + sparse;
    for (int l = 0; l < acts.length; l++) {
      size += examples * deep.layerInput(l);
    }
    double[] out = new double[size];
    out[0] = STATE_VERSION;
    out[1] = examples;
    System.arraycopy(d, 0, out, 2, examples);
    int at = 2 + examples;
    for (int l = 0; l < acts.length; l++) {
      int length = examples * deep.layerInput(l);
      System.arraycopy(acts[l], 0, out, at, length);
      at += length;
    }
    for (int i = 0; i < sparse; i++) {
      out[at + i] = keptValues[i];
    }
    return out;
  }

  /**
   * The examples in flight's row ids, for the model's state: {@code [biasId, end_0 .. end_B-1,
   * ids]} ({@code end_e}: where example e's rows end in {@code ids}); empty when no example is in
   * flight.
   */
  public long[] stateRows() {
    if (examples == 0) {
      return new long[0];
    }
    requireKept();
    int sparse = ends[examples - 1];
    long[] out = new long[1 + examples + sparse];
    out[0] = biasId;
    for (int e = 0; e < examples; e++) {
      out[1 + e] = ends[e];
    }
    System.arraycopy(keptIds, 0, out, 1 + examples, sparse);
    return out;
  }

  /**
   * Continues the examples in flight of {@link #stateNumbers()} and {@link #stateRows()} in this
   * empty batch (both empty: nothing in flight).
   *
   * @throws IllegalArgumentException if they do not fit this model's layers, or of an unknown
   *     version
   * @throws IllegalStateException if the batch is not empty
   */
  public void restore(double[] numbers, long[] rowIds) {
    if (examples != 0) {
      throw new IllegalStateException("restore into an empty batch, but it has " + examples
          + " examples");
    }
    if (numbers.length == 0 && rowIds.length == 0) {
      return;
    }
    if (deep == null) {
      throw new IllegalArgumentException("a batch in flight is kept for deep models only");
    }
    if (numbers.length < 2 || numbers[0] != STATE_VERSION) {
      throw new IllegalArgumentException("batch state version "
          + (numbers.length == 0 ? "none" : numbers[0]) + " is not " + STATE_VERSION);
    }
    int b = (int) numbers[1];
    if (b < 1 || b != numbers[1] || rowIds.length < 1 + b) {
      throw new IllegalArgumentException("batch state of " + numbers[1] + " examples has "
          + rowIds.length + " row entries");
    }
    int sparse = rowIds.length - 1 - b;
    int size = 2 + b + sparse;
    for (int l = 0; l < acts.length; l++) {
      size += b * deep.layerInput(l);
    }
    if (numbers.length != size || rowIds[b] != sparse) {
      throw new IllegalArgumentException("batch state of " + b + " examples and " + sparse
          + " sparse rows needs " + size + " numbers for this model's layers, but has "
          + numbers.length);
    }
    d = Arrays.copyOfRange(numbers, 2, 2 + Math.max(8, b));
    ends = new int[Math.max(8, b)];
    for (int e = 0; e < b; e++) {
      ends[e] = (int) rowIds[1 + e];
    }
    int at = 2 + b;
    for (int l = 0; l < acts.length; l++) {
      int length = b * deep.layerInput(l);
      acts[l] = Arrays.copyOfRange(numbers, at, at + Math.max(length, 8 * deep.layerInput(l)));
      at += length;
    }
    keptIds = Arrays.copyOfRange(rowIds, 1 + b, 1 + b + Math.max(sparse, 16));
    keptValues = new float[keptIds.length];
    for (int i = 0; i < sparse; i++) {
      keptValues[i] = (float) numbers[at + i];
    }
    biasId = rowIds[0];
    examples = b;
  }

  private void requireKept() {
    if (deep == null || summed) {
      throw new IllegalStateException("the batch's examples are " + (deep == null
          ? "summed at arrival (not a deep model)" : "being stepped") + "; not state");
    }
  }

  private int index(long id) {
    int mask = table.length - 1;
    int slot = (int) (mix(id) & mask);
    while (true) {
      int entry = table[slot];
      if (entry == 0) {
        break;
      }
      if (ids[entry - 1] == id) {
        return entry - 1;
      }
      slot = (slot + 1) & mask;
    }
    if (rows == ids.length) {
      ids = Arrays.copyOf(ids, 2 * rows);
      sums = Arrays.copyOf(sums, 2 * rows * rowWidth);
    }
    ids[rows] = id;
    table[slot] = ++rows;
    if (2 * rows > table.length) {
      rehash();
    }
    return rows - 1;
  }

  private void rehash() {
    table = new int[2 * table.length];
    int mask = table.length - 1;
    for (int i = 0; i < rows; i++) {
      int slot = (int) (mix(ids[i]) & mask);
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = i + 1;
    }
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    return z ^ (z >>> 33);
  }
}
