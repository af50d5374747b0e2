package io.gradflow.optim;

/**
 * The per-weight formula of one optimizer, applied to one parameter row.
 *
 * <p>Implementations are stateless (every per-row value, the step count included, lives in the
 * row) and therefore thread-safe. They are created once from an {@link OptimizerSpec} when a model
 * is built, so the hot loop calls one monomorphic method per row and has no per-weight dispatch.
 * Validation of the gradient, clipping, the sign flip of {@code maximize} and the step count are
 * done once for all optimizers by {@link RowUpdater}; an optimizer only loops over the weights.
 *
 * <p>The row layout is {@link RowLayout} with {@link #slotsPerWeight()} slots per weight; each
 * implementation documents what its slots hold.
 */
public interface Optimizer {
  /** Floats stored beside each weight. */
  int slotsPerWeight();

  /**
   * Sets the slots of a new row whose weights are already written (for example AdaGrad's initial
   * accumulator). The default leaves them at zero.
   */
  default void initialize(float[] row, int offset, int width) {}

  /**
   * Forgets part of the row's history: moves every slot toward the value a new row with the same
   * weights would get from {@link #initialize}, {@code s = keep * s + (1 - keep) * s0}. Weights are
   * never changed; nor is the step count (that is {@link RowUpdater#forget}'s job).
   *
   * <ul>
   *   <li>{@code keep == 0} resets: the slots become exactly (bit for bit) those of a new row;
   *   <li>{@code 0 < keep < 1} decays; {@code keep == 1} changes nothing.
   * </ul>
   *
   * The default suits an optimizer whose every slot starts at zero (SGD's momentum buffer, RMSprop's
   * and AdaDelta's averages, Adam's moments): reset zeroes the slots and calls
   * {@link #initialize}; decay multiplies each slot by {@code keep}, in double, rounded once to
   * float. An optimizer with other initial values overrides it. A decay is a convex combination of
   * finite values and stays finite; {@link RowUpdater#forget} checks the result anyway.
   *
   * @param keep the share of the history kept, in [0, 1] (checked by {@link RowUpdater})
   */
  default void forget(float[] row, int offset, int width, double keep) {
    int stride = 1 + slotsPerWeight();
    int end = offset + width * stride;
    if (keep == 0) {
      for (int p = offset; p < end; p += stride) {
        for (int s = 1; s < stride; s++) {
          row[p + s] = 0f;
        }
      }
      initialize(row, offset, width);
      return;
    }
    for (int p = offset; p < end; p += stride) {
      for (int s = 1; s < stride; s++) {
        row[p + s] = (float) (keep * row[p + s]);
      }
    }
  }

  /**
   * Whether {@link #update}'s {@code step} is the model's step count (examples the model has
   * learned, counting the current one) instead of the row's own: Adam with
   * {@code bias_correction: global}. The driver asks once, when it is built, so the choice costs
   * nothing per weight. The row's own step count advances either way.
   */
  default boolean countsModelSteps() {
    return false;
  }

  /**
   * Applies one update to the {@code width} weights of the row at {@code offset}, keeping what
   * {@link RowUpdater} needs to undo it: every weight and slot is copied to {@code saved} before
   * it changes, and the result says whether every weight and slot is finite afterwards. Checking
   * inside the formula's own loop, where the values are in registers, costs a few operations per
   * value instead of a second pass over the row and a copy of it beforehand.
   *
   * <p>Every implementation writes every weight and slot of the row (a slot it leaves as it was
   * is written back unchanged or checked as read), so the result is the finiteness of the whole
   * row after the update, exactly as a scan of it would find.
   *
   * @param grad the gradient of each weight, at {@code grad[gradOffset + i]}; finite, never
   *     modified
   * @param step this update's step number, starting at 1 (bias corrections use it): the row's own,
   *     or the model's if {@link #countsModelSteps()}; never below the row's own
   * @param learningRate the learning rate for this update, from the schedule
   * @param saved receives the row's weights and slots as they were before the update, at
   *     {@code saved[k]} for {@code row[offset + k]}, {@code k < width * (1 + slotsPerWeight())};
   *     at least that long
   * @return true if every weight and slot of the row is finite after the update
   */
  boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate, float[] saved);
}
