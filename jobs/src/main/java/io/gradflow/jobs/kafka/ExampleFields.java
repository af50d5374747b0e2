package io.gradflow.jobs.kafka;

import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fields of one {@link Example}, as a file format parses them: the id, event time
 * (milliseconds since the epoch, UTC), model key (null for the job's default), label (absent, or
 * a float as written or mapped), weight, entities in order (a type and a raw id; CSV's), sparse
 * features in order, each a namespace and either a name or an index (a feature added with a name
 * has no index and the other way round), with its value, and dense values in order (CSV's
 * numeric columns). {@link ExampleWriter} writes the record's bytes
 * from them and {@link ExampleDecoder#validate(ExampleFields, long)} judges them, as the
 * generated classes' encoding and {@link ExampleDecoder#validate(Example, long)} would the
 * {@link #toExample() example} they make, without building it.
 *
 * <p>Memory: arrays as long as the most features, entities and dense values a line had (they
 * grow, never shrink).
 * Reused line after line ({@link #start}); not thread-safe: one per parsing thread.
 */
public final class ExampleFields {
  private String exampleId;
  private long eventTime;
  private String modelKey;
  private boolean hasLabel;
  private float label;
  private float weight;
  private int count;
  private String[] namespaces = new String[64];
  private String[] names = new String[64];
  private long[] indices = new long[64];
  private float[] values = new float[64];
  private int entityCount;
  private String[] entityTypes = new String[4];
  private String[] entityIds = new String[4];
  private int denseCount;
  private float[] dense = new float[16];

  /** Starts the next example: no features, entities or dense values, no label, weight 1. */
  public void start(String exampleId, long eventTimeMillis, String modelKey) {
    this.exampleId = exampleId;
    this.eventTime = eventTimeMillis;
    this.modelKey = modelKey;
    this.hasLabel = false;
    this.label = 0f;
    this.weight = 1f;
    Arrays.fill(names, 0, count, null); // no name of a line kept alive by the next
    this.count = 0;
    Arrays.fill(entityIds, 0, entityCount, null);
    this.entityCount = 0;
    this.denseCount = 0;
  }

  /** Replaces the example id given to {@link #start} (VW's tag is read after the label). */
  public void exampleId(String id) {
    this.exampleId = id;
  }

  public void label(float value) {
    this.hasLabel = true;
    this.label = value;
  }

  public void weight(float value) {
    this.weight = value;
  }

  /** A feature with a name (no index). */
  public void addNamed(String namespace, String name, float value) {
    add(namespace, name, 0, value);
  }

  /** A feature with a (pre-hashed) index (no name). */
  public void addIndexed(String namespace, long index, float value) {
    add(namespace, null, index, value);
  }

  private void add(String namespace, String name, long index, float value) {
    if (count == values.length) {
      int n = 2 * count;
      namespaces = Arrays.copyOf(namespaces, n);
      names = Arrays.copyOf(names, n);
      indices = Arrays.copyOf(indices, n);
      values = Arrays.copyOf(values, n);
    }
    namespaces[count] = namespace;
    names[count] = name;
    indices[count] = index;
    values[count] = value;
    count++;
  }

  /** An entity: its type and raw id. */
  public void addEntity(String type, String id) {
    if (entityCount == entityIds.length) {
      entityTypes = Arrays.copyOf(entityTypes, 2 * entityCount);
      entityIds = Arrays.copyOf(entityIds, 2 * entityCount);
    }
    entityTypes[entityCount] = type;
    entityIds[entityCount] = id;
    entityCount++;
  }

  /** The next dense value. */
  public void addDense(float value) {
    if (denseCount == dense.length) {
      dense = Arrays.copyOf(dense, 2 * denseCount);
    }
    dense[denseCount++] = value;
  }

  public String exampleId() {
    return exampleId;
  }

  public long eventTime() {
    return eventTime;
  }

  public String modelKey() {
    return modelKey;
  }

  public boolean hasLabel() {
    return hasLabel;
  }

  /** The label; meaningful only when {@link #hasLabel()}. */
  public float label() {
    return label;
  }

  public float weight() {
    return weight;
  }

  /** Sparse features so far. */
  public int count() {
    return count;
  }

  public String namespace(int i) {
    return namespaces[i];
  }

  /** The name of feature {@code i}, or null when it has an index. */
  public String name(int i) {
    return names[i];
  }

  /** The index of feature {@code i}; meaningful only when its name is null. */
  public long index(int i) {
    return indices[i];
  }

  public float value(int i) {
    return values[i];
  }

  /** Entities so far. */
  public int entityCount() {
    return entityCount;
  }

  public String entityType(int i) {
    return entityTypes[i];
  }

  public String entityId(int i) {
    return entityIds[i];
  }

  /** Dense values so far. */
  public int denseCount() {
    return denseCount;
  }

  public float dense(int j) {
    return dense[j];
  }

  /** The generated example of these fields. */
  public Example toExample() {
    List<Feature> features = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      float v = values[i];
      Float boxed = v == 1f ? ONE : Float.valueOf(v);
      features.add(names[i] != null ? new Feature(namespaces[i], names[i], null, boxed)
          : new Feature(namespaces[i], null, indices[i], boxed));
    }
    // The all-fields constructor: the builder deep-copies the schema's defaults at each build.
    List<Entity> ents = new ArrayList<>(entityCount);
    for (int i = 0; i < entityCount; i++) {
      ents.add(new Entity(entityTypes[i], entityIds[i]));
    }
    List<Float> denseList = new ArrayList<>(denseCount);
    for (int j = 0; j < denseCount; j++) {
      denseList.add(dense[j]);
    }
    return new Example(exampleId, Instant.ofEpochMilli(eventTime), modelKey, ents, features,
        denseList, hasLabel ? label : null, weight);
  }

  /** 1 boxed once: most values of a file of categories are 1. */
  private static final Float ONE = 1f;
}
