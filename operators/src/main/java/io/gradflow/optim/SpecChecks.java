package io.gradflow.optim;

import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;

/**
 * Hyper-parameter checks that several optimizer specs share and that the generic {@link Check}
 * helpers do not express. Stateless and thread-safe.
 */
final class SpecChecks {
  private SpecChecks() {}

  /**
   * Checks {@code optimizer.eps}: above 0, and still above 0 as the float32 the arithmetic uses.
   * With eps = 0 a zero gradient on a fresh row divides 0 by 0 and writes NaN into the row
   * (Adam, AdaGrad, RMSprop) or divides by a zero root (AdaDelta); an eps below the smallest
   * positive float rounds to that same 0.
   */
  static double epsilon(double epsilon) {
    Check.positive("optimizer.eps", epsilon);
    if ((float) epsilon == 0f) {
      throw new ConfigException("optimizer.eps", "optimizer.eps must be at least "
          + Float.MIN_VALUE + " (the smallest positive float32: the arithmetic is float32),"
          + " but was " + epsilon);
    }
    return epsilon;
  }
}
