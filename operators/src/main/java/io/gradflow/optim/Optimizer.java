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
   * Whether {@link #update}'s {@code step} is the model's step count (examples the model has
   * learned, counting the current one) instead of the row's own: Adam with
   * {@code bias_correction: global}. The driver asks once, when it is built, so the choice costs
   * nothing per weight. The row's own step count advances either way.
   */
  default boolean countsModelSteps() {
    return false;
  }

  /**
   * Applies one update to the {@code width} weights of the row at {@code offset}.
   *
   * @param grad the gradient of each weight, at {@code grad[gradOffset + i]}; finite, never
   *     modified
   * @param step this update's step number, starting at 1 (bias corrections use it): the row's own,
   *     or the model's if {@link #countsModelSteps()}; never below the row's own
   * @param learningRate the learning rate for this update, from the schedule
   */
  void update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate);
}
