package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.Label;
import io.gradflow.schema.RecordCodec;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The producer's encoder ({@link RecordCodec.Encoder}, through reused buffers) writes exactly
 * {@link RecordCodec#encode}'s bytes for every generator's examples and every field.
 */
class RecordEncoderBytesTest {
  private final RecordCodec<Example> codec = Codecs.codec(Example.class);
  private final RecordCodec.Encoder<Example> encoder = codec.newEncoder();

  private void assertSameBytes(Stream<Example> examples) {
    examples.forEach(e -> assertArrayEquals(codec.encode(e), encoder.encode(e), e.toString()));
  }

  @Test
  void everyGeneratorsExamples() {
    assertSameBytes(new ClickThroughGenerator(new ClickThroughGenerator.Spec(3, 40, 100_000, 1.05,
        0.6, -1.4, DriftSpec.NONE, "ctr", 1_700_000_000_000L, 10)).examples(2000));
    assertSameBytes(new RecommendationGenerator(RecommendationGenerator.Spec.defaults(4))
        .examples(2000));
    assertSameBytes(new TabularGenerator(TabularGenerator.Spec.defaults(5)).examples(2000));
  }

  @Test
  void everyFieldAndLargeRecords() {
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      big.append((char) ('a' + i % 26)).append('\u00e9');
    }
    List<Feature> many = new java.util.ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      many.add(i % 2 == 0 ? new Feature("n\u00e9", "v" + i, null, i * 0.5f)
          : new Feature("i", null, (long) i << 33, -1f));
    }
    assertSameBytes(Stream.of(
        new Example("a", Instant.ofEpochMilli(-5), null, List.of(), List.of(), List.of(), null,
            0f),
        new Example(big.toString(), Instant.ofEpochMilli(Long.MAX_VALUE / 4), big.toString(),
            List.of(new Entity("user", "\u4e16\u754c"), new Entity("item", "")), many,
            List.of(1f, Float.NaN, -0f, Float.MAX_VALUE), Float.NEGATIVE_INFINITY, 2.5f),
        new Example("b", Instant.ofEpochMilli(1), "m", List.of(), List.of(), List.of(), 1f,
            1f)));
  }

  @Test
  void labelsToo() {
    RecordCodec<Label> labels = Codecs.codec(Label.class);
    Label l = new Label("id", Instant.ofEpochMilli(123), 0.25f, "k");
    assertArrayEquals(labels.encode(l), labels.newEncoder().encode(l));
  }

  @Test
  void aRecordAvroCannotWriteFailsAndTheNextIsWhole() {
    Example bad = new Example(null, Instant.ofEpochMilli(1), null, List.of(), List.of(),
        List.of(), null, 1f);
    assertThrows(RuntimeException.class, () -> encoder.encode(bad));
    assertSameBytes(Stream.of(new Example("after", Instant.ofEpochMilli(2), null, List.of(),
        List.of(new Feature("f", "x", null, 1f)), List.of(), 1f, 1f)));
  }
}
