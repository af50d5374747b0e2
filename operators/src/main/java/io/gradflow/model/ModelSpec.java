package io.gradflow.model;

/**
 * A model's validated, immutable configuration: {@link LinearSpec} or
 * {@link FactorizationMachineSpec}. Records, so {@code equals}, {@code toString} and the audit
 * record cannot drift from the fields; the compact constructors refuse bad values with a message
 * naming the configuration key ({@code "model.factors must be > 0, but was 0"}).
 */
public sealed interface ModelSpec extends java.io.Serializable
    permits LinearSpec, FactorizationMachineSpec {
  /** Weights per parameter row. */
  int rowWidth();

  /** Creates the stateless model. */
  Model create();
}
