package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * The source's event time of a record equals the event time the decoder gives the same bytes: in
 * place for the current schema, by a whole decode for an older one, and {@link Long#MIN_VALUE}
 * (no watermark moves) for bytes that are no record.
 */
class RawEventTimeTest {
  private static RawRecord record(byte[] value) {
    return new RawRecord("t", 0, 0, 0, null, value);
  }

  @Test
  void theEventTimeOfEveryExampleAndLabelIsTheDecodersOwn() {
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(5));
    SplittableRandom random = new SplittableRandom(5);
    // no bound on the time ahead here: every time is read as the decoder reads it
    RawEventTime examples = RawEventTime.examples(InputLimits.NONE);
    RawEventTime labels = RawEventTime.labels(InputLimits.NONE);
    for (int i = 0; i < 5_000; i++) {
      // ids of every length class of the varint (1, 2 and 3 bytes), non-ASCII among them;
      // times before 1970, around it and far ahead
      char[] id = new char[random.nextInt(i % 3 == 0 ? 9_000 : 70)];
      Arrays.fill(id, i % 2 == 0 ? 'x' : 'ü');
      long time = switch (i % 4) {
        case 0 -> random.nextLong(-5_000_000_000_000L, 5_000_000_000_000L);
        case 1 -> random.nextLong(-70, 70);
        default -> random.nextLong(1_000_000_000_000L, 2_000_000_000_000L);
      };
      Example e = Example.newBuilder(generator.next().example()).setExampleId(new String(id))
          .setEventTime(Instant.ofEpochMilli(time)).build();
      byte[] bytes = Codecs.codec(Example.class).encode(e);
      assertEquals(Codecs.codec(Example.class).decode(bytes).getEventTime().toEpochMilli(),
          examples.extractTimestamp(record(bytes), -1), "example " + i);
      Label l = Label.newBuilder().setExampleId(new String(id)).setEventTime(
          Instant.ofEpochMilli(time)).setLabel(1f).build();
      assertEquals(time, labels.extractTimestamp(record(Codecs.codec(Label.class).encode(l)),
          -1), "label " + i);
    }
  }

  @Test
  void anOlderWriterSchemaIsDecodedWholeAndNoRecordHasTheLeastTime() throws Exception {
    Schema v1 = Codecs.historicalSchema("Example.v1.avsc");
    GenericRecord old = new GenericData.Record(v1);
    for (Schema.Field f : v1.getFields()) {
      old.put(f.name(), switch (f.schema().getType()) {
        case STRING -> "old";
        case LONG -> 1_700_000_000_123L;
        case ARRAY -> new GenericData.Array<>(0, f.schema());
        default -> null;
      });
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old, bytes);
    RawEventTime examples = RawEventTime.examples(InputLimits.DEFAULT);
    assertEquals(1_700_000_000_123L, examples.extractTimestamp(record(bytes.toByteArray()), -1));
    byte[] current = Codecs.codec(Example.class).encode(Example.newBuilder(
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(1)).next().example())
        .build());
    for (byte[] none : new byte[][] {null, {}, {1, 2, 3}, "{\"a\": 1}".getBytes(),
        Arrays.copyOf(current, 12)}) {
      assertEquals(Long.MIN_VALUE, examples.extractTimestamp(record(none), -1),
          Arrays.toString(none));
    }
    assertEquals(Long.MIN_VALUE, examples.extractTimestamp(RawRecord.endOfInput("t", 0), -1));
  }

  /**
   * Review 23 H1: a record the decoder refuses for an event time too far ahead of the clock
   * (EVENT_TIME_OUT_OF_RANGE) moves no watermark: a year-3000 record would carry its partition's,
   * and so the label join's, watermark to the year 3000.
   */
  @Test
  void aTimeFurtherAheadThanTheDecoderAcceptsHasNone() {
    Instant year3000 = Instant.parse("3000-01-01T00:00:00Z");
    Example e = Example.newBuilder(new ClickThroughGenerator(ClickThroughGenerator.Spec
        .defaults(2)).next().example()).setEventTime(year3000).build();
    Label l = Label.newBuilder().setExampleId("a").setEventTime(year3000).setLabel(1f).build();
    byte[] example = Codecs.codec(Example.class).encode(e);
    byte[] label = Codecs.codec(Label.class).encode(l);
    assertEquals(Long.MIN_VALUE, RawEventTime.examples(InputLimits.DEFAULT)
        .extractTimestamp(record(example), -1));
    assertEquals(Long.MIN_VALUE, RawEventTime.labels(InputLimits.DEFAULT)
        .extractTimestamp(record(label), -1));
    assertEquals(year3000.toEpochMilli(), RawEventTime.examples(InputLimits.NONE)
        .extractTimestamp(record(example), -1), "input.max_event_time_ahead: 0 is off");
    Instant now = Instant.now();
    assertEquals(now.toEpochMilli(), RawEventTime.examples(InputLimits.DEFAULT).extractTimestamp(
        record(Codecs.codec(Example.class).encode(Example.newBuilder(e).setEventTime(now)
            .build())), -1));
  }
}
