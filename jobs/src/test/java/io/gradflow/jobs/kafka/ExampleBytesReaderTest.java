package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.RecommendationGenerator;
import io.gradflow.jobs.produce.SyntheticGenerator;
import io.gradflow.jobs.produce.TabularGenerator;
import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.RecordCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

/**
 * The decoder's fast path ({@link ExampleBytesReader}) against the general path (Avro's decoder
 * into {@link Example}, then {@link ExampleDecoder#toCompact}), which is the reference: on every
 * valid record the fast path takes it and gives an equal {@link CompactExample} (the same row ids,
 * so the same hashes); on damaged and invalid records it takes nothing the general path refuses
 * and gives nothing different from what the general path accepts.
 */
class ExampleBytesReaderTest {
  private static final long NOW = Instant.parse("2026-11-30T00:00:00Z").toEpochMilli();
  private static final RecordCodec<Example> CODEC = Codecs.codec(Example.class);
  private static final BinaryMessageEncoder<Example> PLAIN =
      new BinaryMessageEncoder<>(SpecificData.getForClass(Example.class), Example.getClassSchema());

  private static ExampleDecoder decoder(Loss loss) {
    return new ExampleDecoder(new FeatureHashing(22), loss, "default");
  }

  /** The general path's result, or null when it refuses. */
  private static CompactExample reference(ExampleDecoder decoder, byte[] bytes) {
    try {
      return decoder.toCompact(CODEC.decode(bytes), NOW);
    } catch (RejectedRecordException | io.gradflow.schema.CodecException e) {
      return null;
    }
  }

  private static Example.Builder valid() {
    return Example.newBuilder().setExampleId("e-ü-1").setEventTime(Instant.ofEpochMilli(NOW))
        .setModelKey("tenant-東京")
        .setEntities(List.of(new Entity("user", "u1"), new Entity("item", "😀\uD800")))
        .setFeatures(List.of(new Feature("country", "DE", null, 1f),
            new Feature("city", "Zürich", null, 0.5f), new Feature("ad", null, 77L, -2f),
            new Feature("bad", "x\uDC00y", null, 3f)))
        .setDense(List.of(0.25f, -1f))
        .setLabel(1f).setWeight(2f);
  }

  @Test
  void theLayoutIsTheCurrentSchemasSoTheFastPathIsOn() {
    assertEquals(ExampleBytesReader.LAYOUT, ExampleBytesReader.layout(CODEC.schema()));
    assertTrue(decoder(Loss.LOGISTIC).bytesReader().enabled());
  }

  @Test
  void generatedStreamsDecodeAsTheGeneralPathDecodesThem() throws Exception {
    assertTrue(!SpecificData.getForClass(Example.class).useCustomCoders(),
        "the reference writer is Avro's plain one");
    List<SyntheticGenerator> generators = List.of(
        new ClickThroughGenerator(new ClickThroughGenerator.Spec(7, 40, 100_000, 1.05, 0.3,
            -1.4, null, "ctr", NOW - 1_000_000, 1)),
        new TabularGenerator(TabularGenerator.Spec.defaults(3)),
        new RecommendationGenerator(RecommendationGenerator.Spec.defaults(5)));
    for (SyntheticGenerator g : generators) {
      ExampleDecoder decoder = decoder(g.labelLoss());
      for (int i = 0; i < 3_000; i++) {
        Example example = g.next().example();
        byte[] bytes = CODEC.encode(example);
        // The codec writes with Avro's custom coders: the bytes of Avro's plain writer.
        assertArrayEquals(PLAIN.encode(example).array(), bytes);
        CompactExample fast = decoder.bytesReader().read(bytes, NOW);
        assertNotNull(fast, "the fast path takes a valid record");
        assertEquals(reference(decoder, bytes), fast);
        assertEquals(fast, decoder.decodeExample(bytes, NOW));
      }
    }
  }

  @Test
  void handWrittenRecordsWithEntitiesIndicesDenseAndNoLabel() throws Exception {
    ExampleDecoder decoder = decoder(Loss.LOGISTIC);
    for (Example e : List.of(valid().build(), valid().setLabel(null).setModelKey(null).build(),
        valid().setEntities(List.of()).setDense(List.of()).build(),
        valid().setFeatures(List.of()).build(), valid().setEntities(List.of())
            .setFeatures(List.of()).build())) {
      byte[] bytes = CODEC.encode(e);
      CompactExample fast = decoder.bytesReader().read(bytes, NOW);
      assertNotNull(fast, e::toString);
      assertEquals(reference(decoder, bytes), fast);
    }
  }

  @Test
  void invalidRecordsAreLeftToTheGeneralPath() {
    ExampleDecoder decoder = decoder(Loss.LOGISTIC);
    List<Example> invalid = List.of(valid().setExampleId("").build(),
        valid().setWeight(-1f).build(), valid().setWeight(Float.POSITIVE_INFINITY).build(),
        valid().setLabel(2f).build(), valid().setLabel(Float.NaN).build(),
        valid().setDense(List.of(Float.NaN)).build(),
        valid().setFeatures(List.of(new Feature("", "x", null, 1f))).build(),
        valid().setFeatures(List.of(new Feature("a", "x", 3L, 1f))).build(),
        valid().setFeatures(List.of(new Feature("a", null, null, 1f))).build(),
        valid().setFeatures(List.of(new Feature("a", "x", null, 1e7f))).build(),
        valid().setEntities(List.of(new Entity("", "u"))).build(),
        valid().setEventTime(Instant.ofEpochMilli(NOW + 86_400_000L * 365)).build(),
        valid().setExampleId("x".repeat(ExampleDecoder.MAX_ID_LENGTH + 1)).build(),
        valid().setEntities(List.of()).setFeatures(List.of()).setDense(List.of()).build());
    for (Example e : invalid) {
      byte[] bytes = CODEC.encode(e);
      assertNull(decoder.bytesReader().read(bytes, NOW), e::toString);
      assertThrows(RejectedRecordException.class, () -> decoder.decodeExample(bytes, NOW));
    }
  }

  /**
   * Values at and around every kind of {@code max_abs_value} (none, the default, a float, one
   * above every float, infinity), as features and as dense values: the fast path takes exactly
   * what the general path takes, and gives the same example.
   */
  @Test
  void valuesAtTheBoundAreJudgedAsTheGeneralPathJudgesThem() {
    float[] values = {0f, -0f, 1.5f, -1.5f, Math.nextUp(1.5f), Math.nextDown(-1.5f), 1e6f,
        Math.nextUp(1e6f), -1e6f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        Float.intBitsToFloat(0x7fc00001)};
    double[] bounds = {0, 1e6, 1.5, Double.MAX_VALUE, Double.POSITIVE_INFINITY};
    int taken = 0;
    int refused = 0;
    for (double bound : bounds) {
      ExampleDecoder decoder = new ExampleDecoder(new FeatureHashing(22), Loss.LOGISTIC,
          "default", new InputLimits(java.time.Duration.ofDays(1), bound));
      for (float v : values) {
        for (Example e : List.of(valid().setFeatures(List.of(new Feature("a", "x", null, v)))
            .build(), valid().setDense(List.of(1f, v)).build())) {
          byte[] bytes = CODEC.encode(e);
          CompactExample fast = decoder.bytesReader().read(bytes, NOW);
          CompactExample reference = reference(decoder, bytes);
          assertEquals(reference, fast, () -> "bound " + bound + ", value " + v);
          if (fast == null) {
            refused++;
          } else {
            taken++;
          }
        }
      }
    }
    assertTrue(taken > 40 && refused > 40, taken + " taken, " + refused + " refused");
  }

  /** Flipped, cut and appended bytes: whatever the fast path takes, the general path gives. */
  @Test
  void damagedBytesNeverDecodeDifferently() {
    ExampleDecoder decoder = decoder(Loss.LOGISTIC);
    SplittableRandom random = new SplittableRandom(42);
    List<byte[]> records = new ArrayList<>();
    ClickThroughGenerator ctr = new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(1));
    for (int i = 0; i < 20; i++) {
      records.add(CODEC.encode(ctr.next().example()));
    }
    records.add(CODEC.encode(valid().build()));
    int taken = 0;
    for (int i = 0; i < 200_000; i++) {
      byte[] b = records.get(random.nextInt(records.size()));
      byte[] d = switch (random.nextInt(3)) {
        case 0 -> {
          byte[] c = b.clone();
          for (int k = 1 + random.nextInt(3); k > 0; k--) {
            c[10 + random.nextInt(c.length - 10)] = (byte) random.nextInt(256);
          }
          yield c;
        }
        case 1 -> Arrays.copyOf(b, 10 + random.nextInt(b.length - 10));
        default -> {
          byte[] c = Arrays.copyOf(b, b.length + 1 + random.nextInt(4));
          c[c.length - 1] = (byte) random.nextInt(256);
          yield c;
        }
      };
      CompactExample fast = decoder.bytesReader().read(d, NOW);
      if (fast != null) {
        taken++;
        assertEquals(reference(decoder, d), fast, () -> Arrays.toString(d));
      }
    }
    assertTrue(taken > 1_000, taken + " damaged records taken (value and name bytes flipped)");
  }
}
