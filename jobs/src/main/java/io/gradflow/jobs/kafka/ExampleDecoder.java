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
import io.gradflow.config.Durations;
import java.io.Serializable;
import java.time.Instant;
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
 * loss's domain ({@link Loss#acceptsLabel}). Beyond being well formed, the {@link InputLimits}
 * bound what a record may hold: an event time too far ahead of the clock
 * ({@link DeadLetterReason#EVENT_TIME_OUT_OF_RANGE}) and a feature value too large in absolute
 * value ({@link DeadLetterReason#VALUE_OUT_OF_RANGE}). Nothing is repaired or clamped. Decoding
 * allocates in proportion to the record's size only ({@link RecordCodec}): a record declaring
 * more items than its bytes hold is {@link DeadLetterReason#UNDECODABLE}. Details quote at most
 * {@value #MAX_QUOTED} characters of a name or id. Row ids: entities first (in record order),
 * then sparse features, hashed by {@link FeatureHashing}; dense values by position. A valid
 * example written with the current schema takes a fast path ({@link ExampleBytesReader}) that
 * hashes names from their UTF-8 bytes, with the same result.
 *
 * <p>Serializable (configuration only); a decoder is used by one thread at a time.
 */
public final class ExampleDecoder implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FeatureHashing hashing;
  private final Loss loss;
  private final String defaultModelKey;
  private final InputLimits limits;
  private final RecordCodec<Example> examples = Codecs.codec(Example.class);
  private final RecordCodec<Label> labels = Codecs.codec(Label.class);
  private transient ExampleBytesReader bytesReader;

  /**
   * @param hashing the feature hashing of the model (its bits)
   * @param loss the model's loss: labels outside its domain are refused
   * @param defaultModelKey the model key of records that have none
   */
  public ExampleDecoder(FeatureHashing hashing, Loss loss, String defaultModelKey) {
    this(hashing, loss, defaultModelKey, InputLimits.DEFAULT);
  }

  /**
   * @param limits what a record may hold (the job file's {@code input} section)
   */
  public ExampleDecoder(FeatureHashing hashing, Loss loss, String defaultModelKey,
      InputLimits limits) {
    this.hashing = hashing;
    this.loss = loss;
    this.defaultModelKey = defaultModelKey;
    this.limits = limits;
  }

  /** The fast path of valid current-schema examples: hashes names from their UTF-8 bytes. */
  ExampleBytesReader bytesReader() {
    ExampleBytesReader r = bytesReader;
    if (r == null) {
      r = new ExampleBytesReader(hashing, loss, defaultModelKey, limits);
      bytesReader = r;
    }
    return r;
  }

  public InputLimits limits() {
    return limits;
  }

  /** Decodes, validates and hashes one example, judging its event time by the wall clock. */
  public CompactExample decodeExample(byte[] value) throws RejectedRecordException {
    return decodeExample(value, System.currentTimeMillis());
  }

  /**
   * Decodes, validates and hashes one example.
   *
   * @param nowMillis the job's clock, which the event time may not be too far ahead of
   */
  public CompactExample decodeExample(byte[] value, long nowMillis)
      throws RejectedRecordException {
    CompactExample fast = bytesReader().read(value, nowMillis);
    if (fast != null) {
      return checkDenseWidth(fast);
    }
    Example e;
    try {
      e = examples.decode(value);
    } catch (CodecException ex) {
      throw new RejectedRecordException(DeadLetterReason.UNDECODABLE, ex.getMessage());
    }
    return toCompact(e, nowMillis);
  }

  /** Validates and hashes a decoded example, judging its event time by the wall clock. */
  public CompactExample toCompact(Example e) throws RejectedRecordException {
    return toCompact(e, System.currentTimeMillis());
  }

  /** Validates and hashes a decoded example at clock time {@code nowMillis}. */
  public CompactExample toCompact(Example e, long nowMillis) throws RejectedRecordException {
    return compact(e, nowMillis, true);
  }

  /**
   * Refuses {@code e} exactly when {@link #toCompact(Example)} would, with the same reason and
   * detail, but hashes no feature (hashing refuses nothing): what a producer checks before it
   * sends an example, judging its event time by the wall clock.
   */
  public void validate(Example e) throws RejectedRecordException {
    validate(e, System.currentTimeMillis());
  }

  /** {@link #validate(Example)} at clock time {@code nowMillis}. */
  public void validate(Example e, long nowMillis) throws RejectedRecordException {
    compact(e, nowMillis, false);
  }

  /**
   * Refuses the example of {@code f} exactly when {@link #validate(Example, long)} would refuse
   * {@code f.toExample()}, with the same reason and detail, checked in the same order, without
   * building the example: what {@code gradflow produce} checks of a line before it writes the
   * line's bytes with {@link ExampleWriter}.
   */
  public void validate(ExampleFields f, long nowMillis) throws RejectedRecordException {
    String id = f.exampleId();
    if (id == null || id.isEmpty()) {
      throw new RejectedRecordException(DeadLetterReason.MISSING_ID, "example_id is empty");
    }
    String modelKey = f.modelKey();
    if (id.length() > MAX_ID_LENGTH || (modelKey != null && modelKey.length() > MAX_ID_LENGTH)) {
      checkIds("example " + quote(id), id, modelKey);
    }
    if (f.eventTime() > limits.latestEventTime(nowMillis)) {
      checkEventTime("example " + quote(id), f.eventTime(), nowMillis);
    }
    int n = f.count();
    int entities = f.entityCount();
    int dense = f.denseCount();
    if (n == 0 && entities == 0 && dense == 0) {
      throw new RejectedRecordException(DeadLetterReason.NO_FEATURES,
          "example " + quote(id) + " has no features, entities or dense values");
    }
    for (int i = 0; i < entities; i++) {
      if (f.entityType(i).isEmpty() || f.entityId(i).isEmpty()) {
        throw new RejectedRecordException(DeadLetterReason.INVALID_FEATURE,
            "entities[" + i + "] has an empty type or id: (" + quote(f.entityType(i)) + ", "
                + quote(f.entityId(i)) + ")");
      }
    }
    for (int i = 0; i < n; i++) {
      String namespace = f.namespace(i);
      float v = f.value(i);
      if (namespace.isEmpty() || !Float.isFinite(v) || tooLarge(v)) {
        String name = f.name(i);
        refuseFeature(i, namespace, name, name == null ? f.index(i) : null, v);
      }
    }
    for (int j = 0; j < dense; j++) {
      checkDense(j, f.dense(j));
    }
    float weight = f.weight();
    if (!(weight >= 0) || Float.isInfinite(weight)) {
      throw new RejectedRecordException(DeadLetterReason.INVALID_WEIGHT,
          "weight must be finite and >= 0, but was " + weight);
    }
    if (f.hasLabel() && !loss.acceptsLabel(f.label())) {
      throw new RejectedRecordException(DeadLetterReason.LABEL_OUT_OF_DOMAIN,
          loss.labelProblem(f.label()));
    }
    checkDenseWidth(id, dense);
  }

  /** {@link #toCompact(Example, long)}; without {@code hash}, every row id is 0. */
  private CompactExample compact(Example e, long nowMillis, boolean hash)
      throws RejectedRecordException {
    String id = e.getExampleId();
    if (id == null || id.isEmpty()) {
      throw new RejectedRecordException(DeadLetterReason.MISSING_ID, "example_id is empty");
    }
    checkIds("example " + quote(id), id, e.getModelKey());
    long eventTime = e.getEventTime().toEpochMilli();
    checkEventTime("example " + quote(id), eventTime, nowMillis);
    List<Entity> entities = e.getEntities();
    List<Feature> features = e.getFeatures();
    List<Float> denseList = e.getDense();
    int n = entities.size() + features.size();
    if (n == 0 && denseList.isEmpty()) {
      throw new RejectedRecordException(DeadLetterReason.NO_FEATURES,
          "example " + quote(id) + " has no features, entities or dense values");
    }
    long[] rows = new long[n];
    float[] values = new float[n];
    int k = 0;
    for (int i = 0; i < entities.size(); i++, k++) {
      Entity en = entities.get(i);
      if (en.getType().isEmpty() || en.getId().isEmpty()) {
        throw new RejectedRecordException(DeadLetterReason.INVALID_FEATURE,
            "entities[" + i + "] has an empty type or id: (" + quote(en.getType()) + ", "
                + quote(en.getId()) + ")");
      }
      rows[k] = hash ? FeatureHashing.entityRow(en.getType(), en.getId()) : 0;
      values[k] = 1f;
    }
    for (int i = 0; i < features.size(); i++, k++) {
      Feature f = features.get(i);
      String name = f.getName();
      Long index = f.getIndex();
      float v = f.getValue();
      if (f.getNamespace().isEmpty() || (name == null) == (index == null) || !Float.isFinite(v)
          || tooLarge(v)) {
        refuseFeature(i, f.getNamespace(), name, index, v);
      }
      rows[k] = !hash ? 0 : name != null ? hashing.feature(f.getNamespace(), name)
          : hashing.feature(f.getNamespace(), index);
      values[k] = v;
    }
    float[] dense = new float[denseList.size()];
    for (int j = 0; j < dense.length; j++) {
      float v = denseList.get(j);
      checkDense(j, v);
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
    return checkDenseWidth(new CompactExample(id, model, eventTime, rows, values, dense, l,
        weight));
  }

  /**
   * Refuses feature {@code i}, which failed a check, with the first check it fails: a namespace
   * and exactly one of name and index, then a finite value, then one within
   * {@code input.max_abs_value}.
   */
  private void refuseFeature(int i, String namespace, String name, Long index, float v)
      throws RejectedRecordException {
    if (namespace.isEmpty() || (name == null) == (index == null)) {
      throw new RejectedRecordException(DeadLetterReason.INVALID_FEATURE, "features[" + i
          + "] must have a namespace and exactly one of name and index, but was ("
          + quote(namespace) + ", name " + quote(name) + ", index " + index + ")");
    }
    if (!Float.isFinite(v)) {
      throw new RejectedRecordException(DeadLetterReason.NON_FINITE_VALUE, "features[" + i
          + "] (" + quote(namespace) + ", " + (name != null ? quote(name) : index)
          + ") has value " + v);
    }
    throw new RejectedRecordException(DeadLetterReason.VALUE_OUT_OF_RANGE, "features[" + i
        + "] (" + quote(namespace) + ", " + (name != null ? quote(name) : index)
        + ") has value " + v + ", beyond input.max_abs_value " + limits.maxAbsValue());
  }

  /** Refuses dense value {@code j} when it is not finite or too large. */
  private void checkDense(int j, float v) throws RejectedRecordException {
    if (!Float.isFinite(v)) {
      throw new RejectedRecordException(DeadLetterReason.NON_FINITE_VALUE,
          "dense[" + j + "] has value " + v);
    }
    if (tooLarge(v)) {
      throw new RejectedRecordException(DeadLetterReason.VALUE_OUT_OF_RANGE, "dense[" + j
          + "] has value " + v + ", beyond input.max_abs_value " + limits.maxAbsValue());
    }
  }

  /** Refuses an example without the dense values the model reads as its inputs. */
  private CompactExample checkDenseWidth(CompactExample c) throws RejectedRecordException {
    checkDenseWidth(c.exampleId, c.dense.length);
    return c;
  }

  private void checkDenseWidth(String exampleId, int denseValues)
      throws RejectedRecordException {
    if (limits.denseValues() >= 0 && denseValues != limits.denseValues()) {
      throw new RejectedRecordException(DeadLetterReason.DENSE_WIDTH, "example "
          + quote(exampleId) + " has " + denseValues + " dense values, but the model reads "
          + limits.denseValues() + " (model.inputs)");
    }
  }

  /** Decodes and validates one delayed label, judging its event time by the wall clock. */
  public CompactLabel decodeLabel(byte[] value) throws RejectedRecordException {
    return decodeLabel(value, System.currentTimeMillis());
  }

  /** Decodes and validates one delayed label at clock time {@code nowMillis}. */
  public CompactLabel decodeLabel(byte[] value, long nowMillis) throws RejectedRecordException {
    Label label;
    try {
      label = labels.decode(value);
    } catch (CodecException ex) {
      throw new RejectedRecordException(DeadLetterReason.UNDECODABLE, ex.getMessage());
    }
    if (label.getExampleId().isEmpty()) {
      throw new RejectedRecordException(DeadLetterReason.MISSING_ID, "example_id is empty");
    }
    checkIds("label of " + quote(label.getExampleId()), label.getExampleId(),
        label.getModelKey());
    checkEventTime("label of " + quote(label.getExampleId()), label.getEventTime().toEpochMilli(),
        nowMillis);
    if (!loss.acceptsLabel(label.getLabel())) {
      throw new RejectedRecordException(DeadLetterReason.LABEL_OUT_OF_DOMAIN,
          loss.labelProblem(label.getLabel()));
    }
    String model = label.getModelKey() == null ? defaultModelKey : label.getModelKey();
    return new CompactLabel(label.getExampleId(), model, label.getEventTime().toEpochMilli(),
        label.getLabel());
  }

  /**
   * The longest example id and model key, in characters. Both are copied into every prediction
   * (the model key twice: as the Kafka key and in the value) and the model key into every metrics
   * report and changelog row: a 600,000-character key would make those records larger than
   * Kafka's 1 MiB request limit and stop the job on each restart.
   */
  public static final int MAX_ID_LENGTH = 1_000;

  private static void checkIds(String what, String exampleId, String modelKey)
      throws RejectedRecordException {
    if (exampleId.length() > MAX_ID_LENGTH) {
      throw new RejectedRecordException(DeadLetterReason.ID_TOO_LONG, what + ": example_id has "
          + exampleId.length() + " characters, more than " + MAX_ID_LENGTH);
    }
    if (modelKey != null && modelKey.length() > MAX_ID_LENGTH) {
      throw new RejectedRecordException(DeadLetterReason.ID_TOO_LONG, what + ": model_key has "
          + modelKey.length() + " characters, more than " + MAX_ID_LENGTH);
    }
  }

  private boolean tooLarge(float v) {
    return limits.maxAbsValue() > 0 && Math.abs(v) > limits.maxAbsValue();
  }

  private void checkEventTime(String what, long eventTime, long nowMillis)
      throws RejectedRecordException {
    long latest = limits.latestEventTime(nowMillis);
    if (eventTime > latest) {
      throw new RejectedRecordException(DeadLetterReason.EVENT_TIME_OUT_OF_RANGE, what
          + " has event_time " + Instant.ofEpochMilli(eventTime) + ", more than"
          + " input.max_event_time_ahead (" + Durations.format(limits.maxEventTimeAhead())
          + ") ahead of the clock (" + Instant.ofEpochMilli(nowMillis) + ")");
    }
  }

  /** Most of a name or id in a detail: a 600,000-character name is not copied whole. */
  static final int MAX_QUOTED = 100;

  static String quote(String s) {
    if (s == null || s.length() <= MAX_QUOTED) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(MAX_QUOTED - 1)) ? MAX_QUOTED - 1 : MAX_QUOTED;
    return s.substring(0, end) + "...(" + s.length() + " characters)";
  }
}
