package io.gradflow.schedule;

/**
 * What a schedule's {@code t} counts.
 *
 * <ul>
 *   <li>{@link #MODEL_STEP}: examples the model has learned since the schedule started; periods
 *       in the schedule are numbers of steps.
 *   <li>{@link #EVENT_TIME}: milliseconds of event time since the schedule started; periods are
 *       durations converted to milliseconds. Replays reproduce the same rates because event time
 *       travels with the data.
 * </ul>
 */
public enum ScheduleClock {
  MODEL_STEP,
  EVENT_TIME;

  /**
   * The schedule's {@code t}, given the model's step and the current event time, and the values
   * both had when the schedule (re)started. Never negative: late events do not run the clock back
   * before the start.
   */
  public long elapsed(long modelStep, long eventTimeMillis, long startStep, long startMillis) {
    long t = this == MODEL_STEP ? modelStep - startStep : eventTimeMillis - startMillis;
    return Math.max(0, t);
  }
}
