package io.gradflow.optim;

/**
 * An optimizer's validated, immutable configuration.
 *
 * <p>Each implementation is a record whose compact constructor rejects out-of-range values with a
 * message naming the configuration key ({@code optimizer.lr}, {@code optimizer.betas[0]}, ...),
 * so {@code equals}, {@code toString} and the audit record cannot drift from the fields. Each
 * states its configuration name and its parameters under their configuration names (PyTorch's);
 * the settings themselves (defaults, constraints, documentation) are declared once, in
 * {@code io.gradflow.config.OptimizerConfig}, which reads {@link #parameters()} back to an equal
 * spec.
 */
public sealed interface OptimizerSpec extends java.io.Serializable
    permits SgdSpec, AdaGradSpec, RmsPropSpec, AdaDeltaSpec, AdamSpec, AdamWSpec, FtrlSpec {

  /** The base learning rate that the schedule scales ({@code alpha} for FTRL). */
  double learningRate();

  /** The optimizer's name in a configuration: PyTorch's class name ({@code "Adam"}) or Ftrl. */
  String configName();

  /**
   * Every hyper-parameter under its configuration name (defaults included), in a stable order:
   * what an audit record stores; with {@code name: configName()} it reads back to an equal spec.
   * Values are {@link Double}, {@link Boolean}, {@link String} or a list of two doubles.
   */
  java.util.Map<String, Object> parameters();

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
