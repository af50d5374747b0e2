package io.gradflow.drift;

import java.util.Locale;

/**
 * What a model does when its detector signals a change ({@code drift.actions}). Every action is
 * deterministic, so a replay from a savepoint makes the same decisions.
 */
public enum DriftAction {
  /**
   * Restart the learning-rate schedule at the current model step and event time: a warm restart
   * (Loshchilov and Hutter 2017, SGDR) triggered by the data instead of a fixed period.
   */
  RESTART_SCHEDULE,
  /**
   * Reset every row's optimizer slots (and its own step count) to a new row's: AdaGrad's
   * accumulator and FTRL's n start over, Adam's moments and bias corrections restart. Weights are
   * kept.
   */
  RESET_SLOTS,
  /**
   * Move every row's accumulated slots toward their initial values by {@code drift.decay}
   * ({@code s = decay * s + (1 - decay) * s0}); weights and step counts are kept.
   */
  DECAY_SLOTS,
  /**
   * Multiply the learning rate by {@code drift.boost}, decaying back to 1 with a half-life of
   * {@code drift.boost_half_life} learned examples.
   */
  BOOST_LR;

  /** The action's name in a configuration: {@code restart_schedule}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
