package io.gradflow.jobs.kafka;

import java.util.Objects;

/**
 * A delayed label on the hot path: example id, model key (the default model's key when the
 * record had none), event time and label. A Flink POJO. Not thread-safe; treat as a value.
 */
public final class CompactLabel {
  public String exampleId;
  public String modelKey;
  public long eventTime;
  public float label;

  public CompactLabel() {
    this("", "", 0, Float.NaN);
  }

  public CompactLabel(String exampleId, String modelKey, long eventTime, float label) {
    this.exampleId = exampleId;
    this.modelKey = modelKey;
    this.eventTime = eventTime;
    this.label = label;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CompactLabel l && eventTime == l.eventTime
        && Float.compare(label, l.label) == 0 && Objects.equals(exampleId, l.exampleId)
        && Objects.equals(modelKey, l.modelKey);
  }

  @Override
  public int hashCode() {
    return Objects.hash(exampleId, modelKey, eventTime, label);
  }

  @Override
  public String toString() {
    return "CompactLabel{" + exampleId + ", model " + modelKey + ", t " + eventTime + ", label "
        + label + "}";
  }
}
