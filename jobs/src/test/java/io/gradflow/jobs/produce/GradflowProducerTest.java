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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
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

  /** An example whose feature name is {@code featureChars} letters, a-z repeated (lz4 shrinks). */
  private static Example example(String id, int featureChars) {
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < featureChars; i++) {
      name.append((char) ('a' + i % 26));
    }
    return example(id, name);
  }

  /** An example whose feature name is {@code featureChars} random letters (lz4 cannot shrink). */
  private static Example random(String id, int featureChars) {
    Random r = new Random(featureChars);
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < featureChars; i++) {
      name.append((char) ('a' + r.nextInt(26)));
    }
    return example(id, name);
  }

  private static Example example(String id, CharSequence name) {
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
    return bound("default".getBytes(), Codecs.codec(Example.class).encode(e));
  }

  /** Kafka's uncompressed upper bound of a batch of one record (its producer's own check). */
  private static int bound(byte[] key, byte[] value) {
    return org.apache.kafka.common.record.AbstractRecords.estimateSizeInBytesUpperBound(
        org.apache.kafka.common.record.RecordBatch.CURRENT_MAGIC_VALUE,
        org.apache.kafka.common.record.CompressionType.NONE, key, value,
        org.apache.kafka.common.record.Record.EMPTY_HEADERS);
  }

  /**
   * The bytes of a batch holding only {@code value}, compressed with {@code compression}, as
   * Kafka's own batch builder writes it (independent of the class under test).
   */
  private static int compressedBatch(String compression, byte[] key, byte[] value) {
    org.apache.kafka.common.record.MemoryRecordsBuilder b =
        org.apache.kafka.common.record.MemoryRecords.builder(java.nio.ByteBuffer.allocate(64),
            org.apache.kafka.common.record.RecordBatch.CURRENT_MAGIC_VALUE,
            org.apache.kafka.common.compress.Compression.of(compression).build(),
            org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0L);
    b.append(1_767_225_600_000L, key, value);
    return b.build().sizeInBytes();
  }

  @Test
  void aRecordLargerThanTheTopicAcceptsNeverReachesKafkasProducer() throws Exception {
    MockProducer<byte[], byte[]> kafka = mock();
    Example large = random("large", 5000);
    int size = compressedBatch("lz4", "default".getBytes(),
        Codecs.codec(Example.class).encode(large));
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
    assertEquals("the record is " + size + " bytes (key, value and Kafka's batch overhead,"
        + " lz4-compressed), more than topic t accepts (max.message.bytes=2000); not sent",
        outcomes.seen.get(3).getMessage());
  }

  @Test
  void theLimitIsInclusiveAndLeftToKafkasProducerWhenMaxRequestSizeIsSmaller() {
    Example e = random("edge", 700);
    int size = compressedBatch("lz4", "default".getBytes(), Codecs.codec(Example.class).encode(e));
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

  /**
   * The broker compares a batch's bytes as sent, compressed, with max.message.bytes: a record
   * that compresses under the limit is sent though its uncompressed size is over it (it used to
   * be refused), and with compression.type none the same record is refused.
   */
  @Test
  void aRecordThatCompressesUnderTheLimitIsSent() {
    Example e = example("repetitive", 5000);
    byte[] value = Codecs.codec(Example.class).encode(e);
    int compressed = compressedBatch("lz4", "default".getBytes(), value);
    assertTrue(size(e) > 2000 && compressed < 2000, size(e) + " uncompressed, " + compressed);
    List<MockProducer<byte[], byte[]>> kafka = List.of(mock(), mock());
    Outcomes outcomes = new Outcomes();
    try (GradflowProducer lz4 = GradflowProducer.builder("unused:9092").maxMessageBytes(2000)
        .producer(kafka.get(0)).build();
        GradflowProducer none = GradflowProducer.builder("unused:9092").maxMessageBytes(2000)
            .properties(Map.of("compression.type", "none")).producer(kafka.get(1)).build()) {
      outcomes.send(lz4, e);
      outcomes.send(none, e);
    }
    assertEquals(List.of(1, 0), kafka.stream().map(k -> k.history().size()).toList());
    assertNull(outcomes.seen.get(0));
    assertEquals("the record is " + compressedBatch("none", "default".getBytes(), value)
        + " bytes (key, value and Kafka's batch overhead), more than topic examples accepts"
        + " (max.message.bytes=2000); not sent", outcomes.seen.get(1).getMessage());
  }

  /**
   * The reverse: bytes that gzip cannot shrink grow by its framing, so a record within the limit
   * uncompressed (Kafka's upper bound, the old check) is over it as sent, and is refused here.
   */
  @Test
  void aRecordThatCompressionGrowsOverTheLimitIsRefused() {
    byte[] value = new byte[3000];
    new Random(5).nextBytes(value);
    byte[] key = "k".getBytes();
    int limit = bound(key, value);
    int gzip = compressedBatch("gzip", key, value);
    assertTrue(gzip > limit, "gzip grows random bytes: " + gzip + " > " + limit);
    MockProducer<byte[], byte[]> kafka = mock();
    List<Exception> seen = new ArrayList<>();
    try (GradflowProducer producer = GradflowProducer.builder("unused:9092").examplesTopic("t")
        .maxMessageBytes(limit).properties(Map.of("compression.type", "gzip")).producer(kafka)
        .build()) {
      Future<RecordMetadata> f = producer.sendRaw("t", key, value, 1_767_225_600_000L);
      ExecutionException e = assertThrows(ExecutionException.class, f::get);
      assertInstanceOf(RecordTooLargeException.class, e.getCause());
      assertEquals("the record is " + gzip + " bytes (key, value and Kafka's batch overhead,"
          + " gzip-compressed), more than topic t accepts (max.message.bytes=" + limit
          + "); not sent", e.getCause().getMessage());
    }
    assertEquals(0, kafka.history().size());
  }

  /**
   * Kafka's producer fails every other record of a batch the broker refused for one invalid
   * record with a plain KafkaException, and does not retry them: they are sent again, and only
   * the invalid record fails, with the broker's reason.
   */
  @Test
  void recordsRefusedForAnInvalidNeighbourAreSentAgain() throws Exception {
    MockProducer<byte[], byte[]> kafka = new MockProducer<>(false, null,
        new ByteArraySerializer(), new ByteArraySerializer());
    Map<String, Exception> seen = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, Future<RecordMetadata>> futures = new HashMap<>();
    KafkaException neighbour = new KafkaException("Failed to append record because it was part"
        + " of a batch which had one more more invalid records");
    InvalidTimestampException invalid = new InvalidTimestampException("Timestamp 1 of message"
        + " with offset 1 is out of range");
    try (GradflowProducer producer = GradflowProducer.builder("unused:9092").producer(kafka)
        .build()) {
      for (String id : List.of("e0", "e1", "e2")) {
        futures.put(id, producer.send(example(id, 20), (m, x) -> seen.put(id,
            x == null ? new Exception("ok") : x)));
      }
      kafka.errorNext(neighbour);
      kafka.errorNext(invalid);
      kafka.errorNext(neighbour);
      assertEquals(Map.of("e1", invalid), seen, "the invalid record fails at once, alone");
      producer.flush(); // waits for the resends; the mock completes them
      assertEquals("ok", seen.get("e0").getMessage());
      assertEquals("ok", seen.get("e2").getMessage());
      assertEquals(invalid, seen.get("e1"));
      futures.get("e0").get();
      futures.get("e2").get();
      ExecutionException e = assertThrows(ExecutionException.class, futures.get("e1")::get);
      assertEquals(invalid, e.getCause());
    }
    assertEquals(List.of("e0", "e1", "e2", "e0", "e2"), kafka.history().stream()
        .map(r -> Codecs.codec(Example.class).decode(r.value()).getExampleId()).toList());
  }

  /** A record refused for a neighbour every time fails after MAX_RESENDS sends again. */
  @Test
  void aRecordRefusedForNeighboursAgainAndAgainFailsInTheEnd() throws Exception {
    MockProducer<byte[], byte[]> kafka = new MockProducer<>(false, null,
        new ByteArraySerializer(), new ByteArraySerializer());
    KafkaException neighbour = new KafkaException(GradflowProducer.REFUSED_FOR_A_NEIGHBOUR
        + " more more invalid records");
    try (GradflowProducer producer = GradflowProducer.builder("unused:9092").producer(kafka)
        .build()) {
      Future<RecordMetadata> f = producer.send(example("e0", 20));
      for (int i = 0; i <= GradflowProducer.MAX_RESENDS; i++) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (kafka.history().size() < i + 1 && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        assertTrue(kafka.errorNext(neighbour), "send " + i);
      }
      ExecutionException e = assertThrows(ExecutionException.class, f::get);
      assertEquals(neighbour, e.getCause());
    }
    assertEquals(GradflowProducer.MAX_RESENDS + 1, kafka.history().size());
  }

  /**
   * Until every partition of a topic has acknowledged a record, a record's partition is looked up
   * before its send; a run of one key (one model) looks it up once, not once per record.
   */
  @Test
  void aRunOfOneKeyLooksItsPartitionUpOnce() {
    Node node = new Node(0, "localhost", 9092);
    List<PartitionInfo> partitions = new ArrayList<>();
    for (int p = 0; p < 12; p++) {
      partitions.add(new PartitionInfo("examples", p, node, new Node[] {node},
          new Node[] {node}));
    }
    AtomicInteger lookups = new AtomicInteger();
    MockProducer<byte[], byte[]> kafka = new MockProducer<>(new Cluster("c", List.of(node),
        partitions, java.util.Set.of(), java.util.Set.of()), true, null,
        new ByteArraySerializer(), new ByteArraySerializer()) {
      @Override
      public List<PartitionInfo> partitionsFor(String topic) {
        lookups.incrementAndGet();
        return super.partitionsFor(topic);
      }
    };
    try (GradflowProducer producer = GradflowProducer.builder("unused:9092").producer(kafka)
        .guardFirstRecordsOfGivenProducer().build()) {
      for (int i = 0; i < 1000; i++) {
        producer.send(example("e" + i, 20)); // model key "default"
      }
      assertEquals(1, lookups.get(), "one lookup for the key's first record");
      Example other = new Example("o", Instant.ofEpochMilli(1_767_225_600_000L), "other",
          List.of(), List.of(new Feature("f", "x", null, 1f)), List.of(), 1f, 1f);
      producer.send(other);
      producer.send(other);
      assertEquals(2, lookups.get(), "a new key is looked up (its partition's first record)");
      producer.send(example("back", 20));
      assertEquals(3, lookups.get(), "only the last key is remembered");
    }
    assertEquals(1003, kafka.history().size());
  }
}
