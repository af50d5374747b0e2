package io.gradflow.model;

import io.gradflow.config.Check;

/**
 * A factorization machine ({@link FactorizationMachine}): 1 + k weights per row. Immutable and
 * thread-safe.
 *
 * @param factors {@code model.factors}: k, the dimension of each row's factor vector (> 0)
 * @param initStd {@code model.init_std}: factors start as draws from N(0, initStd^2) (> 0:
 *     factors that all start at zero get zero gradients and never move. Rendle 2012 (libFM)
 *     uses 0.1; smaller values suit large k)
 * @param seed {@code model.seed}: with the row id, the only input of a row's initial factors
 */
public record FactorizationMachineSpec(int factors, double initStd, long seed)
    implements ModelSpec {

  /** A default starting deviation: Rendle 2012 (libFM)'s {@code init_stdev}. */
  public static final double DEFAULT_INIT_STD = 0.1;

  public FactorizationMachineSpec {
    Check.positive("model.factors", factors);
    Check.positive("model.init_std", initStd);
  }

  /** {@code k} factors, {@link #DEFAULT_INIT_STD}, seed 0. */
  public static FactorizationMachineSpec of(int factors) {
    return new FactorizationMachineSpec(factors, DEFAULT_INIT_STD, 0);
  }

  @Override
  public int rowWidth() {
    return 1 + factors;
  }

  @Override
  public Model create() {
    return new FactorizationMachine(this);
  }
}
