package io.gradflow.jobs.kafka;

import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.CodecException;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.Label;
import io.gradflow.schema.RecordCodec;
import java.io.Serializable;
import java.util.List;

/**
 * Turns single-object-encoded {@link Example} and {@link Label} bytes into the hot path's
 * {@link CompactExample} and {@link CompactLabel}: decode, validate, hash. Plain Java (no Flink),
 * so the producer side, benchmarks and tests use exactly what the job uses.
 *
 * <p>An example is refused ({@link RejectedRecordException}, with a {@link DeadLetterReason} and
 * a detail naming the field and value) when it cannot be decoded, has an empty id, has no feature
 * at all (sparse, entity or dense), has a feature with neither or both of name and index or an
 * empty namespace, a NaN or infinite value, a negative or non-finite weight, or a label outside the
 * loss's domain ({@link Loss#acceptsLabel}). Nothing is repaired. Row ids: entities first (in
 * record order), then sparse features, hashed by {@link FeatureHashing}; dense values by
 * position.
 *
 * <p>Serializable (configuration only); a decoder is used by one thread at a time.
 */
public final class ExampleDecoder implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FeatureHashing hashing;
  private final Loss loss;
  private final String defaultModelKey;
  private final RecordCodec<Example> examples = Codecs.codec(Example.class);
  private final RecordCodec<Label> labels = Codecs.codec(Label.class);

  /**
   * @param hashing the feature hashing of the model (its bits)
   * @param loss the model's loss: labels outside its domain are refused
   * @param defaultModelKey the model key of records that have none
   */
  public ExampleDecoder(FeatureHashing hashing, Loss loss, String defaultModelKey) {
    this.hashing = hashing;
    this.loss = loss;
    this.defaultModelKey = defaultModelKey;
  }

  /** Decodes, validates and hashes one example. */
  public CompactExample decodeExample(byte[] value) throws RejectedRecordException {
    Example e;
    try {
      e = examples.decode(value);
    } catch (CodecException ex) {
      throw new RejectedRecordException(DeadLetterReason.UNDECODABLE, ex.getMessage());
    }
    return toCompact(e);
  }

  /** Validates and hashes a decoded example. */
  public CompactExample toCompact(Example e) throws RejectedRecordException {
    String id = e.getExampleId();
    if (id == null || id.isEmpty()) {
      throw new RejectedRecordException(DeadLetterReason.MISSING_ID, "example_id is empty");
    }
    List<Entity> entities = e.getEntities();
    List<Feature> features = e.getFeatures();
    List<Float> denseList = e.getDense();
    int n = entities.size() + features.size();
    if (n == 0 && denseList.isEmpty()) {
      throw new RejectedRecordException(DeadLetterReason.NO_FEATURES,
          "example " + id + " has no features, entities or dense values");
    }
    long[] rows = new long[n];
    float[] values = new float[n];
    int k = 0;
    for (int i = 0; i < entities.size(); i++, k++) {
      Entity en = entities.get(i);
      if (en.getType().isEmpty() || en.getId().isEmpty()) {
        throw new RejectedRecordException(DeadLetterReason.INVALID_FEATURE,
            "entities[" + i + "] has an empty type or id: (" + en.getType() + ", " + en.getId()
                + ")");
      }
      rows[k] = FeatureHashing.entityRow(en.getType(), en.getId());
      values[k] = 1f;
    }
    for (int i = 0; i < features.size(); i++, k++) {
      Feature f = features.get(i);
      String name = f.getName();
      Long index = f.getIndex();
      if (f.getNamespace().isEmpty() || (name == null) == (index == null)) {
        throw new RejectedRecordException(DeadLetterReason.INVALID_FEATURE, "features[" + i
            + "] must have a namespace and exactly one of name and index, but was (" 
            + f.getNamespace() + ", name " + name + ", index " + index + ")");
      }
      float v = f.getValue();
      if (!Float.isFinite(v)) {
        throw new RejectedRecordException(DeadLetterReason.NON_FINITE_VALUE, "features[" + i
            + "] (" + f.getNamespace() + ", " + (name != null ? name : index) + ") has value " + v);
      }
      rows[k] = name != null ? hashing.feature(f.getNamespace(), name)
          : hashing.feature(f.getNamespace(), index);
      values[k] = v;
    }
    float[] dense = new float[denseList.size()];
    for (int j = 0; j < dense.length; j++) {
      float v = denseList.get(j);
      if (!Float.isFinite(v)) {
        throw new RejectedRecordException(DeadLetterReason.NON_FINITE_VALUE,
            "dense[" + j + "] has value " + v);
      }
      dense[j] = v;
    }
    float weight = e.getWeight();
    if (!(weight >= 0) || Float.isInfinite(weight)) {
      throw new RejectedRecordException(DeadLetterReason.INVALID_WEIGHT,
          "weight must be finite and >= 0, but was " + weight);
    }
    Float label = e.getLabel();
    float l = label == null ? Float.NaN : label;
    if (label != null && !loss.acceptsLabel(l)) {
      throw new RejectedRecordException(DeadLetterReason.LABEL_OUT_OF_DOMAIN,
          loss.labelProblem(l));
    }
    String model = e.getModelKey() == null ? defaultModelKey : e.getModelKey();
    return new CompactExample(id, model, e.getEventTime().toEpochMilli(), rows, values, dense, l,
        weight);
  }

  /** Decodes and validates one delayed label. */
  public CompactLabel decodeLabel(byte[] value) throws RejectedRecordException {
    Label label;
    try {
      label = labels.decode(value);
    } catch (CodecException ex) {
      throw new RejectedRecordException(DeadLetterReason.UNDECODABLE, ex.getMessage());
    }
    if (label.getExampleId().isEmpty()) {
      throw new RejectedRecordException(DeadLetterReason.MISSING_ID, "example_id is empty");
    }
    if (!loss.acceptsLabel(label.getLabel())) {
      throw new RejectedRecordException(DeadLetterReason.LABEL_OUT_OF_DOMAIN,
          loss.labelProblem(label.getLabel()));
    }
    String model = label.getModelKey() == null ? defaultModelKey : label.getModelKey();
    return new CompactLabel(label.getExampleId(), model, label.getEventTime().toEpochMilli(),
        label.getLabel());
  }
}
