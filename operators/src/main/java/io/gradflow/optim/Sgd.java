package io.gradflow.optim;

/**
 * Stochastic gradient descent with momentum, dampening and Nesterov momentum: the update of
 * PyTorch's {@code torch.optim.SGD} (1.13 to 2.x), per row.
 *
 * <pre>
 *   d = g + weight_decay * w
 *   if momentum != 0:
 *     b = d                                   on the row's first step
 *     b = momentum * b + (1 - dampening) * d  afterwards
 *     d = d + momentum * b   (nesterov)   or   d = b
 *   w = w - lr * d
 * </pre>
 *
 * <p>Slots: one (the momentum buffer {@code b}) when momentum is non-zero, none otherwise. The
 * "first step" is the row's own, so a row that joins late starts its buffer as PyTorch would for
 * a parameter seen for the first time.
 *
 * <p>{@linkplain Optimizer#forget Forgetting} (the default): decay multiplies {@code b} by
 * {@code keep}; reset zeroes it, and {@link RowUpdater#forget} also sets the row's step count to
 * 0, so the next step starts the buffer again with {@code b = d}. Without momentum there is nothing
 * to forget. Stateless and thread-safe.
 */
public final class Sgd implements Optimizer {
  private final float momentum;
  private final float dampingComplement;
  private final float weightDecay;
  private final boolean nesterov;
  private final boolean hasMomentum;

  Sgd(SgdSpec spec) {
    this.momentum = (float) spec.momentum();
    this.dampingComplement = (float) (1 - spec.dampening());
    this.weightDecay = (float) spec.weightDecay();
    this.nesterov = spec.nesterov();
    this.hasMomentum = spec.momentum() != 0;
  }

  @Override
  public int slotsPerWeight() {
    return hasMomentum ? 1 : 0;
  }

  @Override
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate, float[] saved) {
    float negLr = (float) -learningRate;
    float check = 0f; // x - x is 0 for every finite x and NaN otherwise
    if (!hasMomentum) {
      for (int i = 0; i < width; i++) {
        int p = offset + i;
        float w = row[p];
        saved[i] = w;
        float next = w + negLr * (grad[gradOffset + i] + weightDecay * w);
        row[p] = next;
        check += next - next;
      }
      return check == 0f;
    }
    boolean first = step == 1;
    for (int i = 0; i < width; i++) {
      int p = offset + 2 * i;
      float w = row[p];
      float b0 = row[p + 1];
      saved[2 * i] = w;
      saved[2 * i + 1] = b0;
      float d = grad[gradOffset + i] + weightDecay * w;
      float b = first ? d : b0 * momentum + dampingComplement * d;
      row[p + 1] = b;
      float next = w + negLr * (nesterov ? d + momentum * b : b);
      row[p] = next;
      check += (b - b) + (next - next);
    }
    return check == 0f;
  }
}
