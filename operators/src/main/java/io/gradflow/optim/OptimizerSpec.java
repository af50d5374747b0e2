package io.gradflow.optim;

/**
 * An optimizer's validated, immutable configuration.
 *
 * <p>Each implementation is a record whose compact constructor rejects out-of-range values with a
 * message naming the configuration key ({@code optimizer.lr}, {@code optimizer.betas[0]}, ...),
 * so {@code equals}, {@code toString} and the audit record cannot drift from the fields. The
 * mapping between these records and PyTorch's hyper-parameter names lives in one place,
 * {@code io.gradflow.config.OptimizerConfig}.
 */
public sealed interface OptimizerSpec extends java.io.Serializable
    permits SgdSpec, AdaGradSpec, RmsPropSpec, AdaDeltaSpec, AdamSpec, AdamWSpec, FtrlSpec {

  /** The base learning rate that the schedule scales ({@code alpha} for FTRL). */
  double learningRate();

  /** Floats stored beside each weight. */
  default int slotsPerWeight() {
    return create().slotsPerWeight();
  }

  /** The row layout of a row of {@code width} weights under this optimizer. */
  default RowLayout layout(int width) {
    return new RowLayout(width, slotsPerWeight());
  }

  /** Creates the stateless per-weight formula. */
  Optimizer create();
}
