package io.gradflow.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * One example on the hot path, in primitive arrays: what the trainer and the models read.
 *
 * <p>{@code rowIds[i]} is the 64-bit row id of a sparse feature or entity (already hashed, see
 * {@code io.gradflow.schema.FeatureHashing}) and {@code values[i]} its value; {@code dense} holds
 * the dense features by position. The bias is not listed: models add it. {@code label} is NaN for
 * an unlabeled example (score only). {@code weight} is the importance weight (1 by default).
 *
 * <p>A Flink POJO (public fields, no-argument constructor) so records move through keyed exchanges
 * with Flink's own array serializers and never through Kryo; a keyed exchange of such records ran
 * about four times faster than the same data as a list of feature objects. Treat instances as
 * values: code that receives one never modifies its arrays. Not thread-safe.
 */
public final class CompactExample {
  public String exampleId;
  public String modelKey;
  public long eventTime;
  public long[] rowIds;
  public float[] values;
  public float[] dense;
  public float label;
  public float weight;

  /** For Flink's POJO serializer. */
  public CompactExample() {
    this("", "", 0, new long[0], new float[0], new float[0], Float.NaN, 1f);
  }

  public CompactExample(String exampleId, String modelKey, long eventTime, long[] rowIds,
      float[] values, float[] dense, float label, float weight) {
    if (rowIds.length != values.length) {
      throw new IllegalArgumentException("rowIds has " + rowIds.length + " entries but values has "
          + values.length);
    }
    this.exampleId = exampleId;
    this.modelKey = modelKey;
    this.eventTime = eventTime;
    this.rowIds = rowIds;
    this.values = values;
    this.dense = dense;
    this.label = label;
    this.weight = weight;
  }

  public boolean hasLabel() {
    return !Float.isNaN(label);
  }

  /**
   * Whether the example is learned: it has a label and a non-zero importance weight. An example
   * of weight 0 is scored but not learned (Vowpal Wabbit's rule), so it changes no row, slot,
   * step count, schedule clock or standardizer.
   */
  public boolean learnable() {
    return hasLabel() && weight != 0;
  }

  /** A copy with another model key (the arrays are shared: they are never modified). */
  public CompactExample withModelKey(String key) {
    return new CompactExample(exampleId, key, eventTime, rowIds, values, dense, label, weight);
  }

  /** A copy with a label (the arrays are shared). */
  public CompactExample withLabel(float newLabel) {
    return new CompactExample(exampleId, modelKey, eventTime, rowIds, values, dense, newLabel,
        weight);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CompactExample e && eventTime == e.eventTime
        && Float.compare(label, e.label) == 0 && Float.compare(weight, e.weight) == 0
        && Objects.equals(exampleId, e.exampleId) && Objects.equals(modelKey, e.modelKey)
        && Arrays.equals(rowIds, e.rowIds) && Arrays.equals(values, e.values)
        && Arrays.equals(dense, e.dense);
  }

  @Override
  public int hashCode() {
    return Objects.hash(exampleId, modelKey, eventTime, Arrays.hashCode(rowIds));
  }

  @Override
  public String toString() {
    return "CompactExample{" + exampleId + ", model " + modelKey + ", t " + eventTime + ", "
        + rowIds.length + " features, " + dense.length + " dense, label " + label + "}";
  }
}
