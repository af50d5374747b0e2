package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Component;
import io.gradflow.schema.DeadLetterRecord;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RecordCodec;
import io.gradflow.schema.RowUpdate;
import io.gradflow.schema.SnapshotRow;
import io.gradflow.schema.TopicPartitionOffset;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every record type, schema evolution and the producer library against a real broker. */
class KafkaIoITCase {
  static final Instant T = Instant.ofEpochMilli(1_700_000_000_000L);
  static TestBroker kafka;

  @BeforeAll
  static void start() throws Exception {
    kafka = TestBroker.start();
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  static List<SpecificRecord> oneOfEach() {
    return List.of(
        Example.newBuilder().setExampleId("e1").setEventTime(T).setModelKey("m")
            .setEntities(List.of(new Entity("user", "u1")))
            .setFeatures(List.of(new Feature("country", "DE", null, 1f)))
            .setDense(List.of(0.5f)).setLabel(1f).setWeight(2f).build(),
        new Label("e1", T, 1f, "m"),
        new Prediction("e1", "m", 3L, 0.25, T, 1f),
        MetricsReport.newBuilder().setModelKey("m").setWindowStart(T).setWindowEnd(T)
            .setCount(10).setLogLoss(0.5).setDriftEvents(List.of("adwin"))
            .setExpectedCalibrationError(0.05).setCalibrationBins(List.of(
                new io.gradflow.schema.ReliabilityBin(0.0, 0.5, 9.0, 0.2, 0.1),
                new io.gradflow.schema.ReliabilityBin(0.5, 1.0, 0.0, null, null))).build(),
        new RowUpdate("m", 42L, List.of(0.5f), 9L, T),
        ModelSnapshot.newBuilder().setModelKey("m").setCreatedAt(T)
            .setModel(new Component("logistic", Map.of()))
            .setOptimizer(new Component("Adam", Map.of("lr", "0.001")))
            .setDataOffsets(List.of(new TopicPartitionOffset("examples", 0, 5L)))
            .setRows(List.of(new SnapshotRow(1L, List.of(1f, 0f), 0f))).build(),
        new DeadLetterRecord("NO_FEATURES", "none", "examples", 0, 1L, T, null,
            ByteBuffer.wrap(new byte[] {9}), false, null, 1));
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void everyRecordTypeRoundTrips() throws Exception {
    List<SpecificRecord> records = oneOfEach();
    assertEquals(Codecs.RECORD_TYPES.size(), records.size());
    for (SpecificRecord r : records) {
      String topic = "roundtrip-" + r.getClass().getSimpleName();
      kafka.createTopics(1, topic);
      RecordCodec codec = Codecs.codec(r.getClass());
      try (KafkaProducer<byte[], byte[]> p = KafkaTestSupport.producer(kafka)) {
        p.send(new ProducerRecord<>(topic, "k".getBytes(), codec.encode(r))).get();
      }
      List<ConsumerRecord<byte[], byte[]>> read =
          KafkaTestSupport.readAll(kafka, topic, 1, Duration.ofSeconds(20));
      assertEquals(1, read.size(), topic);
      assertEquals(r, codec.decode(read.get(0).value()), topic);
    }
  }

  @Test
  void oldWriterOverKafkaIsReadByTheJob() throws Exception {
    kafka.createTopics(1, "evolution");
    Schema v1 = Codecs.historicalSchema("Example.v1.avsc");
    GenericRecord f = new GenericData.Record(v1.getField("features").schema().getElementType());
    f.put("namespace", "country");
    f.put("name", "DE");
    f.put("index", null);
    f.put("value", 1f);
    GenericRecord old = new GenericData.Record(v1);
    old.put("example_id", "v1-example");
    old.put("event_time", T.toEpochMilli());
    old.put("model_key", "m");
    old.put("features", List.of(f));
    old.put("dense", List.of());
    old.put("label", 1f);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old, bytes);
    Example current = Example.newBuilder().setExampleId("v2-example").setEventTime(T)
        .setFeatures(List.of(new Feature("country", "DE", null, 1f))).setWeight(3f).build();
    try (KafkaProducer<byte[], byte[]> p = KafkaTestSupport.producer(kafka)) {
      p.send(new ProducerRecord<>("evolution", bytes.toByteArray())).get();
      p.send(new ProducerRecord<>("evolution", Codecs.codec(Example.class).encode(current)))
          .get();
    }
    List<ConsumerRecord<byte[], byte[]>> read =
        KafkaTestSupport.readAll(kafka, "evolution", 2, Duration.ofSeconds(20));
    assertEquals(2, read.size());
    FeatureHashing hashing = new FeatureHashing(20);
    ExampleDecoder decoder = new ExampleDecoder(hashing, Loss.LOGISTIC, "default");
    CompactExample a = decoder.decodeExample(read.get(0).value());
    assertEquals("v1-example", a.exampleId);
    assertEquals(1f, a.weight, "v2 default for a v1 record");
    assertArrayEquals(new long[] {hashing.feature("country", "DE")}, a.rowIds);
    CompactExample b = decoder.decodeExample(read.get(1).value());
    assertEquals(3f, b.weight);
    assertEquals("default", b.modelKey);
  }

  @Test
  void producerKeysByModelOrEntity() throws Exception {
    kafka.createTopics(3, "keyed", "keyed-labels");
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (GradflowProducer p = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic("keyed").labelsTopic("keyed-labels").build()) {
      for (int i = 0; i < 30; i++) {
        sent.add(p.send(Example.newBuilder().setExampleId("e" + i).setEventTime(T.plusMillis(i))
            .setModelKey(i % 3 == 0 ? null : "m" + (i % 3))
            .setEntities(List.of(new Entity("user", "u" + i))).build()));
        names.add("example e" + i);
      }
      sent.add(p.send(new Label("e1", T, 1f, "m1")));
      names.add("label e1");
      p.flush();
    }
    KafkaTestSupport.assertWritten(sent, names);
    List<ConsumerRecord<byte[], byte[]>> read =
        KafkaTestSupport.readAll(kafka, "keyed", 30, Duration.ofSeconds(20));
    assertEquals(30, read.size());
    Map<String, Integer> partitionOfKey = new java.util.HashMap<>();
    Map<String, Long> lastTime = new java.util.HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : read) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      assertTrue(List.of("default", "m1", "m2").contains(key), key);
      assertEquals(partitionOfKey.computeIfAbsent(key, k -> r.partition()), r.partition(),
          "one partition per model");
      Example e = Codecs.codec(Example.class).decode(r.value());
      assertEquals(e.getEventTime().toEpochMilli(), r.timestamp(), "event time is the timestamp");
      assertTrue(r.timestamp() > lastTime.getOrDefault(key, -1L), "a model's order is kept");
      lastTime.put(key, r.timestamp());
    }
    List<ConsumerRecord<byte[], byte[]>> labels =
        KafkaTestSupport.readAll(kafka, "keyed-labels", 1, Duration.ofSeconds(20));
    assertEquals(new Label("e1", T, 1f, "m1"),
        Codecs.codec(Label.class).decode(labels.get(0).value()));
  }
}
