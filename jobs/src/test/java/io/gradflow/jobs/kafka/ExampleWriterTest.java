package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.RecordCodec;
import java.io.InputStream;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * {@link ExampleWriter} writes {@code RecordCodec}'s bytes of {@link ExampleFields#toExample()},
 * and {@link ExampleDecoder#validate(ExampleFields, long)} refuses exactly what
 * {@link ExampleDecoder#validate(Example, long)} refuses of that example, with the same reason
 * and detail: random fields over the edges (non-ASCII and unpaired surrogates, empty and long
 * strings, empty namespaces, extreme indices and times, every float class, many features, with
 * and without entities and dense values).
 */
class ExampleWriterTest {
  private static final RecordCodec<Example> CODEC = Codecs.codec(Example.class);
  private static final long NOW = 1_700_000_000_000L;
  private static final String[] STRINGS = {"", "a", "ns", "default", "f=paris", "\u00e9t\u00e9",
      "\u4e2d\u6587", "\ud83d\ude00", "\ud800", "x\udc00y", "0", "-1", "a".repeat(63),
      "b".repeat(64), "c".repeat(200), "\u00e9".repeat(40), "d".repeat(1_001)};
  private static final long[] LONGS = {0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192,
      Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 999_999_999_999_999_999L,
      NOW, NOW + Duration.ofDays(2).toMillis()};
  private static final float[] FLOATS = {0f, -0f, 1f, -1f, 0.5f, 1e6f, 1.0000001e6f, -1e6f,
      Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00001), 3.14159f, 2f, 4.5f};

  @Test
  void writesTheCodecsBytes() {
    ExampleWriter writer = ExampleWriter.create();
    assertNotNull(writer, "the current Example schema is the layout the writer writes");
    Random random = new Random(41);
    ExampleFields f = new ExampleFields();
    for (int i = 0; i < 200_000; i++) {
      fill(random, f);
      assertEquals(HexFormat.of().formatHex(CODEC.encode(f.toExample())),
          HexFormat.of().formatHex(writer.write(f)), "fields " + i);
    }
  }

  @Test
  void validatesAsTheExample() {
    ExampleDecoder[] decoders = {
        new ExampleDecoder(new FeatureHashing(18), Loss.SQUARED, "default"),
        new ExampleDecoder(new FeatureHashing(18), Loss.LOGISTIC, "default",
            new InputLimits(Duration.ofDays(1), 5, -1)),
        new ExampleDecoder(new FeatureHashing(18), Loss.LOGISTIC, "default",
            new InputLimits(Duration.ZERO, 0, 0)),
        new ExampleDecoder(new FeatureHashing(18), Loss.SQUARED, "default",
            new InputLimits(Duration.ofHours(1), 1e6, 3))};
    Random random = new Random(42);
    ExampleFields f = new ExampleFields();
    int refused = 0;
    for (int i = 0; i < 200_000; i++) {
      fill(random, f);
      ExampleDecoder d = decoders[i % decoders.length];
      String expected = verdict(() -> d.validate(f.toExample(), NOW));
      assertEquals(expected, verdict(() -> d.validate(f, NOW)), "fields " + i);
      refused += expected != null ? 1 : 0;
    }
    assertTrue(refused > 20_000 && refused < 180_000, refused + " refused");
  }

  @Test
  void refusesASchemaItDoesNotKnow() throws Exception {
    Schema v1;
    try (InputStream in = ExampleWriterTest.class.getResourceAsStream(
        "/io/gradflow/schema/history/Example.v1.avsc")) {
      v1 = new Schema.Parser().parse(in);
    }
    assertNull(ExampleWriter.create(v1));
    Schema renamedField = new Schema.Parser().parse(CODEC.schema().toString()
        .replace("\"weight\"", "\"importance\""));
    assertNull(ExampleWriter.create(renamedField));
    assertNotNull(ExampleWriter.create(CODEC.schema()));
  }

  private interface Check {
    void run() throws RejectedRecordException;
  }

  private static String verdict(Check c) {
    try {
      c.run();
      return null;
    } catch (RejectedRecordException r) {
      return r.reason() + ": " + r.getMessage();
    }
  }

  private static void fill(Random r, ExampleFields f) {
    f.start(r.nextInt(20) == 0 ? pick(r, STRINGS) : "file.vw:" + r.nextInt(1_000_000),
        r.nextInt(4) == 0 ? pick(r, LONGS) : NOW - r.nextInt(1_000_000),
        r.nextInt(3) == 0 ? null : r.nextInt(10) == 0 ? pick(r, STRINGS) : "m");
    if (r.nextInt(4) != 0) {
      f.label(r.nextInt(3) == 0 ? pick(r, FLOATS) : r.nextInt(2));
    }
    if (r.nextInt(4) == 0) {
      f.weight(pick(r, FLOATS));
    }
    int n = r.nextInt(10) == 0 ? 0 : r.nextInt(20) == 0 ? 70 + r.nextInt(200) : r.nextInt(12);
    String namespace = r.nextInt(30) == 0 ? "" : "ns";
    for (int i = 0; i < n; i++) {
      if (r.nextInt(8) == 0) {
        namespace = r.nextInt(6) == 0 ? new String(pick(r, STRINGS)) : pick(r, STRINGS);
      }
      float v = r.nextInt(6) == 0 ? pick(r, FLOATS) : r.nextInt(3) == 0 ? r.nextFloat() : 1f;
      if (r.nextBoolean()) {
        f.addIndexed(namespace, r.nextInt(3) == 0 ? pick(r, LONGS) : r.nextLong() >> r.nextInt(64),
            v);
      } else {
        f.addNamed(namespace, r.nextInt(3) == 0 ? pick(r, STRINGS) : "f" + r.nextInt(100), v);
      }
    }
    if (r.nextInt(3) == 0) { // entities (CSV's)
      for (int k = r.nextInt(4); k >= 0; k--) {
        f.addEntity(r.nextInt(10) == 0 ? pick(r, STRINGS) : "user",
            r.nextInt(8) == 0 ? pick(r, STRINGS) : "u" + r.nextInt(1_000));
      }
    }
    if (r.nextInt(3) == 0) { // dense values (CSV's numeric columns)
      for (int j = r.nextInt(20) == 0 ? 40 + r.nextInt(100) : r.nextInt(5); j > 0; j--) {
        f.addDense(r.nextInt(5) == 0 ? pick(r, FLOATS) : r.nextFloat());
      }
    }
  }

  private static <T> T pick(Random r, T[] values) {
    return values[r.nextInt(values.length)];
  }

  private static long pick(Random r, long[] values) {
    return values[r.nextInt(values.length)];
  }

  private static float pick(Random r, float[] values) {
    return values[r.nextInt(values.length)];
  }
}
