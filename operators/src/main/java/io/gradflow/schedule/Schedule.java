package io.gradflow.schedule;

/**
 * A learning rate as a pure function of a clock {@code t >= 0}.
 *
 * <p>{@code t} counts the schedule's clock since the schedule (re)started: model steps, or
 * milliseconds of event time (see {@link ScheduleClock}). Restarting a schedule, as a drift
 * policy may, is therefore only a new origin for {@code t}; the schedule keeps no state.
 * Implementations are immutable and thread-safe. Built from a {@link ScheduleSpec}.
 */
@FunctionalInterface
public interface Schedule {
  /** The learning rate at clock value {@code t}. */
  double learningRate(long t);

  /** A fixed learning rate. */
  static Schedule constant(double learningRate) {
    return t -> learningRate;
  }
}
