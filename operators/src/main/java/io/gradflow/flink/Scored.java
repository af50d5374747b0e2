package io.gradflow.flink;

/**
 * A prediction the trainer made: the main output of {@link TrainerOperator}. A Flink POJO.
 * {@code label} is NaN when the example had no label; {@code learned} says whether the model
 * learned from the example after scoring it (a label and a non-zero importance weight).
 */
public final class Scored {
  public String exampleId;
  public String modelKey;
  public long modelStep;
  public double score;
  public long eventTime;
  public float label;
  public boolean learned;

  public Scored() {}

  /** A prediction of an example that was learned when it had a label. */
  public Scored(String exampleId, String modelKey, long modelStep, double score, long eventTime,
      float label) {
    this(exampleId, modelKey, modelStep, score, eventTime, label, !Float.isNaN(label));
  }

  public Scored(String exampleId, String modelKey, long modelStep, double score, long eventTime,
      float label, boolean learned) {
    this.exampleId = exampleId;
    this.modelKey = modelKey;
    this.modelStep = modelStep;
    this.score = score;
    this.eventTime = eventTime;
    this.label = label;
    this.learned = learned;
  }

  @Override
  public String toString() {
    return "Scored{" + exampleId + ", " + modelKey + " @" + modelStep + ": " + score + "}";
  }
}
