package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.ExampleWriter;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.RecordCodec;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A file replay's results as lines, the records written from fields on the workers or built as
 * examples and encoded by Avro, for the tests that hold both equal ({@code DirectLinesTest},
 * {@code DirectCsvTest}).
 */
final class ReplayResults {
  static final RecordCodec<Example> CODEC = Codecs.codec(Example.class);
  /** The clock of every check (2026-01-01). */
  static final long NOW = 1_767_225_600_000L;

  private ReplayResults() {}

  /**
   * Every result of a replay, its errors and counts, and how it ended; {@code direct}: encoded
   * on the workers.
   */
  static List<String> replay(byte[] bytes, FileFormat format, String source,
      GradflowProducer producer, ExampleDecoder decoder, int workers, boolean direct) {
    List<String> out = new ArrayList<>();
    try (FileReplay replay = FileReplay.of(new ByteArrayInputStream(bytes), format, source,
        FileReplay.OnError.SKIP, workers)) {
      replay.checkWith(() -> e -> ProduceCommand.invalidity(decoder, producer, e, "!", "model",
          NOW));
      if (direct) {
        assertTrue(replay.encodeWith(() -> new ProduceCommand.Encoder(decoder,
            ExampleWriter.create(), producer, "!", () -> NOW)));
      }
      try {
        while (replay.hasNext()) {
          Example e = replay.next();
          String result;
          if (direct) {
            assertSame(FileFormat.ENCODED, e);
            ProduceCommand.Encoded enc = (ProduceCommand.Encoded) replay.encoded();
            result = enc.invalid() != null ? "invalid " + enc.invalid()
                : record(enc.key(), enc.value(), enc.eventTime()) + " label " + enc.label();
          } else {
            result = replay.check() != null ? "invalid " + replay.check()
                : record(producer.key(e), CODEC.encode(e), e.getEventTime().toEpochMilli())
                    + " label " + e.getLabel();
          }
          out.add("line " + replay.line() + ": " + result);
          if (result.startsWith("invalid")) {
            replay.refuse(result);
          }
        }
      } catch (FileReplay.MalformedInputException m) {
        out.add("stopped: " + m.getMessage());
      }
      out.add("lines " + replay.lines() + ", skipped " + replay.skipped() + ", refused "
          + replay.refused() + ", errors " + replay.errors());
    }
    return out;
  }

  static GradflowProducer producer() {
    return GradflowProducer.builder("unused:9092").examplesTopic("t").producer(
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()))
        .build();
  }

  static String record(byte[] key, byte[] value, long timestamp) {
    return "record key " + HexFormat.of().formatHex(key) + " time " + timestamp + " value "
        + HexFormat.of().formatHex(value);
  }
}
