package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.Label;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleDecoderTest {
  static final FeatureHashing HASHING = new FeatureHashing(20);
  static final ExampleDecoder LOGISTIC = new ExampleDecoder(HASHING, Loss.LOGISTIC, "m0");
  static final Instant T = Instant.ofEpochMilli(1000);

  static Example.Builder good() {
    return Example.newBuilder().setExampleId("e").setEventTime(T)
        .setEntities(List.of(new Entity("user", "u1")))
        .setFeatures(List.of(new Feature("country", "DE", null, 1f),
            new Feature("ad", null, 77L, 0.5f)))
        .setDense(List.of(2f)).setLabel(1f);
  }

  static byte[] bytes(Example.Builder b) {
    return Codecs.codec(Example.class).encode(b.build());
  }

  static RejectedRecordException rejected(ExampleDecoder d, Example.Builder b) {
    return assertThrows(RejectedRecordException.class, () -> d.decodeExample(bytes(b)));
  }

  @Test
  void goodExampleIsHashed() throws Exception {
    CompactExample c = LOGISTIC.decodeExample(bytes(good()));
    assertEquals("e", c.exampleId);
    assertEquals("m0", c.modelKey, "default model key");
    assertEquals(1000, c.eventTime);
    assertArrayEquals(new long[] {FeatureHashing.entityRow("user", "u1"),
        HASHING.feature("country", "DE"), HASHING.feature("ad", 77L)}, c.rowIds);
    assertArrayEquals(new float[] {1f, 1f, 0.5f}, c.values);
    assertArrayEquals(new float[] {2f}, c.dense);
    assertEquals(1f, c.label);
    assertEquals(1f, c.weight);
    CompactExample unlabeled = LOGISTIC.decodeExample(bytes(good().setLabel(null)
        .setModelKey("m7")));
    assertTrue(Float.isNaN(unlabeled.label));
    assertEquals("m7", unlabeled.modelKey);
  }

  /**
   * A model that reads dense values as its inputs (mlp, wide_and_deep) takes exactly
   * model.inputs of them; the others any number. The fast and the general path agree.
   */
  @Test
  void aDeepModelsInputsMustAllBeThere() throws Exception {
    ExampleDecoder two = new ExampleDecoder(HASHING, Loss.LOGISTIC, "m0",
        new InputLimits(java.time.Duration.ZERO, 0, 2));
    RejectedRecordException one = rejected(two, good());
    assertEquals(DeadLetterReason.DENSE_WIDTH, one.reason());
    assertEquals("example e has 1 dense values, but the model reads 2 (model.inputs)",
        one.getMessage());
    assertArrayEquals(new float[] {2f, 3f},
        two.decodeExample(bytes(good().setDense(List.of(2f, 3f)))).dense);
    assertEquals(DeadLetterReason.DENSE_WIDTH,
        assertThrows(RejectedRecordException.class, () -> two.toCompact(good().build())).reason());
    assertArrayEquals(new float[] {}, LOGISTIC.decodeExample(bytes(good().setDense(List.of())))
        .dense);
  }

  @Test
  void everyKindOfBadRecordHasItsReason() {
    assertEquals(DeadLetterReason.UNDECODABLE, assertThrows(RejectedRecordException.class,
        () -> LOGISTIC.decodeExample(new byte[] {1, 2, 3})).reason());
    assertEquals(DeadLetterReason.MISSING_ID, rejected(LOGISTIC, good().setExampleId(""))
        .reason());
    RejectedRecordException none = rejected(LOGISTIC, good().setEntities(List.of())
        .setFeatures(List.of()).setDense(List.of()));
    assertEquals(DeadLetterReason.NO_FEATURES, none.reason());
    assertEquals("example e has no features, entities or dense values", none.getMessage());
    RejectedRecordException nan = rejected(LOGISTIC, good().setFeatures(
        List.of(new Feature("country", "DE", null, Float.NaN))));
    assertEquals(DeadLetterReason.NON_FINITE_VALUE, nan.reason());
    assertEquals("features[0] (country, DE) has value NaN", nan.getMessage());
    assertEquals("dense[1] has value Infinity", rejected(LOGISTIC,
        good().setDense(List.of(1f, Float.POSITIVE_INFINITY))).getMessage());
    assertEquals(DeadLetterReason.INVALID_FEATURE, rejected(LOGISTIC, good().setFeatures(
        List.of(new Feature("country", null, null, 1f)))).reason());
    assertEquals(DeadLetterReason.INVALID_FEATURE, rejected(LOGISTIC, good().setFeatures(
        List.of(new Feature("country", "DE", 5L, 1f)))).reason());
    assertEquals(DeadLetterReason.INVALID_FEATURE, rejected(LOGISTIC, good().setEntities(
        List.of(new Entity("user", "")))).reason());
    RejectedRecordException w = rejected(LOGISTIC, good().setWeight(-1f));
    assertEquals(DeadLetterReason.INVALID_WEIGHT, w.reason());
    assertEquals("weight must be finite and >= 0, but was -1.0", w.getMessage());
    assertEquals(DeadLetterReason.INVALID_WEIGHT, rejected(LOGISTIC, good().setWeight(Float.NaN))
        .reason());
    RejectedRecordException l = rejected(LOGISTIC, good().setLabel(2f));
    assertEquals(DeadLetterReason.LABEL_OUT_OF_DOMAIN, l.reason());
    assertEquals("label must be in [0, 1] for the logistic loss, but was 2.0", l.getMessage());
  }

  @Test
  void realDomainAcceptsAnyFiniteLabel() throws Exception {
    ExampleDecoder squared = new ExampleDecoder(HASHING, Loss.SQUARED, "m0");
    assertEquals(2f, squared.decodeExample(bytes(good().setLabel(2f))).label);
    assertEquals(DeadLetterReason.LABEL_OUT_OF_DOMAIN,
        rejected(squared, good().setLabel(Float.NEGATIVE_INFINITY)).reason());
  }

  @Test
  void labels() throws Exception {
    byte[] ok = Codecs.codec(Label.class).encode(new Label("e", T, 0f, null));
    assertEquals(new CompactLabel("e", "m0", 1000, 0f), LOGISTIC.decodeLabel(ok));
    byte[] bad = Codecs.codec(Label.class).encode(new Label("e", T, -0.5f, "m"));
    assertEquals(DeadLetterReason.LABEL_OUT_OF_DOMAIN,
        assertThrows(RejectedRecordException.class, () -> LOGISTIC.decodeLabel(bad)).reason());
    byte[] example = bytes(good());
    RejectedRecordException wrongType = assertThrows(RejectedRecordException.class,
        () -> LOGISTIC.decodeLabel(example));
    assertEquals(DeadLetterReason.UNDECODABLE, wrongType.reason());
    assertEquals("an Example record where Label was expected", wrongType.getMessage());
  }

  /**
   * What most Kafka producers send by default, Confluent Schema Registry's framing (magic byte 0,
   * a 4-byte schema id, the body), and a plain Avro body without a header are dead letters whose
   * detail names them and points to the encoding Gradflow reads; examples and labels alike.
   */
  @Test
  void foreignFramingsAreUndecodableSayingWhatTheyAre() throws Exception {
    byte[] body = plainBody(good().build(), Example.class);
    byte[] confluent = java.nio.ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(17)
        .put(body).array();
    RejectedRecordException framed = assertThrows(RejectedRecordException.class,
        () -> LOGISTIC.decodeExample(confluent));
    assertEquals(DeadLetterReason.UNDECODABLE, framed.reason());
    assertTrue(framed.getMessage().startsWith("not a single-object-encoded Avro record: the value"
        + " starts with Confluent Schema Registry framing (magic byte 0, schema id 17, then an"
        + " Example body)"), framed.getMessage());
    assertTrue(framed.getMessage().endsWith("see README 'Your own producer'"),
        framed.getMessage());
    RejectedRecordException plain = assertThrows(RejectedRecordException.class,
        () -> LOGISTIC.decodeExample(body));
    assertEquals(DeadLetterReason.UNDECODABLE, plain.reason());
    assertTrue(plain.getMessage().contains("a plain Avro binary Example body without a header"),
        plain.getMessage());
    byte[] label = plainBody(new Label("e", T, 1f, "m"), Label.class);
    RejectedRecordException plainLabel = assertThrows(RejectedRecordException.class,
        () -> LOGISTIC.decodeLabel(label));
    assertTrue(plainLabel.getMessage().contains("a plain Avro binary Label body"),
        plainLabel.getMessage());
  }

  /** The Avro binary body alone, as a producer without single-object encoding writes it. */
  static <T extends org.apache.avro.specific.SpecificRecord> byte[] plainBody(T record,
      Class<T> type) throws Exception {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    org.apache.avro.io.BinaryEncoder enc =
        org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
    new org.apache.avro.specific.SpecificDatumWriter<>(type).write(record, enc);
    enc.flush();
    return out.toByteArray();
  }

  /**
   * {@link ExampleDecoder#validate} (the producer's check, no hashing) refuses exactly what
   * {@link ExampleDecoder#toCompact} refuses, with the same reason and detail: random examples
   * with every kind of flaw, alone and together, under default and narrow limits.
   */
  @Test
  void validateRefusesExactlyWhatToCompactRefuses() {
    ExampleDecoder narrow = new ExampleDecoder(HASHING, Loss.LOGISTIC, "m0",
        new InputLimits(java.time.Duration.ofHours(1), 10, 2));
    ExampleDecoder squared = new ExampleDecoder(HASHING, Loss.SQUARED, "m0");
    java.util.Random random = new java.util.Random(12);
    Instant future = Instant.now().plus(java.time.Duration.ofDays(3650));
    float[] values = {1f, 0.5f, -3f, 20f, 2e6f, Float.NaN, Float.POSITIVE_INFINITY, 0f};
    int refused = 0;
    for (int i = 0; i < 20_000; i++) {
      List<Entity> entities = new java.util.ArrayList<>();
      for (int k = random.nextInt(3); k > 0; k--) {
        entities.add(new Entity(random.nextInt(20) == 0 ? "" : "user",
            random.nextInt(20) == 0 ? "" : "u" + random.nextInt(9)));
      }
      List<Feature> features = new java.util.ArrayList<>();
      for (int k = random.nextInt(5); k > 0; k--) {
        int kind = random.nextInt(30);
        features.add(new Feature(kind == 0 ? "" : "ns" + random.nextInt(3),
            kind == 1 || kind > 15 ? null : "n" + random.nextInt(9),
            kind == 2 || kind > 15 ? (long) random.nextInt(99) : null,
            value(random, values)));
      }
      List<Float> dense = new java.util.ArrayList<>();
      for (int k = random.nextInt(4); k > 0; k--) {
        dense.add(value(random, values));
      }
      Example e = good().setExampleId(random.nextInt(30) == 0 ? ""
              : random.nextInt(30) == 0 ? "x".repeat(5000) : "e" + i)
          .setEventTime(random.nextInt(20) == 0 ? future : T)
          .setEntities(entities).setFeatures(features).setDense(dense)
          .setWeight(random.nextInt(20) == 0 ? -1f : random.nextInt(20) == 0 ? Float.NaN : 1f)
          .setLabel(random.nextInt(10) == 0 ? null : value(random, values))
          .build();
      for (ExampleDecoder d : List.of(LOGISTIC, narrow, squared)) {
        long now = System.currentTimeMillis();
        String expected = verdict(() -> d.toCompact(e, now));
        assertEquals(expected, verdict(() -> d.validate(e, now)), e.toString());
        refused += expected == null ? 0 : 1;
      }
    }
    // Both verdicts, many times (about 52,000 refused with this seed).
    assertTrue(refused > 10_000 && refused < 58_000, "refused " + refused + " of 60,000");
  }

  /** Mostly 1 or 0, now and then one of {@code values} (flawed ones among them). */
  private static float value(java.util.Random random, float[] values) {
    int k = random.nextInt(12);
    return k < values.length ? values[k] : k % 2;
  }

  /** How a check ended: null when it refused nothing, else the reason and detail. */
  private static String verdict(org.junit.jupiter.api.function.Executable check) {
    try {
      check.execute();
      return null;
    } catch (RejectedRecordException r) {
      return r.reason() + ": " + r.getMessage();
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }
}
