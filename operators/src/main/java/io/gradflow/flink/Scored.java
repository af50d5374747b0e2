package io.gradflow.flink;

/**
 * A prediction the trainer made: the main output of {@link TrainerOperator}. A Flink POJO.
 * {@code label} is NaN when the example was only scored.
 */
public final class Scored {
  public String exampleId;
  public String modelKey;
  public long modelStep;
  public double score;
  public long eventTime;
  public float label;

  public Scored() {}

  public Scored(String exampleId, String modelKey, long modelStep, double score, long eventTime,
      float label) {
    this.exampleId = exampleId;
    this.modelKey = modelKey;
    this.modelStep = modelStep;
    this.score = score;
    this.eventTime = eventTime;
    this.label = label;
  }

  @Override
  public String toString() {
    return "Scored{" + exampleId + ", " + modelKey + " @" + modelStep + ": " + score + "}";
  }
}
