package io.gradflow.jobs.kafka;

/** Why an input record went to the dead-letter topic instead of the model. */
public enum DeadLetterReason {
  /**
   * The bytes are not a single-object-encoded record of the expected type (or no known version),
   * or declare a length that the record's own bytes cannot hold.
   */
  UNDECODABLE,
  /** An example with no sparse feature, no entity and no dense feature. */
  NO_FEATURES,
  /** A NaN or infinite feature value or dense value. */
  NON_FINITE_VALUE,
  /** A feature with neither name nor index (or both), or an empty namespace or entity. */
  INVALID_FEATURE,
  /** An importance weight that is negative, NaN or infinite. */
  INVALID_WEIGHT,
  /** A label outside the loss's domain ({@code Loss.acceptsLabel}), NaN or infinite. */
  LABEL_OUT_OF_DOMAIN,
  /** An empty example id. */
  MISSING_ID,
  /**
   * An example id or model key longer than {@code ExampleDecoder.MAX_ID_LENGTH} characters: the
   * outputs that copy it would not fit Kafka's request limit.
   */
  ID_TOO_LONG,
  /**
   * An event time more than {@code input.max_event_time_ahead} ahead of the job's clock when the
   * record is decoded (for example the year 3000).
   */
  EVENT_TIME_OUT_OF_RANGE,
  /** A sparse feature or dense value whose absolute value exceeds {@code input.max_abs_value}. */
  VALUE_OUT_OF_RANGE,
  /**
   * An example whose number of dense values is not the {@code model.inputs} of a model that reads
   * them as its inputs ({@code mlp}, {@code wide_and_deep}).
   */
  DENSE_WIDTH
}
