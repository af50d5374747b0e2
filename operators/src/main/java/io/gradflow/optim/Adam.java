package io.gradflow.optim;

/**
 * Adam (Kingma and Ba, 2015) with optional AMSGrad (Reddi et al., 2018), coupled L2 and
 * decoupled weight decay (AdamW, Loshchilov and Hutter, 2019): the updates of PyTorch's
 * {@code torch.optim.Adam} and {@code torch.optim.AdamW}.
 *
 * <pre>
 *   w = w * (1 - lr * decoupled_weight_decay)         AdamW only
 *   g = g + weight_decay * w                          Adam's coupled L2 only
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   v_max = max(v_max, v)                             AMSGrad only; then v_max replaces v below
 *   w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * <p>With {@code bias_correction: row} (the default), {@code t} is the row's own step count, so
 * bias correction follows each row's own history (a row first seen late gets the large early steps
 * a fresh PyTorch parameter gets), and epsilon sits outside the root, after the second moment's
 * bias correction: {@code torch.optim.Adam} and {@code AdamW} on the row's own gradient
 * subsequence.
 *
 * <p>With {@code bias_correction: global}, {@code t} is the model's step count (examples the model
 * has learned, counting this one), and the update is {@code torch.optim.SparseAdam}'s (and
 * TensorFlow's LazyAdam's), with epsilon added to the uncorrected root:
 *
 * <pre>
 *   w = w - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
 * </pre>
 *
 * A row's moments move only at the row's own steps, as SparseAdam leaves the moments of rows
 * absent from a step's sparse gradient untouched; a row first seen late gets an almost
 * uncorrected, small first step. SparseAdam has neither weight decay nor AMSGrad: with
 * {@code global}, coupled L2, decoupled decay and AMSGrad's {@code v_max} work as above, with the
 * model's step in both corrections and epsilon placed as SparseAdam places it.
 *
 * <p>Decoupled decay is applied only at the row's own steps: over steps a row skipped it decays
 * nothing, exactly as {@code torch.optim} on the row's own gradient subsequence.
 *
 * <p>Slots, in order: {@code m}, {@code v}, and {@code v_max} with AMSGrad.
 *
 * <p>Adam already forgets through its betas ({@code m} and {@code v} are exponential averages).
 * {@linkplain Optimizer#forget Forgetting} (the default) multiplies {@code m}, {@code v} and
 * {@code v_max} by {@code keep} (decay; the step count is kept, so the bias corrections do not
 * restart, and AMSGrad's {@code v_max}, which never falls otherwise, comes down) or zeroes them
 * (reset; {@link RowUpdater#forget} also sets the row's step count to 0, so {@code bias_correction:
 * row} restarts as for a fresh parameter; with {@code global} the model's step still rules).
 * Stateless and thread-safe.
 */
public final class Adam implements Optimizer {
  private final double beta1;
  private final double beta2;
  private final float beta1f;
  private final float beta2f;
  private final float beta1Complement;
  private final float beta2Complement;
  private final float epsilon;
  private final float weightDecay;
  private final double decoupledWeightDecay;
  private final boolean amsgrad;
  private final boolean global;
  private final int stride;
  /** 1 - beta1^t and sqrt(1 - beta2^t) for small t, precomputed with the same Math.pow. */
  private final double[] biasCorrection1;
  private final double[] biasCorrection2Sqrt;

  Adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay,
      double decoupledWeightDecay, boolean amsgrad, BiasCorrection biasCorrection) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.beta1f = (float) beta1;
    this.beta2f = (float) beta2;
    this.beta1Complement = (float) (1 - beta1);
    this.beta2Complement = (float) (1 - beta2);
    this.epsilon = (float) epsilon;
    this.weightDecay = (float) weightDecay;
    this.decoupledWeightDecay = decoupledWeightDecay;
    this.amsgrad = amsgrad;
    this.global = biasCorrection == BiasCorrection.GLOBAL;
    this.stride = amsgrad ? 4 : 3;
    this.biasCorrection1 = correctionTable(beta1, false);
    this.biasCorrection2Sqrt = correctionTable(beta2, true);
  }

  /**
   * {@code 1 - beta^t} (or its root) for t = 0, 1, ... up to where it reaches 1.0 in double, at most
   * 2^16 entries. Bit-identical to computing {@code Math.pow} per update, which costs tens of
   * nanoseconds: on sparse rows, more than the rest of the update.
   */
  private static double[] correctionTable(double beta, boolean sqrt) {
    int size = 1;
    while (size < (1 << 16) && 1 - Math.pow(beta, size) != 1.0) {
      size++;
    }
    double[] table = new double[size + 1];
    for (int t = 0; t <= size; t++) {
      double c = 1 - Math.pow(beta, t);
      table[t] = sqrt ? Math.sqrt(c) : c;
    }
    return table;
  }

  private static double correction(double[] table, double beta, long step, boolean sqrt) {
    if (step < table.length) {
      return table[(int) step];
    }
    double last = table[table.length - 1];
    if (last == 1.0) {
      return 1.0; // beta^t only shrinks: once 1 - beta^t rounds to 1 it stays there
    }
    double c = 1 - Math.pow(beta, step);
    return sqrt ? Math.sqrt(c) : c;
  }

  @Override
  public int slotsPerWeight() {
    return stride - 1;
  }

  @Override
  public boolean countsModelSteps() {
    return global;
  }

  @Override
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate, float[] saved) {
    double correction1 = correction(biasCorrection1, beta1, step, false);
    double correction2Sqrt = correction(biasCorrection2Sqrt, beta2, step, true);
    float negStepSize;
    float correction2;
    if (global) {
      // SparseAdam: step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t), eps on the raw root.
      negStepSize = (float) -(learningRate * correction2Sqrt / correction1);
      correction2 = 1f;
    } else {
      negStepSize = (float) -(learningRate / correction1);
      correction2 = (float) correction2Sqrt;
    }
    float decay = (float) (1 - learningRate * decoupledWeightDecay);
    float check = 0f; // x - x is 0 for every finite x and NaN otherwise
    for (int i = 0; i < width; i++) {
      int p = offset + stride * i;
      int k = stride * i;
      float w0 = row[p];
      float m0 = row[p + 1];
      float v0 = row[p + 2];
      saved[k] = w0;
      saved[k + 1] = m0;
      saved[k + 2] = v0;
      float w = w0 * decay;
      float g = grad[gradOffset + i] + weightDecay * w;
      float m = m0 * beta1f + beta1Complement * g;
      float v = v0 * beta2f + beta2Complement * g * g;
      row[p + 1] = m;
      row[p + 2] = v;
      check += (m - m) + (v - v);
      if (amsgrad) {
        float max0 = row[p + 3];
        saved[k + 3] = max0;
        v = Math.max(max0, v);
        row[p + 3] = v;
        check += v - v;
      }
      float denominator = (float) Math.sqrt(v) / correction2 + epsilon;
      float next = w + negStepSize * m / denominator;
      row[p] = next;
      check += next - next;
    }
    return check == 0f;
  }
}
