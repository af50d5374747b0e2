package io.gradflow.flink;

/**
 * One entry of the model changelog: a row's weights (without optimizer slots) after the model's
 * step {@code modelStep}, or the row's removal ({@link #removed()}: {@code weights} is null) when
 * it is no longer live because it expired ({@code rows.expire_after}). Idempotent: applying it
 * twice leaves the same row. The Kafka sink writes a removal as a tombstone (the row's key with
 * a null value), so a compacted topic keeps exactly the live rows. A Flink POJO.
 */
public final class RowChange {
  public String modelKey;
  public long rowId;
  /** The row's weights, or null for a removed (expired) row. */
  public float[] weights;
  /** The row's own step count; 0 for a removed row. */
  public long rowStep;
  public long modelStep;
  /** The event time of the latest example the model had learned when the row was emitted. */
  public long eventTime;

  public RowChange() {}

  public RowChange(String modelKey, long rowId, float[] weights, long rowStep, long modelStep,
      long eventTime) {
    this.modelKey = modelKey;
    this.rowId = rowId;
    this.weights = weights;
    this.rowStep = rowStep;
    this.modelStep = modelStep;
    this.eventTime = eventTime;
  }

  /** The removal of a row that is no longer live, emitted at model step {@code modelStep}. */
  public static RowChange removed(String modelKey, long rowId, long modelStep, long eventTime) {
    return new RowChange(modelKey, rowId, null, 0, modelStep, eventTime);
  }

  /** Whether this is a removal (the row expired): no weights, a tombstone on the topic. */
  public boolean removed() {
    return weights == null;
  }

  @Override
  public String toString() {
    return "RowChange{" + modelKey + "/" + rowId + (removed() ? " removed"
        : " " + java.util.Arrays.toString(weights)) + " @" + modelStep + "}";
  }
}
