package io.gradflow.learn;

import io.gradflow.model.Model;
import io.gradflow.model.ParameterBlock;
import java.util.Arrays;
import java.util.List;

/**
 * The summed gradients of one mini-batch of a model, for one optimizer step on the batch's mean
 * gradient: per sparse row id (the rows the batch's examples touched, in first-touch order) and
 * per dense block. The mean divides by the batch's learned examples, so a row's step is that of
 * PyTorch on {@code J = (1/B) sum_e w_e L_e}; a row no example touched is not stepped at all (the
 * lazy per-row semantics of sparse rows). Sums are in double, rounded once to float by
 * {@link #meanRow} and {@link #meanDense}.
 *
 * <p>Memory: {@code 8 * rowWidth} bytes per touched row plus {@code 8} per dense weight, grown,
 * never shrunk. Not thread-safe; one per learner.
 */
public final class BatchGradient {
  private final int rowWidth;
  private final List<ParameterBlock> denseBlocks;
  private final double[][] dense;
  private long[] ids = new long[16];
  private double[] sums;
  /** Open addressing: slot to row index + 1, 0 empty. */
  private int[] table = new int[64];
  private int rows;
  private int examples;

  /** An empty batch for {@code model}'s rows and dense blocks. */
  public BatchGradient(Model model) {
    this.rowWidth = model.rowWidth();
    this.denseBlocks = model.denseBlocks();
    this.dense = new double[denseBlocks.size()][];
    for (int b = 0; b < dense.length; b++) {
      dense[b] = new double[denseBlocks.get(b).gradientSize()];
    }
    this.sums = new double[16 * rowWidth];
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
  }

  /** Learned examples added since the last {@link #clear()}. */
  public int examples() {
    return examples;
  }

  /** Distinct rows touched. */
  public int rows() {
    return rows;
  }

  /** The id of touched row {@code i} (first-touch order). */
  public long rowId(int i) {
    return ids[i];
  }

  void countExample() {
    examples++;
  }

  /** Adds {@code grad[from .. from + rowWidth)} to row {@code id}'s sum. */
  void addRow(long id, float[] grad, int from) {
    int at = index(id) * rowWidth;
    for (int j = 0; j < rowWidth; j++) {
      sums[at + j] += grad[from + j];
    }
  }

  /** Adds one example's dense block gradients. */
  void addDense(float[][] grads) {
    for (int b = 0; b < dense.length; b++) {
      double[] d = dense[b];
      float[] g = grads[b];
      for (int i = 0; i < d.length; i++) {
        d[i] += g[i];
      }
    }
  }

  /** Writes row {@code i}'s mean gradient to {@code out[0 .. rowWidth)}. */
  void meanRow(int i, float[] out) {
    int at = i * rowWidth;
    for (int j = 0; j < rowWidth; j++) {
      out[j] = (float) (sums[at + j] / examples);
    }
  }

  /** Writes the dense blocks' mean gradients to {@code out[b]}. */
  void meanDense(float[][] out) {
    for (int b = 0; b < dense.length; b++) {
      double[] d = dense[b];
      float[] o = out[b];
      for (int i = 0; i < d.length; i++) {
        o[i] = (float) (d[i] / examples);
      }
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
