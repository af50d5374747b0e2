package io.gradflow.jobs.kafka;

import io.gradflow.config.TrainSettings;
import java.io.Serializable;
import java.time.Duration;

/**
 * What an input record may hold beyond being well formed, from the job file's {@code input}
 * section ({@link TrainSettings#INPUT}): a record beyond these bounds is a dead letter with the
 * reason, never clamped or repaired.
 *
 * @param maxEventTimeAhead an example's or label's event time may be at most this far ahead of
 *     the decoding job's clock ({@code input.max_event_time_ahead}); zero turns the check off
 * @param maxAbsValue the largest absolute sparse feature or dense value
 *     ({@code input.max_abs_value}); zero turns the check off
 * @param denseValues the number of dense values every example must have, for a model that
 *     reads them as its inputs ({@code model.inputs}); -1 for any number
 */
public record InputLimits(Duration maxEventTimeAhead, double maxAbsValue, int denseValues)
    implements Serializable {
  /** The declared defaults: one day ahead, values up to 1e6. */
  public static final InputLimits DEFAULT = new InputLimits(
      TrainSettings.INPUT_MAX_EVENT_TIME_AHEAD.defaultValue(),
      TrainSettings.INPUT_MAX_ABS_VALUE.defaultValue());
  /** No bound at all (what the decoder did before the input section). */
  public static final InputLimits NONE = new InputLimits(Duration.ZERO, 0);

  /** Bounds for a model that takes any number of dense values. */
  public InputLimits(Duration maxEventTimeAhead, double maxAbsValue) {
    this(maxEventTimeAhead, maxAbsValue, -1);
  }

  public InputLimits {
    if (maxEventTimeAhead.isNegative() || maxAbsValue < 0 || Double.isNaN(maxAbsValue)) {
      throw new IllegalArgumentException("limits must be >= 0, but were " + maxEventTimeAhead
          + " and " + maxAbsValue);
    }
  }

  /** The latest event time accepted at wall-clock time {@code nowMillis}, or Long.MAX_VALUE. */
  long latestEventTime(long nowMillis) {
    if (maxEventTimeAhead.isZero()) {
      return Long.MAX_VALUE;
    }
    long ahead = maxEventTimeAhead.toMillis();
    return nowMillis > Long.MAX_VALUE - ahead ? Long.MAX_VALUE : nowMillis + ahead;
  }
}
