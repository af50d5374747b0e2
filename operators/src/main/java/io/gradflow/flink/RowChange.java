package io.gradflow.flink;

/**
 * One entry of the model changelog: a row's weights (without optimizer slots) after the model's
 * step {@code modelStep}. Idempotent: applying it twice, or late, leaves the same row. A Flink
 * POJO.
 */
public final class RowChange {
  public String modelKey;
  public long rowId;
  public float[] weights;
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
}
