package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.DeadLetter;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.DeadLetterRecord;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.Label;
import io.gradflow.schema.RecordCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Issue 9's proof that no single record stops the job: every kind of hostile record found so far
 * (an array-length bomb, a 600 KB example with a NaN under a 600,000-character name, event times
 * in the year 3000, values of 1e30, and the malformed kinds the decoder refuses), interleaved with
 * valid records (one of them 2 hours ahead of the clock, which the broker would refuse as an output
 * timestamp), are read by a bounded job on the in-process broker with its default
 * {@code message.timestamp.after.max.ms} of one hour. The job finishes; records in = predictions
 * + dead letters exactly; every dead letter fits Kafka's default limits and names its reason; and
 * the model is the model of the valid records alone: every prediction's score is bit-identical
 * to a run on the valid records only, and so is every row of the changelog.
 */
class HostileRecordsITCase extends TrainJobITCase {
  static final RecordCodec<Example> EXAMPLES = Codecs.codec(Example.class);
  static final int VALID = 2_000;

  static byte[] resource(String name) throws IOException {
    try (InputStream in = HostileRecordsITCase.class.getResourceAsStream("/cases/" + name)) {
      InputStream s = name.endsWith(".gz") ? new GZIPInputStream(in) : in;
      return s.readAllBytes();
    }
  }

  /** One record of a kind: key, value and the dead letter's reason (null: valid). */
  record Kind(String name, byte[] key, byte[] value, String reason) {}

  /** The valid stream: click-through examples, one of them 2 hours ahead of the clock. */
  static List<Kind> valid() {
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(11));
    List<Kind> out = new ArrayList<>();
    for (int i = 0; i < VALID; i++) {
      Example.Builder e = Example.newBuilder(generator.next().example()).setExampleId("v" + i)
          .setModelKey("ctr");
      if (i == VALID / 2) {
        e.setEventTime(Instant.now().plus(Duration.ofHours(2)));
      }
      out.add(new Kind("valid", "ctr".getBytes(), EXAMPLES.encode(e.build()), null));
    }
    return out;
  }

  static Example.Builder base(String id) {
    return Example.newBuilder().setExampleId(id).setEventTime(Instant.now()).setModelKey("ctr")
        .setEntities(List.of(new Entity("user", "u1")))
        .setFeatures(List.of(new Feature("site", "news", null, 1f))).setDense(List.of(0.5f))
        .setLabel(1f);
  }

  static byte[] encode(Example.Builder b) {
    return EXAMPLES.encode(b.build());
  }

  static byte[] varLong(long v) {
    long n = (v << 1) ^ (v >> 63);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((n & ~0x7FL) != 0) {
      out.write((int) ((n & 0x7f) | 0x80));
      n >>>= 7;
    }
    out.write((int) n);
    return out.toByteArray();
  }

  /** Every hostile kind, each refused with its reason. */
  static List<Kind> hostile() throws IOException {
    List<Kind> k = new ArrayList<>();
    k.add(new Kind("array-length-bomb", null, resource("kafka-avro-array-length-bomb.bin"),
        "UNDECODABLE"));
    k.add(new Kind("600kb-name-with-nan", null, resource("kafka-600kb-name-with-nan.bin.gz"),
        "NON_FINITE_VALUE"));
    byte[] good = encode(base("h"));
    byte[] head = Arrays.copyOf(good, 10 + 2); // header, then the id "h" (length 1)
    ByteArrayOutputStream stringBomb = new ByteArrayOutputStream();
    stringBomb.writeBytes(head);
    stringBomb.writeBytes(varLong(Instant.now().toEpochMilli()));
    stringBomb.writeBytes(varLong(1)); // model_key: the string branch
    stringBomb.writeBytes(varLong(2_000_000_000L));
    k.add(new Kind("string-length-bomb", null, stringBomb.toByteArray(), "UNDECODABLE"));
    k.add(new Kind("year-3000", null, encode(base("h-3000")
        .setEventTime(Instant.parse("3000-01-01T00:00:00Z"))), "EVENT_TIME_OUT_OF_RANGE"));
    k.add(new Kind("year-275760", null, encode(base("h-max")
        .setEventTime(Instant.ofEpochMilli(Long.MAX_VALUE))), "EVENT_TIME_OUT_OF_RANGE"));
    k.add(new Kind("value-1e30", null, encode(base("h-1e30").setFeatures(List.of(
        new Feature("site", "news", null, 1e30f)))), "VALUE_OUT_OF_RANGE"));
    k.add(new Kind("dense-minus-1e30", null, encode(base("h-dense").setDense(List.of(-1e30f))),
        "VALUE_OUT_OF_RANGE"));
    k.add(new Kind("not-avro", null, "not avro at all".getBytes(), "UNDECODABLE"));
    byte[] wrongFingerprint = good.clone();
    wrongFingerprint[5] ^= 0x55;
    k.add(new Kind("wrong-fingerprint", null, wrongFingerprint, "UNDECODABLE"));
    k.add(new Kind("a-label", null, Codecs.codec(Label.class).encode(
        new Label("h", Instant.now(), 1f, null)), "UNDECODABLE"));
    k.add(new Kind("truncated", null, Arrays.copyOf(good, good.length - 3), "UNDECODABLE"));
    k.add(new Kind("tombstone", null, null, "UNDECODABLE"));
    k.add(new Kind("empty-value", null, new byte[0], "UNDECODABLE"));
    byte[] hugeKey = new byte[600_000];
    Arrays.fill(hugeKey, (byte) 'k');
    k.add(new Kind("600kb-key", hugeKey, "garbage".getBytes(), "UNDECODABLE"));
    k.add(new Kind("no-features", null, encode(base("h-empty").setEntities(List.of())
        .setFeatures(List.of()).setDense(List.of())), "NO_FEATURES"));
    k.add(new Kind("nan-value", null, encode(base("h-nan").setFeatures(List.of(
        new Feature("site", "news", null, Float.NaN)))), "NON_FINITE_VALUE"));
    k.add(new Kind("infinite-dense", null, encode(base("h-inf").setDense(List.of(
        Float.POSITIVE_INFINITY))), "NON_FINITE_VALUE"));
    k.add(new Kind("name-and-index", null, encode(base("h-both").setFeatures(List.of(
        new Feature("site", "news", 7L, 1f)))), "INVALID_FEATURE"));
    k.add(new Kind("empty-namespace", null, encode(base("h-ns").setFeatures(List.of(
        new Feature("", "news", null, 1f)))), "INVALID_FEATURE"));
    k.add(new Kind("empty-entity", null, encode(base("h-entity").setEntities(List.of(
        new Entity("user", "")))), "INVALID_FEATURE"));
    k.add(new Kind("negative-weight", null, encode(base("h-w").setWeight(-1f)),
        "INVALID_WEIGHT"));
    k.add(new Kind("nan-weight", null, encode(base("h-wnan").setWeight(Float.NaN)),
        "INVALID_WEIGHT"));
    k.add(new Kind("label-1.5", null, encode(base("h-label").setLabel(1.5f)),
        "LABEL_OUT_OF_DOMAIN"));
    k.add(new Kind("label-nan", null, encode(base("h-lnan").setLabel(Float.NaN)),
        "LABEL_OUT_OF_DOMAIN"));
    k.add(new Kind("missing-id", null, encode(base("")), "MISSING_ID"));
    // Valid otherwise, but every prediction would copy the key twice: over Kafka's 1 MiB limit.
    k.add(new Kind("600kb-model-key", null, encode(base("h-key").setModelKey("m".repeat(600_000))),
        "ID_TOO_LONG"));
    k.add(new Kind("600kb-example-id", null, encode(base("i".repeat(600_000))), "ID_TOO_LONG"));
    return k;
  }

  /** Writes records in order to one partition, stamped with the current time; by offset. */
  static Map<Long, Kind> write(String topic, List<Kind> records) throws Exception {
    Map<Long, Kind> byOffset = new TreeMap<>();
    try (KafkaProducer<byte[], byte[]> p = KafkaTestSupport.producer(kafka)) {
      List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent =
          new ArrayList<>();
      for (Kind r : records) {
        sent.add(p.send(new ProducerRecord<>(topic, 0, null, r.key, r.value)));
      }
      for (int i = 0; i < records.size(); i++) {
        byOffset.put(sent.get(i).get().offset(), records.get(i));
      }
    }
    return byOffset;
  }

  @Test
  void noSingleRecordStopsTheJobAndTheModelIsThatOfTheValidRecords() throws Exception {
    List<Kind> valid = valid();
    List<Kind> hostile = hostile();
    assertTrue(hostile.size() >= 15, "kinds: " + hostile.size());
    List<Kind> mixed = new ArrayList<>();
    int every = VALID / (hostile.size() + 1);
    for (int i = 0, h = 0; i < valid.size(); i++) {
      if (i > 0 && i % every == 0 && h < hostile.size()) {
        mixed.add(hostile.get(h++));
      }
      mixed.add(valid.get(i));
    }
    assertEquals(VALID + hostile.size(), mixed.size(), "every hostile kind is in the stream");

    kafka.createTopics(1, "hostile-examples", "valid-examples");
    Map<Long, Kind> hostileOffsets = write("hostile-examples", mixed);
    write("valid-examples", valid);

    String settings = "optimizer: {name: SGD, lr: 0.1}";
    Run withHostile = Run.create("hostile-examples", "labels");
    runBounded(config(withHostile.yaml(settings, true), temp.resolve("hostile")),
        UnaryOperator.identity(), new Configuration());
    Run validOnly = Run.create("valid-examples", "labels");
    runBounded(config(validOnly.yaml(settings, true), temp.resolve("valid")),
        UnaryOperator.identity(), new Configuration());

    // records in = predictions + dead letters, exactly
    Map<String, Double> scores = predictions(withHostile.predictions(), VALID);
    List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestSupport.readAll(kafka,
        withHostile.deadLetters(), hostile.size(), Duration.ofSeconds(60));
    assertEquals(VALID, scores.size(), "one prediction per valid record");
    assertEquals(hostile.size(), dead.size(), "one dead letter per hostile record");
    assertEquals(mixed.size(), scores.size() + dead.size(), "records in");

    // every dead letter fits, names its reason, keeps its coordinates
    RecordCodec<DeadLetterRecord> codec = Codecs.codec(DeadLetterRecord.class);
    Map<String, String> reasons = new LinkedHashMap<>();
    Map<String, String> expected = new LinkedHashMap<>();
    hostile.forEach(h -> expected.put(h.name, h.reason));
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      int size = r.serializedValueSize() + Math.max(0, r.serializedKeySize());
      assertTrue(size <= DeadLetter.MAX_RECORD_BYTES, "dead letter of " + size + " bytes");
      DeadLetterRecord d = codec.decode(r.value());
      Kind kind = hostileOffsets.get(d.getSourceOffset());
      assertTrue(kind != null && kind.reason != null, "offset " + d.getSourceOffset());
      reasons.put(kind.name, d.getReason());
      assertFalse(d.getDetail().isEmpty(), kind.name);
      assertEquals("hostile-examples", d.getSourceTopic());
      assertEquals(0, d.getSourcePartition());
      int original = kind.value == null ? -1 : kind.value.length;
      assertEquals(kind.value == null ? null : original, d.getValueSize(), kind.name);
      assertEquals(kind.key == null ? null : kind.key.length, d.getKeySize(), kind.name);
      boolean cut = original > DeadLetter.MAX_VALUE_BYTES
          || (kind.key != null && kind.key.length > DeadLetter.MAX_KEY_BYTES);
      assertEquals(cut, d.getTruncated(), kind.name);
    }
    assertEquals(new TreeMap<>(expected), new TreeMap<>(reasons));

    // the model is the model of the valid records alone, bit for bit
    Map<String, Double> validScores = predictions(validOnly.predictions(), VALID);
    assertSameEntries(validScores, scores, "prediction scores");
    Map<String, List<Float>> rows = finalRows(withHostile.changelog());
    assertFalse(rows.isEmpty());
    assertSameEntries(finalRows(validOnly.changelog()), rows, "final model rows");
  }
}
