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
  /**
   * Whether the prediction entered the model's prequential metrics (a label and a non-zero
   * importance weight, and a prediction the metrics accepted: not one they refused as not
   * finite): the learned ones, and in a frozen replay the labeled ones, less the refused.
   */
  public boolean measured;
  /**
   * The example's importance weight (1 unless its producer gave another): what its prediction
   * weighs in the metrics when it is measured, and in {@code evaluate}'s whole-run AUC.
   */
  public float weight = 1f;

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
    this.measured = learned;
  }

  /** The example's importance weight. */
  public Scored weighted(float value) {
    this.weight = value;
    return this;
  }

  /** A prediction that was measured but, in a frozen replay, not learned. */
  public Scored measured(boolean value) {
    this.measured = value;
    return this;
  }

  @Override
  public String toString() {
    return "Scored{" + exampleId + ", " + modelKey + " @" + modelStep + ": " + score + "}";
  }
}
