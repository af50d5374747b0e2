package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.ExampleFields;
import io.gradflow.jobs.kafka.ExampleWriter;
import io.gradflow.jobs.kafka.InputLimits;
import io.gradflow.model.Loss;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The lines {@code produce --file} writes from their parsed fields ({@link ExampleFields},
 * {@link ExampleWriter}, {@link ExampleDecoder#validate(ExampleFields, long)}) against the
 * general path (the generated example, Avro's encoding, the example's validation): for random
 * LibSVM and VW lines (noise, lines shaped like the format's, and lines over the edges: extreme
 * and overflowing indices, NaN, infinite, huge, tiny and negative-zero values, non-ASCII names,
 * empty namespaces, tags, importances), the same message for a malformed line, the same verdict
 * for an invalid one, else the same key, value and timestamp; and a whole replay on parsing
 * workers gives the same sequence of lines, refusals and records, and the same skipped lines.
 */
class DirectLinesTest {
  private static final RecordCodec<Example> CODEC = ReplayResults.CODEC;
  private static final long NOW = ReplayResults.NOW;
  private static final String[] WORDS = {"1", "0", "-1", "+1", "2", "0.5", "-0", "1e-50", "1e39",
      "-1e39", "nan", "NaN", "inf", "-Infinity", "3.4028235e38", "1.00000001", "007",
      "9223372036854775807", "-9223372036854775808", "9223372036854775808",
      "99999999999999999999", "999999999999999999", "123456789012345678", "\u00e9", "\u4e2d",
      "\ud83d\ude00", "city", "paris", "x", "", "qid", "'", ":", "a:b"};

  private static final LineFormat[] FORMATS = {
      new LibSvmFormat("ns", LabelMapping.asWritten(), "m", 1000, 10),
      new LibSvmFormat("", LabelMapping.threshold(0), null, 1000, 10),
      new LibSvmFormat("\u00e9t\u00e9", LabelMapping.asWritten(), null, Long.MAX_VALUE / 2, 1),
      new VwFormat(LabelMapping.asWritten(), "m", 1000, 10),
      new VwFormat(LabelMapping.threshold(0), null, -5000, 1_000_000_000L)};

  private static final ExampleDecoder[] DECODERS = {
      new ExampleDecoder(new FeatureHashing(18), Loss.SQUARED, "default"),
      new ExampleDecoder(new FeatureHashing(18), Loss.LOGISTIC, "default",
          new InputLimits(Duration.ofDays(1), 5, -1)),
      new ExampleDecoder(new FeatureHashing(18), Loss.SQUARED, "default",
          new InputLimits(Duration.ZERO, 0, 2))};

  @Test
  void linesGiveTheGeneralPathsRecordsAndVerdicts() throws Exception {
    Random random = new Random(51);
    ExampleFields fields = new ExampleFields();
    ExampleWriter writer = ExampleWriter.create();
    assertNotNull(writer);
    long now = NOW;
    int[] outcomes = new int[3];
    try (GradflowProducer producer = ReplayResults.producer()) {
      for (int i = 0; i < 400_000; i++) {
        LineFormat format = FORMATS[i % FORMATS.length];
        ExampleDecoder decoder = DECODERS[i % DECODERS.length];
        String line = line(random, format instanceof VwFormat);
        long n = 1 + random.nextInt(1_000_000);
        String general = outcome(() -> {
          Example e = format.parse(line, n, "f");
          if (e == null) {
            return "none";
          }
          String invalid = ProduceCommand.invalidity(decoder, producer, e, "!", "model",
              now);
          return invalid != null ? "invalid " + invalid : ReplayResults.record(producer.key(e),
              CODEC.encode(e), e.getEventTime().toEpochMilli());
        }, now);
        String direct = outcome(() -> {
          if (!format.parse(line, n, "f", fields)) {
            return "none";
          }
          ProduceCommand.Encoded e = new ProduceCommand.Encoder(decoder, writer, producer, "!",
              () -> now).apply(fields);
          assertEquals(fields.exampleId(), e.exampleId());
          return e.invalid() != null ? "invalid " + e.invalid()
              : ReplayResults.record(e.key(), e.value(), e.eventTime());
        }, now);
        assertEquals(general, direct, "'" + line + "' line " + n + " of " + format);
        outcomes[general.startsWith("record") ? 0 : general.startsWith("invalid") ? 1 : 2]++;
      }
    }
    assertTrue(outcomes[0] > 30_000 && outcomes[1] > 30_000 && outcomes[2] > 30_000,
        "records, invalid, malformed or none: " + java.util.Arrays.toString(outcomes));
  }

  @Test
  void aReplayOnWorkersEncodesWhatItWouldBuild() throws Exception {
    for (boolean vw : new boolean[] {false, true}) {
      Random random = new Random(vw ? 52 : 53);
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < 20_000; i++) {
        text.append(line(random, vw)).append(random.nextInt(10) == 0 ? "\r\n" : "\n");
      }
      byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
      LineFormat format = vw ? FORMATS[3] : FORMATS[0];
      try (GradflowProducer producer = ReplayResults.producer()) {
        List<String> general =
            ReplayResults.replay(bytes, format, "f", producer, DECODERS[1], 3, false);
        List<String> direct =
            ReplayResults.replay(bytes, format, "f", producer, DECODERS[1], 3, true);
        assertTrue(general.size() > 8_000, general.size() + " results");
        assertEquals(general, direct);
      }
    }
  }

  private interface Outcome {
    String get() throws Exception;
  }

  private static String outcome(Outcome o, long now) {
    try {
      return o.get();
    } catch (Exception e) {
      return "! " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  /** A random line: noise, shaped like the format's, or shaped over the edges. */
  private static String line(Random r, boolean vw) {
    int kind = r.nextInt(8);
    if (kind == 0) {
      return LineFormatsEquivalenceTest.randomString(r, 24);
    }
    if (kind == 1) {
      return vw ? LineFormatsEquivalenceTest.vwLike(r) : LineFormatsEquivalenceTest.libSvmLike(r);
    }
    StringBuilder s = new StringBuilder();
    if (r.nextInt(8) != 0) {
      s.append(r.nextInt(10) == 0 ? word(r) : r.nextBoolean() ? "1" : "-1");
    }
    if (vw) {
      if (r.nextInt(4) == 0) {
        s.append(' ').append(r.nextBoolean() ? word(r) : "0.5");
      }
      if (r.nextInt(3) == 0) {
        s.append(" '").append(word(r));
      }
      for (int k = r.nextInt(4); k >= 0; k--) {
        s.append(r.nextInt(4) == 0 ? "|" : " |");
        if (r.nextInt(5) != 0) {
          s.append(r.nextInt(6) != 0 ? "n" + r.nextInt(3) : word(r));
          if (r.nextInt(8) == 0) {
            s.append(':').append(word(r));
          }
        }
        for (int j = r.nextInt(6); j > 0; j--) {
          s.append(' ').append(r.nextInt(12) == 0 ? word(r) : "f" + r.nextInt(20));
          if (r.nextBoolean()) {
            s.append(':').append(r.nextInt(12) == 0 ? word(r) : "1");
          }
        }
      }
    } else {
      for (int j = r.nextInt(8); j > 0; j--) {
        s.append(r.nextInt(6) == 0 ? "\t" : " ");
        s.append(r.nextInt(12) == 0 ? word(r) : Integer.toString(r.nextInt(100_000)));
        s.append(':').append(r.nextInt(12) == 0 ? word(r) : "1");
      }
      if (r.nextInt(8) == 0) {
        s.append(" # ").append(word(r));
      }
    }
    return s.toString();
  }

  private static String word(Random r) {
    return WORDS[r.nextInt(WORDS.length)];
  }
}
