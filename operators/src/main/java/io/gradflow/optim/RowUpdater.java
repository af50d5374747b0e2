package io.gradflow.optim;

/**
 * The one driver that steps parameter rows: checks the gradient, clips it, advances the row's own
 * step count and calls the optimizer's per-weight formula.
 *
 * <p>A gradient with a NaN or infinite value is refused before anything is written: the row stays
 * exactly as it was (weights, slots and step count), {@link #refusedCount()} grows and
 * {@link #lastRefusal()} says which value it was. Clipping works on a private copy, so the caller's
 * gradient array is never modified.
 *
 * <pre>{@code
 * RowUpdater updater = new RowUpdater(AdamSpec.of(1e-3), GradientSpec.NONE);
 * RowLayout layout = updater.layout(16);
 * float[] row = new float[layout.size()];
 * updater.initialize(row, 0, 16);
 * boolean applied = updater.update(row, 0, 16, gradient, 0, schedule.learningRate(clock));
 * }</pre>
 *
 * <p>Not thread-safe: it owns a scratch buffer and counters. Use one per operator instance.
 */
public final class RowUpdater {
  private final Optimizer optimizer;
  private final GradientSpec gradientSpec;
  private final int stride;
  private float[] scratch = new float[64];
  private long appliedCount;
  private long refusedCount;
  private String lastRefusal = "";

  public RowUpdater(OptimizerSpec optimizerSpec, GradientSpec gradientSpec) {
    this.optimizer = optimizerSpec.create();
    this.gradientSpec = gradientSpec;
    this.stride = 1 + optimizer.slotsPerWeight();
  }

  /** The layout of a row of {@code width} weights under this updater's optimizer. */
  public RowLayout layout(int width) {
    return new RowLayout(width, optimizer.slotsPerWeight());
  }

  /**
   * Sets the optimizer's slots (zero, then the optimizer's own initial values) and a zero step
   * count for a new row whose weights are written.
   */
  public void initialize(float[] row, int offset, int width) {
    for (int i = 0; i < width; i++) {
      for (int s = 1; s < stride; s++) {
        row[offset + i * stride + s] = 0f;
      }
    }
    optimizer.initialize(row, offset, width);
    RowLayout.writeStep(row, offset + width * stride, 0);
  }

  /**
   * Steps the row once with {@code grad[gradOffset .. gradOffset + width)}.
   *
   * @return true if the row was updated; false if the gradient was refused (row unchanged)
   */
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, double learningRate) {
    for (int i = 0; i < width; i++) {
      float g = grad[gradOffset + i];
      if (!Float.isFinite(g)) {
        refusedCount++;
        lastRefusal = "gradient[" + i + "] is " + g + ": a gradient must be finite; the row was"
            + " left unchanged";
        return false;
      }
    }
    float[] g = grad;
    int gOffset = gradOffset;
    if (gradientSpec.transforms()) {
      g = transform(grad, gradOffset, width);
      gOffset = 0;
    }
    int stepAt = offset + width * stride;
    long step = RowLayout.readStep(row, stepAt) + 1;
    optimizer.update(row, offset, width, g, gOffset, step, learningRate);
    RowLayout.writeStep(row, stepAt, step);
    appliedCount++;
    return true;
  }

  private float[] transform(float[] grad, int gradOffset, int width) {
    if (scratch.length < width) {
      scratch = new float[Math.max(width, 2 * scratch.length)];
    }
    float sign = gradientSpec.maximize() ? -1f : 1f;
    float clip = (float) gradientSpec.clipValue();
    double squares = 0;
    for (int i = 0; i < width; i++) {
      float g = sign * grad[gradOffset + i];
      if (clip > 0) {
        g = Math.max(-clip, Math.min(clip, g));
      }
      scratch[i] = g;
      squares += (double) g * g;
    }
    if (gradientSpec.maxNorm() > 0) {
      float coefficient = (float) (gradientSpec.maxNorm() / (Math.sqrt(squares) + 1e-6));
      if (coefficient < 1f) {
        for (int i = 0; i < width; i++) {
          scratch[i] *= coefficient;
        }
      }
    }
    return scratch;
  }

  /** Rows updated since this updater was created. */
  public long appliedCount() {
    return appliedCount;
  }

  /** Gradients refused because a value was NaN or infinite. */
  public long refusedCount() {
    return refusedCount;
  }

  /** Why the last gradient was refused, or an empty string if none was. */
  public String lastRefusal() {
    return lastRefusal;
  }
}
