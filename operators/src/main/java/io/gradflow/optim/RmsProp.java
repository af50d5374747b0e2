package io.gradflow.optim;

/**
 * RMSProp (Tieleman and Hinton, 2012), optionally centered (Graves, 2013) and with momentum: the
 * update of PyTorch's {@code torch.optim.RMSprop}.
 *
 * <pre>
 *   g = g + weight_decay * w
 *   v = alpha * v + (1 - alpha) * g * g
 *   centered:  a = alpha * a + (1 - alpha) * g;  r = sqrt(max(v - a * a, 0)) + eps
 *   otherwise: r = sqrt(v) + eps                  eps outside the root
 *   momentum:  b = momentum * b + g / r;  w = w - lr * b
 *   otherwise: w = w - lr * g / r
 * </pre>
 *
 * <p>Slots, in order: {@code v}; {@code a} if centered; {@code b} if momentum is non-zero. The
 * centered variance is clamped at zero where rounding makes it negative (PyTorch would produce
 * NaN there).
 *
 * <p>RMSprop already forgets through {@code alpha}: a squared gradient's weight in {@code v} falls
 * by {@code alpha} per step of the row. {@linkplain Optimizer#forget Forgetting} (the default)
 * additionally multiplies every slot by {@code keep} (decay) or zeroes them all (reset).
 * Stateless and thread-safe.
 */
public final class RmsProp implements Optimizer {
  private final float alpha;
  private final float alphaComplement;
  private final float epsilon;
  private final float weightDecay;
  private final float momentum;
  private final boolean centered;
  private final boolean hasMomentum;
  private final int stride;
  private final int momentumSlot;

  RmsProp(RmsPropSpec spec) {
    this.alpha = (float) spec.alpha();
    this.alphaComplement = (float) (1 - spec.alpha());
    this.epsilon = (float) spec.epsilon();
    this.weightDecay = (float) spec.weightDecay();
    this.momentum = (float) spec.momentum();
    this.centered = spec.centered();
    this.hasMomentum = spec.momentum() > 0;
    this.momentumSlot = centered ? 3 : 2;
    this.stride = 2 + (centered ? 1 : 0) + (hasMomentum ? 1 : 0);
  }

  @Override
  public int slotsPerWeight() {
    return stride - 1;
  }

  @Override
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate, float[] saved) {
    float negLr = (float) -learningRate;
    float check = 0f; // x - x is 0 for every finite x and NaN otherwise
    for (int i = 0; i < width; i++) {
      int p = offset + stride * i;
      int k = stride * i;
      float w = row[p];
      float v0 = row[p + 1];
      saved[k] = w;
      saved[k + 1] = v0;
      float g = grad[gradOffset + i] + weightDecay * w;
      float v = v0 * alpha + alphaComplement * g * g;
      row[p + 1] = v;
      check += v - v;
      float r;
      if (centered) {
        float a0 = row[p + 2];
        saved[k + 2] = a0;
        float a = a0 * alpha + alphaComplement * g;
        row[p + 2] = a;
        check += a - a;
        r = (float) Math.sqrt(Math.max(v - a * a, 0f)) + epsilon;
      } else {
        r = (float) Math.sqrt(v) + epsilon;
      }
      float next;
      if (hasMomentum) {
        float b0 = row[p + momentumSlot];
        saved[k + momentumSlot] = b0;
        float b = b0 * momentum + g / r;
        row[p + momentumSlot] = b;
        check += b - b;
        next = w + negLr * b;
      } else {
        next = w + negLr * g / r;
      }
      row[p] = next;
      check += next - next;
    }
    return check == 0f;
  }
}
