package io.gradflow.optim;

/**
 * AdaDelta (Zeiler, 2012): the update of PyTorch's {@code torch.optim.Adadelta}.
 *
 * <pre>
 *   g = g + weight_decay * w
 *   v = rho * v + (1 - rho) * g * g
 *   d = sqrt(u + eps) / sqrt(v + eps) * g        eps inside both roots
 *   u = rho * u + (1 - rho) * d * d
 *   w = w - lr * d
 * </pre>
 *
 * <p>Slots, in order: {@code v} (squared-gradient average), {@code u} (squared-delta average).
 * AdaDelta already forgets through {@code rho}. {@linkplain Optimizer#forget Forgetting} (the
 * default) multiplies both averages by {@code keep} (decay: their ratio, so the step size, barely moves
 * while both are far above eps, but the next gradients weigh more) or zeroes them (reset).
 * Stateless and thread-safe.
 */
public final class AdaDelta implements Optimizer {
  private final float rho;
  private final float rhoComplement;
  private final float epsilon;
  private final float weightDecay;

  AdaDelta(AdaDeltaSpec spec) {
    this.rho = (float) spec.rho();
    this.rhoComplement = (float) (1 - spec.rho());
    this.epsilon = (float) spec.epsilon();
    this.weightDecay = (float) spec.weightDecay();
  }

  @Override
  public int slotsPerWeight() {
    return 2;
  }

  @Override
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate, float[] saved) {
    float negLr = (float) -learningRate;
    float check = 0f; // x - x is 0 for every finite x and NaN otherwise
    for (int i = 0; i < width; i++) {
      int p = offset + 3 * i;
      float w = row[p];
      float v0 = row[p + 1];
      float u0 = row[p + 2];
      saved[3 * i] = w;
      saved[3 * i + 1] = v0;
      saved[3 * i + 2] = u0;
      float g = grad[gradOffset + i] + weightDecay * w;
      float v = v0 * rho + rhoComplement * g * g;
      row[p + 1] = v;
      float d = (float) Math.sqrt(u0 + epsilon) / (float) Math.sqrt(v + epsilon) * g;
      float u = u0 * rho + rhoComplement * d * d;
      row[p + 2] = u;
      float next = w + negLr * d;
      row[p] = next;
      check += (v - v) + (u - u) + (next - next);
    }
    return check == 0f;
  }
}
