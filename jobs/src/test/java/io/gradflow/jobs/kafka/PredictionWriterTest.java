package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link PredictionWriter} writes exactly {@link RecordCodec#encode}'s bytes. */
class PredictionWriterTest {
  private final RecordCodec<Prediction> codec = Codecs.codec(Prediction.class);
  private final PredictionWriter writer = PredictionWriter.create();

  private void assertSameBytes(String id, String key, long step, double score, long eventTime,
      float label) {
    Prediction p = new Prediction(id, key, step, score, Instant.ofEpochMilli(eventTime),
        Float.isNaN(label) ? null : label);
    byte[] expected = codec.encode(p);
    assertArrayEquals(expected, writer.write(id, key, step, score, eventTime, label),
        p.toString());
    assertArrayEquals(expected, writer.write(id, key.getBytes(StandardCharsets.UTF_8), step,
        score, eventTime, label), "key as bytes: " + p);
  }

  @Test
  void theCurrentSchemaHasTheLayoutWritten() {
    assertEquals(PredictionWriter.LAYOUT, ExampleBytesReader.layout(codec.schema()));
    assertNotNull(writer);
  }

  @Test
  void everyKindOfValue() {
    String[] strings = {"", "a", "ctr-7-123456", "x".repeat(63), "x".repeat(64), "y".repeat(1000),
        "pa\u00efs", "\u4e16\u754c", "\ud83d\ude00", "bad \ud800 surrogate", "\u00e9".repeat(40)};
    long[] longs = {0, 1, -1, 63, 64, -65, Long.MAX_VALUE, Long.MIN_VALUE, 1_700_000_000_000L};
    double[] doubles = {0.5, -0.0, 0, Double.NaN, Double.longBitsToDouble(0x7ff8000000000123L),
        Double.POSITIVE_INFINITY, Double.MIN_VALUE, 1e300};
    float[] labels = {Float.NaN, 0f, 1f, -0f, 0.25f, Float.NEGATIVE_INFINITY};
    Random random = new Random(11);
    for (int i = 0; i < 5000; i++) {
      assertSameBytes(strings[random.nextInt(strings.length)],
          strings[random.nextInt(strings.length)], longs[random.nextInt(longs.length)],
          i % 2 == 0 ? doubles[random.nextInt(doubles.length)] : random.nextDouble(),
          i % 3 == 0 ? longs[random.nextInt(longs.length)] : random.nextLong() >> 8,
          labels[random.nextInt(labels.length)]);
    }
  }
}
