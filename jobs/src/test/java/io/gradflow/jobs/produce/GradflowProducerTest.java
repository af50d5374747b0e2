package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * {@link GradflowProducer} refuses a record too large for the examples topic before Kafka's
 * producer sees it, so it never shares a batch with good records, and keeps batches within the
 * topic's limit.
 */
class GradflowProducerTest {

  private static Example example(String id, int featureChars) {
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < featureChars; i++) {
      name.append((char) ('a' + i % 26));
    }
    return new Example(id, Instant.ofEpochMilli(1_767_225_600_000L), null, List.of(),
        List.of(new Feature("f", name.toString(), null, 1f)), List.of(), 1f, 1f);
  }

  /** What each send's callback was told: null for a success, else the exception. */
  private static final class Outcomes {
    final List<Exception> seen = new ArrayList<>();

    void send(GradflowProducer producer, Example e) {
      producer.send(e, (metadata, exception) -> seen.add(exception));
    }
  }

  private static MockProducer<byte[], byte[]> mock() {
    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** The examples topic's record of {@code e} as Kafka sizes it for its own limit. */
  private static int size(Example e) {
    byte[] value = Codecs.codec(Example.class).encode(e);
    return org.apache.kafka.common.record.AbstractRecords.estimateSizeInBytesUpperBound(
        org.apache.kafka.common.record.RecordBatch.CURRENT_MAGIC_VALUE,
        org.apache.kafka.common.record.CompressionType.NONE, "default".getBytes(), value,
        org.apache.kafka.common.record.Record.EMPTY_HEADERS);
  }

  @Test
  void aRecordLargerThanTheTopicAcceptsNeverReachesKafkasProducer() throws Exception {
    MockProducer<byte[], byte[]> kafka = mock();
    Example large = example("large", 5000);
    int size = size(large);
    assertTrue(size > 5000 && size < 5000 + 150, "value, key and batch overhead: " + size);
    Outcomes outcomes = new Outcomes();
    try (GradflowProducer producer = GradflowProducer.builder("unused:9092").examplesTopic("t")
        .maxMessageBytes(2000).producer(kafka).build()) {
      for (int i = 0; i < 6; i++) {
        outcomes.send(producer, example("e" + i, 20));
        if (i == 2) {
          outcomes.send(producer, large);
        }
      }
      Future<RecordMetadata> refused = producer.send(large);
      ExecutionException e = assertThrows(ExecutionException.class, refused::get);
      assertInstanceOf(RecordTooLargeException.class, e.getCause());
    }
    assertEquals(List.of("e0", "e1", "e2", "e3", "e4", "e5"), kafka.history().stream()
        .map(r -> Codecs.codec(Example.class).decode(r.value()).getExampleId()).toList(),
        "every good record, in order; the large one was never handed over");
    assertEquals(7, outcomes.seen.size());
    for (int i = 0; i < 7; i++) {
      if (i != 3) {
        assertNull(outcomes.seen.get(i), "record " + i);
      }
    }
    assertInstanceOf(RecordTooLargeException.class, outcomes.seen.get(3));
    assertEquals("the record is " + size + " bytes (key, value and Kafka's batch overhead), more"
        + " than topic t accepts (max.message.bytes=2000); not sent",
        outcomes.seen.get(3).getMessage());
  }

  @Test
  void theLimitIsInclusiveAndLeftToKafkasProducerWhenMaxRequestSizeIsSmaller() {
    Example e = example("edge", 700);
    int size = size(e);
    List<MockProducer<byte[], byte[]>> kafka = List.of(mock(), mock(), mock());
    Outcomes outcomes = new Outcomes();
    try (GradflowProducer exact = GradflowProducer.builder("unused:9092").maxMessageBytes(size)
        .producer(kafka.get(0)).build();
        GradflowProducer under = GradflowProducer.builder("unused:9092")
            .maxMessageBytes(size - 1).producer(kafka.get(1)).build();
        GradflowProducer request = GradflowProducer.builder("unused:9092")
            .maxMessageBytes(1_000_000).properties(Map.of("max.request.size", "500"))
            .producer(kafka.get(2)).build()) {
      outcomes.send(exact, e);
      outcomes.send(under, e);
      outcomes.send(request, e);
    }
    assertEquals(List.of(1, 0, 1), kafka.stream().map(k -> k.history().size()).toList(),
        "the record exactly at the limit was sent; over max.request.size, Kafka's producer"
            + " refuses it itself (ProduceKafkaPropertiesITCase)");
    assertNull(outcomes.seen.get(0));
    assertTrue(outcomes.seen.get(1).getMessage().endsWith("more than topic examples accepts"
        + " (max.message.bytes=" + (size - 1) + "); not sent"), outcomes.seen.get(1).getMessage());
    assertNull(outcomes.seen.get(2));
  }

  @Test
  void withoutTheTopicsLimitKafkasProducerAloneDecides() {
    MockProducer<byte[], byte[]> kafka = mock();
    try (GradflowProducer producer = GradflowProducer.builder("unused:9092").producer(kafka)
        .build()) {
      producer.send(example("large", 50_000));
      assertEquals("262144", producer.settings().get("batch.size"));
    }
    assertEquals(1, kafka.history().size());
  }

  @Test
  void batchesAreNoLargerThanTheTopicAccepts() {
    try (GradflowProducer capped = GradflowProducer.builder("unused:9092").maxMessageBytes(2000)
        .producer(mock()).build();
        GradflowProducer smaller = GradflowProducer.builder("unused:9092").maxMessageBytes(2000)
            .properties(Map.of("batch.size", "1000")).producer(mock()).build();
        GradflowProducer request = GradflowProducer.builder("unused:9092")
            .maxMessageBytes(2000).properties(Map.of("max.request.size", "1500"))
            .producer(mock()).build();
        GradflowProducer large = GradflowProducer.builder("unused:9092")
            .maxMessageBytes(1_048_588).producer(mock()).build()) {
      assertEquals("2000", capped.settings().get("batch.size"));
      assertEquals("1000", smaller.settings().get("batch.size"), "a smaller batch stays");
      assertEquals("1500", request.settings().get("batch.size"), "max.request.size is less");
      assertEquals("262144", large.settings().get("batch.size"), "the broker's default");
    }
  }

  @Test
  void aRecordTheBrokerRefusesForAnotherReasonGoesThroughTheCallbackAsBefore() {
    MockProducer<byte[], byte[]> kafka = new MockProducer<>(false, null,
        new ByteArraySerializer(), new ByteArraySerializer());
    Outcomes outcomes = new Outcomes();
    try (GradflowProducer producer = GradflowProducer.builder("unused:9092")
        .maxMessageBytes(2000).producer(kafka).build()) {
      outcomes.send(producer, example("e0", 20));
      outcomes.send(producer, example("e1", 20));
      kafka.completeNext();
      InvalidTimestampException broker = new InvalidTimestampException("out of range");
      kafka.errorNext(broker);
      assertEquals(2, outcomes.seen.size());
      assertNull(outcomes.seen.get(0));
      assertEquals(broker, outcomes.seen.get(1), "the broker's own exception, untouched");
    }
    List<ProducerRecord<byte[], byte[]>> sent = kafka.history();
    assertEquals(2, sent.size());
  }
}
