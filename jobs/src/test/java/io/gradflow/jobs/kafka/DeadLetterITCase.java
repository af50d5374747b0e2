package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.DeadLetterRecord;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.Label;
import io.gradflow.schema.RecordCodec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bounded Flink job (local MiniCluster) reads a topic with good and bad examples and labels,
 * decodes them, and writes dead letters through an exactly-once Kafka sink: each bad record
 * arrives in the dead-letter topic (read committed) with its reason and source coordinates, and
 * every good one comes out of the decoder.
 */
class DeadLetterITCase {
  static final Instant T = Instant.ofEpochMilli(1_700_000_000_000L);
  static TestBroker kafka;

  @BeforeAll
  static void start() throws Exception {
    kafka = TestBroker.start();
    kafka.createTopics(1, "examples", "labels", "dead-letters");
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  static Example.Builder good(String id) {
    return Example.newBuilder().setExampleId(id).setEventTime(T)
        .setEntities(List.of(new Entity("user", "u")))
        .setFeatures(List.of(new Feature("f", "a", null, 1f))).setLabel(1f);
  }

  @Test
  void badRecordsReachTheDeadLetterTopicWithReasonAndCoordinates() throws Exception {
    RecordCodec<Example> ex = Codecs.codec(Example.class);
    RecordCodec<Label> lab = Codecs.codec(Label.class);
    // value -> expected reason (null = good)
    Map<String, byte[]> examples = new LinkedHashMap<>();
    Map<String, String> expectedReason = new LinkedHashMap<>();
    examples.put("good-1", ex.encode(good("good-1").build()));
    examples.put("garbage", "not avro".getBytes());
    expectedReason.put("garbage", "UNDECODABLE");
    examples.put("a-label", lab.encode(new Label("x", T, 1f, null)));
    expectedReason.put("a-label", "UNDECODABLE");
    examples.put("empty", ex.encode(good("empty").setEntities(List.of()).setFeatures(List.of())
        .build()));
    expectedReason.put("empty", "NO_FEATURES");
    examples.put("nan", ex.encode(good("nan").setFeatures(List.of(
        new Feature("f", "a", null, Float.NaN))).build()));
    expectedReason.put("nan", "NON_FINITE_VALUE");
    examples.put("inf-dense", ex.encode(good("inf-dense").setDense(List.of(
        Float.NEGATIVE_INFINITY)).build()));
    expectedReason.put("inf-dense", "NON_FINITE_VALUE");
    examples.put("nameless", ex.encode(good("nameless").setFeatures(List.of(
        new Feature("f", null, null, 1f))).build()));
    expectedReason.put("nameless", "INVALID_FEATURE");
    examples.put("weight", ex.encode(good("weight").setWeight(Float.POSITIVE_INFINITY).build()));
    expectedReason.put("weight", "INVALID_WEIGHT");
    examples.put("label", ex.encode(good("label").setLabel(1.5f).build()));
    expectedReason.put("label", "LABEL_OUT_OF_DOMAIN");
    examples.put("no-id", ex.encode(good("").build()));
    expectedReason.put("no-id", "MISSING_ID");
    examples.put("good-2", ex.encode(good("good-2").setLabel(null).build()));
    examples.put("null-value", null);
    expectedReason.put("null-value", "UNDECODABLE");

    Map<Long, String> keyOfOffset = new TreeMap<>();
    try (KafkaProducer<byte[], byte[]> p = KafkaTestSupport.producer(kafka)) {
      for (Map.Entry<String, byte[]> e : examples.entrySet()) {
        RecordMetadata m = p.send(new ProducerRecord<>("examples", 0, T.toEpochMilli(),
            e.getKey().getBytes(), e.getValue())).get();
        keyOfOffset.put(m.offset(), e.getKey());
      }
      p.send(new ProducerRecord<>("labels", "l-good".getBytes(),
          lab.encode(new Label("good-1", T, 0f, null)))).get();
      p.send(new ProducerRecord<>("labels", "l-bad".getBytes(),
          lab.encode(new Label("good-2", T, -1f, null)))).get();
    }

    KafkaSpec spec = KafkaSpec.of(kafka.bootstrapServers()).withGroupId("dead-letter-test")
        .withStartingOffsets(new OffsetSpec.Earliest()).withBounded(new OffsetSpec.Latest())
        .withTransactionTimeout(Duration.ofMinutes(1));
    ExampleDecoder decoder = new ExampleDecoder(new FeatureHashing(20), Loss.LOGISTIC,
        "default");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    env.enableCheckpointing(300);
    SingleOutputStreamOperator<io.gradflow.model.CompactExample> decoded = env
        .fromSource(spec.rawSource("examples"), WatermarkStrategy.noWatermarks(), "examples")
        .process(new ExampleDecodeFunction(decoder)).name("decode examples");
    SingleOutputStreamOperator<CompactLabel> labels = env
        .fromSource(spec.rawSource("labels"), WatermarkStrategy.noWatermarks(), "labels")
        .process(new LabelDecodeFunction(decoder)).name("decode labels");
    decoded.getSideOutput(DeadLetter.TAG).union(labels.getSideOutput(DeadLetter.TAG))
        .sinkTo(spec.deadLetterSink()).name("dead letters");
    DataStream<String> good = decoded.map(e -> "example " + e.exampleId + " " + e.modelKey)
        .returns(Types.STRING)
        .union(labels.map(l -> "label " + l.exampleId).returns(Types.STRING));
    List<String> out = new ArrayList<>();
    try (CloseableIterator<String> it = good.executeAndCollect("dead-letter-test")) {
      it.forEachRemaining(out::add);
    }
    assertEquals(new TreeSet<>(List.of("example good-1 default", "example good-2 default",
        "label good-1")), new TreeSet<>(out));

    int expected = expectedReason.size() + 1;
    List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestSupport.readAll(kafka, "dead-letters",
        expected, Duration.ofSeconds(30));
    assertEquals(expected, dead.size(), "one dead letter per bad record, exactly once");
    RecordCodec<DeadLetterRecord> codec = Codecs.codec(DeadLetterRecord.class);
    Map<String, String> reasonByKey = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      DeadLetterRecord d = codec.decode(r.value());
      String key = new String(r.key());
      reasonByKey.put(key, d.getReason());
      assertTrue(!d.getDetail().isEmpty(), key);
      if (d.getSourceTopic().equals("examples")) {
        assertEquals(T, d.getSourceTimestamp());
        assertEquals(0, d.getSourcePartition());
        assertEquals(key, keyOfOffset.get(d.getSourceOffset()), "coordinates of " + key);
        byte[] original = examples.get(key);
        assertEquals(original == null ? null : ByteBuffer.wrap(original), d.getValue(), key);
      } else {
        assertEquals("labels", d.getSourceTopic());
        assertEquals(1L, d.getSourceOffset());
      }
    }
    Map<String, String> want = new TreeMap<>(expectedReason);
    want.put("l-bad", "LABEL_OUT_OF_DOMAIN");
    assertEquals(want, reasonByKey);
  }
}
