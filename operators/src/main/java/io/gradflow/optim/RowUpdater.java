package io.gradflow.optim;

/**
 * The one driver that steps parameter rows: checks the gradient, clips it, advances the row's own
 * step count and calls the optimizer's per-weight formula.
 *
 * <p>No row ever holds a NaN or infinite value after an update from a finite row:
 * <ul>
 *   <li>a gradient with a NaN or infinite value is refused before anything is written;
 *   <li>an update whose result is not finite (finite but extreme inputs: a squared gradient or an
 *       accumulator beyond the float range, a step size that overflows) is undone.
 * </ul>
 * In both cases the row stays exactly as it was (weights, slots and step count),
 * {@link #refusedCount()} grows and {@link #lastRefusal()} says why. The optimizer copies the row
 * aside and checks its result inside its own loop ({@link Optimizer#update}), so the guard adds no
 * pass over the row. Clipping works on a private copy, so the caller's gradient array is never
 * modified.
 *
 * <p>The step an optimizer's bias corrections see is the row's own step count, or the model's
 * (examples learned, counting this one) for an optimizer that {@link Optimizer#countsModelSteps()
 * counts model steps} (Adam with {@code bias_correction: global}); chosen once, at construction.
 * The row's own step count advances either way.
 *
 * <p>Forgetting, for drifting data: {@link #forget} moves a row's slots toward a new row's
 * ({@link Optimizer#forget}) and, on a reset, sets its step count to 0, so the row continues
 * exactly as a new row with the same weights would (a fresh {@code torch.optim} state for it). With
 * a {@code slotDecay} d below 1, every update first forgets with {@code keep = d}, per row and at
 * the row's own updates only (a row not seen decays nothing), keeping the step count: AdaGrad
 * becomes {@code s_t = d s_(t-1) + (1 - d) s0 + g_t^2}. At d = 1 (the default) updates are bit for
 * bit those of an updater without it.
 *
 * <pre>{@code
 * RowUpdater updater = new RowUpdater(AdamSpec.of(1e-3), GradientSpec.NONE);
 * RowLayout layout = updater.layout(16);
 * float[] row = new float[layout.size()];
 * updater.initialize(row, 0, 16);
 * boolean applied = updater.update(row, 0, 16, gradient, 0, modelStep, schedule.learningRate(t));
 * }</pre>
 *
 * <p>Not thread-safe: it owns a scratch buffer and counters. Use one per operator instance.
 */
public final class RowUpdater {
  private final Optimizer optimizer;
  private final GradientSpec gradientSpec;
  private final int stride;
  private final boolean modelSteps;
  private final double slotDecay;
  private final boolean decays;
  private float[] scratch = new float[64];
  /** The row as it was before the update in progress: what an undo restores. */
  private float[] backup = new float[64];
  /** With slot decay, the row after forgetting (the optimizer's copy, not needed for an undo). */
  private float[] forgotten = new float[0];
  private long appliedCount;
  private long refusedCount;
  private String lastRefusal = "";

  /** An updater without slot decay ({@code slotDecay} 1). */
  public RowUpdater(OptimizerSpec optimizerSpec, GradientSpec gradientSpec) {
    this(optimizerSpec, gradientSpec, 1);
  }

  /**
   * @param slotDecay the share of a row's slot history kept at each of its updates, in (0, 1]:
   *     before each update the row forgets with {@code keep = slotDecay}; 1 turns it off
   * @throws IllegalArgumentException if slotDecay is not in (0, 1]
   */
  public RowUpdater(OptimizerSpec optimizerSpec, GradientSpec gradientSpec, double slotDecay) {
    if (!(slotDecay > 0 && slotDecay <= 1)) {
      throw new IllegalArgumentException("slotDecay must be in (0, 1], but was " + slotDecay);
    }
    this.optimizer = optimizerSpec.create();
    this.gradientSpec = gradientSpec;
    this.stride = 1 + optimizer.slotsPerWeight();
    this.modelSteps = optimizer.countsModelSteps();
    this.slotDecay = slotDecay;
    this.decays = slotDecay != 1;
  }

  /** The share of slot history kept at each update of a row; 1 if there is no slot decay. */
  public double slotDecay() {
    return slotDecay;
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
   * Steps a row that stands alone, as its own model: the model step is the row's own step (for
   * replaying one row and for tests; a model's rows go through the other overload).
   *
   * @return true if the row was updated; false if the update was refused (row unchanged)
   */
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, double learningRate) {
    return update(row, offset, width, grad, gradOffset, 0, learningRate);
  }

  /**
   * Steps the row once with {@code grad[gradOffset .. gradOffset + width)}.
   *
   * @param modelStep the model's step count for this update: examples the model has learned,
   *     counting the current one. Only an optimizer that counts model steps reads it; it is never
   *     taken below the row's own step (so a bias correction never sees step 0)
   * @return true if the row was updated; false if the update was refused (row unchanged)
   */
  public boolean update(float[] row, int offset, int width, float[] grad, int gradOffset,
      long modelStep, double learningRate) {
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
    int values = width * stride;
    int stepAt = offset + values;
    long step = RowLayout.readStep(row, stepAt) + 1;
    long optimizerStep = modelSteps ? Math.max(modelStep, step) : step;
    float[] saved = backup(values);
    // The optimizer copies the row aside and checks the result in its own loop; forgetting first
    // needs the row as it was before, so then the copy is made here and the optimizer's discarded.
    boolean finite;
    if (decays) {
      save(row, offset, values);
      optimizer.forget(row, offset, width, slotDecay);
      if (forgotten.length < values) {
        forgotten = new float[backup.length];
      }
      finite = optimizer.update(row, offset, width, g, gOffset, optimizerStep, learningRate,
          forgotten);
    } else {
      finite = optimizer.update(row, offset, width, g, gOffset, optimizerStep, learningRate,
          saved);
    }
    if (!finite) {
      undo(row, offset, values, g, gOffset, width);
      return false;
    }
    RowLayout.writeStep(row, stepAt, step);
    appliedCount++;
    return true;
  }

  /**
   * Forgets part of the row's history (for a drift policy): the optimizer's
   * {@link Optimizer#forget}, {@code s = keep * s + (1 - keep) * s0} for every slot, weights never
   * changed. A reset ({@code keep == 0}) also sets the row's step count to 0, so the row's next
   * updates are bit for bit those of a new row {@linkplain #initialize initialized} with the same
   * weights (bias corrections, AdaGrad's {@code lr_decay} and SGD's first momentum step restart); a
   * decay keeps the step count. Counters are not touched.
   *
   * @param keep the share of the history kept, in [0, 1]: 0 resets, 1 changes nothing
   * @return true if applied; false if it would have written a non-finite value (possible only for
   *     FTRL's recomputed z at a weight near the float range), in which case the row is unchanged
   * @throws IllegalArgumentException if keep is not in [0, 1]
   */
  public boolean forget(float[] row, int offset, int width, double keep) {
    if (!(keep >= 0 && keep <= 1)) {
      throw new IllegalArgumentException("keep must be in [0, 1], but was " + keep);
    }
    int values = width * stride;
    int stepAt = offset + values;
    save(row, offset, values);
    optimizer.forget(row, offset, width, keep);
    if (!finite(row, offset, stepAt)) {
      System.arraycopy(backup, 0, row, offset, values);
      return false;
    }
    if (keep == 0) {
      RowLayout.writeStep(row, stepAt, 0);
    }
    return true;
  }

  /** The backup buffer, grown to hold at least {@code values} floats. */
  private float[] backup(int values) {
    if (backup.length < values) {
      backup = new float[Math.max(values, 2 * backup.length)];
    }
    return backup;
  }

  /** Copies {@code row[offset .. offset + values)} to the backup buffer. */
  private void save(float[] row, int offset, int values) {
    // A plain loop: System.arraycopy's call costs more than the copy for rows of a few floats
    // (measured: the trainer's row path ran 20% slower with it).
    float[] saved = backup(values);
    for (int i = 0; i < values; i++) {
      saved[i] = row[offset + i];
    }
  }

  /**
   * Copies {@code row[offset .. offset + values)} to {@code saved[0 .. values)} and returns whether
   * all of it is finite: {@link Optimizer#update}'s contract for an update that changes nothing.
   */
  static boolean saveFinite(float[] row, int offset, int values, float[] saved) {
    float check = 0f;
    for (int i = 0; i < values; i++) {
      float x = row[offset + i];
      saved[i] = x;
      check += x - x;
    }
    return check == 0f;
  }

  /** Whether {@code row[from .. to)} is all finite. */
  private static boolean finite(float[] row, int from, int to) {
    // x - x is 0 for every finite x and NaN otherwise: one branch for the whole row.
    float check = 0f;
    for (int i = from; i < to; i++) {
      check += row[i] - row[i];
    }
    return check == 0f;
  }

  /** Restores the row from the backup after an update that produced a non-finite value. */
  private void undo(float[] row, int offset, int values, float[] g, int gOffset, int width) {
    int at = 0;
    while (at < values && Float.isFinite(row[offset + at])) {
      at++;
    }
    float produced = row[offset + at];
    System.arraycopy(backup, 0, row, offset, values);
    float largest = 0f;
    for (int i = 0; i < width; i++) {
      largest = Math.max(largest, Math.abs(g[gOffset + i]));
    }
    refusedCount++;
    lastRefusal = "the update would have written " + produced + " at weight " + at / stride
        + (at % stride == 0 ? "" : ", slot " + (at % stride - 1)) + " (largest |gradient| "
        + largest + "): a row must stay finite; the row was left unchanged";
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
