package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.DeadLetterRecord;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.Label;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, "no single record stops the job", at the decoder: each hostile record is one dead
 * letter with its reason and a detail naming the field, and every dead letter fits Kafka's
 * default limits, whatever it copies.
 */
class HostileRecordsTest {
  static final FeatureHashing HASHING = new FeatureHashing(20);
  static final ExampleDecoder DECODER = new ExampleDecoder(HASHING, Loss.LOGISTIC, "m");
  static final long NOW = Instant.parse("2026-11-30T10:00:00Z").toEpochMilli();

  static byte[] resource(String name) throws IOException {
    try (InputStream in = HostileRecordsTest.class.getResourceAsStream("/cases/" + name)) {
      InputStream s = name.endsWith(".gz") ? new GZIPInputStream(in) : in;
      return s.readAllBytes();
    }
  }

  static Example.Builder good(long eventTime) {
    return Example.newBuilder().setExampleId("e").setEventTime(Instant.ofEpochMilli(eventTime))
        .setFeatures(List.of(new Feature("f", "a", null, 1f))).setDense(List.of(0.5f))
        .setLabel(1f);
  }

  static RejectedRecordException rejected(ExampleDecoder d, Example.Builder b) {
    byte[] bytes = Codecs.codec(Example.class).encode(b.build());
    return assertThrows(RejectedRecordException.class, () -> d.decodeExample(bytes, NOW));
  }

  @Test
  void theArrayLengthBombIsOneUndecodableRecord() throws IOException {
    RejectedRecordException e = assertThrows(RejectedRecordException.class,
        () -> DECODER.decodeExample(resource("kafka-avro-array-length-bomb.bin"), NOW));
    assertEquals(DeadLetterReason.UNDECODABLE, e.reason());
    assertEquals("corrupt Example body: dense declares 2147483638 items but the record has 0"
        + " bytes left", e.getMessage());
  }

  @Test
  void theSixHundredKilobyteNanIsADeadLetterThatFits() throws IOException {
    byte[] value = resource("kafka-600kb-name-with-nan.bin.gz");
    assertTrue(value.length > 600_000);
    RejectedRecordException e = assertThrows(RejectedRecordException.class,
        () -> DECODER.decodeExample(value, NOW));
    assertEquals(DeadLetterReason.NON_FINITE_VALUE, e.reason());
    assertTrue(e.getMessage().length() < 400, "the name is quoted, not copied: "
        + e.getMessage().length());
    assertTrue(e.getMessage().contains("...(600000 characters)) has value NaN"), e.getMessage());

    byte[] key = new byte[100_000];
    DeadLetter d = DeadLetter.of(new RawRecord("examples", 3, 99L, 1234L, key, value),
        e.reason(), "x".repeat(50_000));
    DeadLetterRecord r = d.toAvro();
    byte[] encoded = Codecs.codec(DeadLetterRecord.class).encode(r);
    assertTrue(encoded.length + d.key.length <= DeadLetter.MAX_RECORD_BYTES,
        encoded.length + " bytes");
    assertTrue(r.getTruncated());
    assertEquals(value.length, r.getValueSize());
    assertEquals(100_000, r.getKeySize());
    assertEquals(DeadLetter.MAX_VALUE_BYTES, r.getValue().remaining());
    assertArrayEquals(Arrays.copyOf(value, DeadLetter.MAX_VALUE_BYTES), d.value);
    assertEquals(DeadLetter.MAX_KEY_BYTES, d.key.length, "the Kafka key is cut too");
    assertEquals(DeadLetter.MAX_DETAIL_CHARS, r.getDetail().length());
    assertTrue(r.getDetail().endsWith("... (detail cut from 50000 characters)"), r.getDetail());
    assertEquals("examples", r.getSourceTopic());
    assertEquals(3, r.getSourcePartition());
    assertEquals(99L, r.getSourceOffset());
    assertEquals(Instant.ofEpochMilli(1234L), r.getSourceTimestamp());
  }

  @Test
  void theLargestPossibleDeadLetterFitsKafkasDefaultLimits() {
    // The producer's max.request.size and the broker's message.max.bytes default to about 1 MiB;
    // a record batch adds well under 1 KiB of its own.
    String topic = "t".repeat(249);
    String detail = "\u20ac".repeat(100_000); // 3 UTF-8 bytes per character
    DeadLetter d = new DeadLetter(DeadLetterReason.EVENT_TIME_OUT_OF_RANGE.name(), detail, topic,
        Integer.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, new byte[5_000_000],
        new byte[50_000_000]);
    int size = Codecs.codec(DeadLetterRecord.class).encode(d.toAvro()).length + d.key.length;
    assertTrue(size <= DeadLetter.MAX_RECORD_BYTES, size + " bytes");
    assertTrue(DeadLetter.MAX_RECORD_BYTES + 1024 < 1_048_576, "under the default limits");
  }

  @Test
  void aSmallRecordIsCopiedWholeAndNotMarked() {
    DeadLetter d = DeadLetter.of(new RawRecord("examples", 0, 1L, 2L, null, new byte[] {1, 2}),
        DeadLetterReason.UNDECODABLE, "bad");
    DeadLetterRecord r = d.toAvro();
    assertFalse(r.getTruncated());
    assertNull(r.getKeySize());
    assertEquals(2, r.getValueSize());
    assertEquals("bad", r.getDetail());
  }

  @Test
  void anEventTimeTooFarAheadIsADeadLetterNamingTheSetting() throws Exception {
    long twoHours = NOW + Duration.ofHours(2).toMillis();
    assertEquals(twoHours, DECODER.decodeExample(
        Codecs.codec(Example.class).encode(good(twoHours).build()), NOW).eventTime,
        "2 hours ahead is within the default day");
    long year3000 = Instant.parse("3000-01-01T00:00:00Z").toEpochMilli();
    RejectedRecordException e = rejected(DECODER, good(year3000));
    assertEquals(DeadLetterReason.EVENT_TIME_OUT_OF_RANGE, e.reason());
    assertEquals("example e has event_time 3000-01-01T00:00:00Z, more than"
        + " input.max_event_time_ahead (1d) ahead of the clock (2026-11-30T10:00:00Z)",
        e.getMessage());
    ExampleDecoder hour = new ExampleDecoder(HASHING, Loss.LOGISTIC, "m",
        new InputLimits(Duration.ofHours(1), 1e6));
    assertEquals(DeadLetterReason.EVENT_TIME_OUT_OF_RANGE, rejected(hour, good(twoHours))
        .reason());
    ExampleDecoder off = new ExampleDecoder(HASHING, Loss.LOGISTIC, "m",
        new InputLimits(Duration.ZERO, 1e6));
    assertEquals(year3000, off.decodeExample(Codecs.codec(Example.class).encode(
        good(year3000).build()), NOW).eventTime, "0 is off");
    // the latest representable event time does not overflow the check
    assertEquals(DeadLetterReason.EVENT_TIME_OUT_OF_RANGE,
        rejected(DECODER, good(Long.MAX_VALUE)).reason());
    // labels are held to the same rule: they drive the label join's watermark
    byte[] label = Codecs.codec(Label.class).encode(new Label("e",
        Instant.ofEpochMilli(year3000), 1f, null));
    RejectedRecordException l = assertThrows(RejectedRecordException.class,
        () -> DECODER.decodeLabel(label, NOW));
    assertEquals(DeadLetterReason.EVENT_TIME_OUT_OF_RANGE, l.reason());
    assertTrue(l.getMessage().startsWith("label of e has event_time 3000-01-01"), l.getMessage());
  }

  @Test
  void aValueBeyondTheBoundIsADeadLetterNamingTheFeature() throws Exception {
    RejectedRecordException sparse = rejected(DECODER, good(NOW).setFeatures(List.of(
        new Feature("f", "a", null, 1f), new Feature("price", "usd", null, 1e30f))));
    assertEquals(DeadLetterReason.VALUE_OUT_OF_RANGE, sparse.reason());
    assertEquals("features[1] (price, usd) has value 1.0E30, beyond input.max_abs_value"
        + " 1000000.0", sparse.getMessage());
    RejectedRecordException dense = rejected(DECODER, good(NOW).setDense(List.of(1f, -2e6f)));
    assertEquals(DeadLetterReason.VALUE_OUT_OF_RANGE, dense.reason());
    assertEquals("dense[1] has value -2000000.0, beyond input.max_abs_value 1000000.0",
        dense.getMessage());
    // the bound itself is accepted; 0 turns the check off
    DECODER.decodeExample(Codecs.codec(Example.class).encode(good(NOW).setDense(List.of(1e6f))
        .build()), NOW);
    ExampleDecoder off = new ExampleDecoder(HASHING, Loss.LOGISTIC, "m",
        new InputLimits(Duration.ofDays(1), 0));
    assertEquals(1e30f, off.decodeExample(Codecs.codec(Example.class).encode(good(NOW)
        .setFeatures(List.of(new Feature("f", "a", null, 1e30f))).build()), NOW).values[0]);
  }
}
