package io.gradflow.model;

/**
 * A model's validated, immutable configuration: {@link LinearSpec},
 * {@link FactorizationMachineSpec} or {@link DeepModelSpec} (mlp, wide_and_deep). Records, so {@code equals}, {@code toString} and the audit
 * record cannot drift from the fields; the compact constructors refuse bad values with a message
 * naming the configuration key ({@code "model.factors must be > 0, but was 0"}).
 */
public sealed interface ModelSpec extends java.io.Serializable
    permits LinearSpec, FactorizationMachineSpec, DeepModelSpec {
  /** Weights per parameter row. */
  int rowWidth();

  /**
   * The model's type in a configuration ({@code model.type}). Both linear and logistic regression
   * are the linear model ({@code linear_regression}); the loss, recorded beside the model, tells
   * them apart.
   */
  String configName();

  /**
   * The model's type as a learner with {@code loss} is configured: the linear model is
   * {@code logistic_regression} with the logistic loss and {@code linear_regression} with the
   * squared one. An audit record names the model by this.
   */
  default String configName(Loss loss) {
    return configName();
  }

  /**
   * The model's settings under their configuration names ({@code model.factors}, ...): what an
   * audit record stores; with {@code type: configName()} they read back to an equal spec.
   */
  default java.util.Map<String, Object> parameters() {
    return java.util.Map.of();
  }

  /**
   * Examples per optimizer step ({@code model.batch_size}): 1, plain online learning, for every
   * model but an mlp or a wide_and_deep model configured otherwise.
   */
  default int batchSize() {
    return 1;
  }

  /** Creates the stateless model. */
  Model create();
}
