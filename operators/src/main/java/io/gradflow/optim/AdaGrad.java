package io.gradflow.optim;

/**
 * AdaGrad (Duchi, Hazan and Singer, 2011): the update of PyTorch's {@code torch.optim.Adagrad}.
 *
 * <pre>
 *   g   = g + weight_decay * w
 *   clr = lr / (1 + (t - 1) * lr_decay)        t = the row's own step count
 *   s   = s + g * g
 *   w   = w - clr * g / (sqrt(s) + eps)        eps outside the root
 * </pre>
 *
 * <p>Slots: one, the accumulator {@code s}, starting at {@code initial_accumulator_value}. The
 * accumulator never decreases under updates, so on drifting data the step size only shrinks; a
 * drift policy {@linkplain #forget forgets}: {@code s = keep * s + (1 - keep) * s0} with
 * {@code s0 = initial_accumulator_value} (reset at {@code keep = 0}). Applied before every update
 * ({@code slotDecay} d of {@link RowUpdater}) this gives
 * {@code s_t = d s_(t-1) + (1 - d) s0 + g_t^2}. Stateless and thread-safe.
 */
public final class AdaGrad implements Optimizer {
  private final double learningRateDecay;
  private final float weightDecay;
  private final float initialAccumulator;
  private final float epsilon;

  AdaGrad(AdaGradSpec spec) {
    this.learningRateDecay = spec.learningRateDecay();
    this.weightDecay = (float) spec.weightDecay();
    this.initialAccumulator = (float) spec.initialAccumulatorValue();
    this.epsilon = (float) spec.epsilon();
  }

  @Override
  public int slotsPerWeight() {
    return 1;
  }

  @Override
  public void initialize(float[] row, int offset, int width) {
    for (int i = 0; i < width; i++) {
      row[offset + 2 * i + 1] = initialAccumulator;
    }
  }

  /** {@code s = keep * s + (1 - keep) * s0}, in double, rounded once; exactly s0 at keep 0. */
  @Override
  public void forget(float[] row, int offset, int width, double keep) {
    double initial = (1 - keep) * initialAccumulator;
    for (int i = 0; i < width; i++) {
      int p = offset + 2 * i + 1;
      row[p] = keep == 0 ? initialAccumulator : (float) (keep * row[p] + initial);
    }
  }

  @Override
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate, float[] saved) {
    float negClr = (float) -(learningRate / (1 + (step - 1) * learningRateDecay));
    float check = 0f; // x - x is 0 for every finite x and NaN otherwise
    for (int i = 0; i < width; i++) {
      int p = offset + 2 * i;
      float w = row[p];
      float s0 = row[p + 1];
      saved[2 * i] = w;
      saved[2 * i + 1] = s0;
      float g = grad[gradOffset + i] + weightDecay * w;
      float s = s0 + g * g;
      row[p + 1] = s;
      float next = w + negClr * g / ((float) Math.sqrt(s) + epsilon);
      row[p] = next;
      check += (s - s) + (next - next);
    }
    return check == 0f;
  }
}
