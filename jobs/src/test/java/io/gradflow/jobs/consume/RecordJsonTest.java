package io.gradflow.jobs.consume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.DeadLetterRecord;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RowUpdate;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** Every record type of Gradflow's topics as a JSON line, decoded by its fingerprint. */
class RecordJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T = Instant.parse("2026-11-30T10:00:00Z");

  @SuppressWarnings("unchecked")
  private static <R extends SpecificRecord> JsonNode line(R record) throws Exception {
    byte[] bytes = Codecs.codec((Class<R>) record.getClass()).encode(record);
    return JSON.readTree(RecordJson.line("t", 2, 17, T.toEpochMilli(),
        "key-1".getBytes(StandardCharsets.UTF_8), bytes));
  }

  @Test
  void aPredictionKeepsItsFieldsAndTheKafkaCoordinates() throws Exception {
    JsonNode n = line(Prediction.newBuilder().setExampleId("x1").setModelKey("m")
        .setModelStep(42).setScore(0.25).setEventTime(T).setLabel(1f).build());
    assertEquals("t", n.get("topic").asText());
    assertEquals(2, n.get("partition").asInt());
    assertEquals(17, n.get("offset").asLong());
    assertEquals("2026-11-30T10:00:00Z", n.get("timestamp").asText());
    assertEquals("key-1", n.get("key").asText());
    assertEquals("Prediction", n.get("type").asText());
    JsonNode v = n.get("value");
    assertEquals("x1", v.get("example_id").asText());
    assertEquals("m", v.get("model_key").asText());
    assertEquals(42, v.get("model_step").asLong());
    assertEquals(0.25, v.get("score").asDouble());
    assertEquals("2026-11-30T10:00:00Z", v.get("event_time").asText());
    assertEquals("1.0", v.get("label").asText());
  }

  @Test
  void anExampleShowsFeaturesEntitiesDenseValuesAndANullLabel() throws Exception {
    JsonNode v = line(Example.newBuilder().setExampleId("e").setEventTime(T)
        .setEntities(List.of(new Entity("user", "u7")))
        .setFeatures(List.of(Feature.newBuilder().setNamespace("country").setName("DE")
            .setValue(0.1f).build()))
        .setDense(List.of(1.5f, Float.NaN)).build()).get("value");
    assertEquals("user", v.get("entities").get(0).get("type").asText());
    assertEquals("DE", v.get("features").get(0).get("name").asText());
    assertTrue(v.get("features").get(0).get("index").isNull());
    assertEquals("0.1", v.get("features").get(0).get("value").asText(), "float as written");
    assertEquals(1.5, v.get("dense").get(0).asDouble());
    assertEquals("NaN", v.get("dense").get(1).asText(), "NaN is a string in JSON");
    assertTrue(v.get("label").isNull());
    assertTrue(v.get("model_key").isNull());
  }

  @Test
  void labelsMetricsChangelogAndDeadLettersRender() throws Exception {
    assertEquals("Label", line(Label.newBuilder().setExampleId("e").setEventTime(T)
        .setLabel(0f).build()).get("type").asText());
    JsonNode m = line(MetricsReport.newBuilder().setModelKey("m#adam").setWindowStart(T)
        .setWindowEnd(T).setCount(100).setLogLoss(0.5).setAuc(null).setModelStep(7)
        .setDriftEvents(new ArrayList<>()).setExpectedCalibrationError(0.02)
        .setCalibrationBins(List.of(new io.gradflow.schema.ReliabilityBin(0.0, 0.5, 80.0, 0.1,
            0.12), new io.gradflow.schema.ReliabilityBin(0.5, 1.0, 0.0, null, null))).build());
    assertEquals("MetricsReport", m.get("type").asText());
    assertEquals(0.5, m.get("value").get("log_loss").asDouble());
    assertTrue(m.get("value").get("auc").isNull());
    assertEquals(0.02, m.get("value").get("expected_calibration_error").asDouble());
    JsonNode bins = m.get("value").get("calibration_bins");
    assertEquals(2, bins.size());
    assertEquals(80.0, bins.get(0).get("weight").asDouble());
    assertEquals(0.12, bins.get(0).get("mean_label").asDouble());
    assertTrue(bins.get(1).get("mean_prediction").isNull());
    JsonNode r = line(RowUpdate.newBuilder().setModelKey("m").setRowId(-5).setWeights(
        List.of(0.5f, -1f)).setStep(3).setEventTime(T).build());
    assertEquals(-5, r.get("value").get("row_id").asLong());
    assertEquals(2, r.get("value").get("weights").size());
    byte[] payload = {1, 2, (byte) 0xff};
    JsonNode d = line(DeadLetterRecord.newBuilder().setReason("UNDECODABLE").setDetail("bad")
        .setSourceTopic("examples").setSourcePartition(0).setSourceOffset(9)
        .setSourceTimestamp(T).setKey(null).setValue(ByteBuffer.wrap(payload)).build());
    assertEquals("DeadLetterRecord", d.get("type").asText());
    assertEquals(Base64.getEncoder().encodeToString(payload),
        d.get("value").get("value").get("base64").asText());
  }

  @Test
  void aTombstoneIsALineOfItsOwnTypeNotAnError() throws Exception {
    JsonNode n = JSON.readTree(RecordJson.line("changelog", 0, 3, T.toEpochMilli(),
        "m/-5".getBytes(StandardCharsets.UTF_8), null));
    assertEquals("tombstone", n.get("type").asText(), n.toString());
    assertTrue(n.get("value").isNull(), n.toString());
    assertEquals("m/-5", n.get("key").asText());
    assertTrue(n.get("error") == null, n.toString());
  }

  @Test
  void aHistoricalExampleDecodesByItsFingerprint() throws Exception {
    Schema v1 = Codecs.historicalSchema("Example.v1.avsc");
    GenericRecord old = new GenericData.Record(v1);
    for (Schema.Field f : v1.getFields()) {
      old.put(f.name(), switch (f.schema().getType()) {
        case STRING -> "old";
        case LONG -> T.toEpochMilli();
        case ARRAY -> new GenericData.Array<>(0, f.schema());
        default -> null;
      });
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old, bytes);
    JsonNode n = JSON.readTree(RecordJson.line("t", 0, 0, -1, null, bytes.toByteArray()));
    assertEquals("Example", n.get("type").asText(), n.toString());
    assertEquals("old", n.get("value").get("example_id").asText());
    assertEquals(1.0, n.get("value").get("weight").asDouble(), "the new field's default");
    assertTrue(n.get("key").isNull());
    assertTrue(n.get("timestamp").isNull());
  }

  @Test
  void bytesOfNoKnownSchemaAreAnErrorLineNotACrash() throws Exception {
    byte[] unknown = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0};
    JsonNode n = JSON.readTree(RecordJson.line("t", 0, 5, 0, new byte[] {(byte) 0xff}, unknown));
    assertTrue(n.get("error").asText().contains("no known schema has the fingerprint"
        + " 0807060504030201 (header bytes C3 01 01 02 03 04 05 06 07 08)"), n.toString());
    assertEquals(Base64.getEncoder().encodeToString(unknown),
        n.get("value").get("base64").asText());
    assertTrue(n.get("key").has("base64"), "a key that is not UTF-8 is base64");
    JsonNode text = JSON.readTree(RecordJson.line("t", 0, 6, 0, null,
        "hello".getBytes(StandardCharsets.UTF_8)));
    assertTrue(text.get("error").asText().contains("not an Avro single-object record"));
    // A null value (a tombstone) is no error: aTombstoneIsALineOfItsOwnTypeNotAnError.
    byte[] truncated = Codecs.codec(Label.class).encode(Label.newBuilder().setExampleId("e")
        .setEventTime(T).setLabel(1f).build());
    byte[] cut = java.util.Arrays.copyOf(truncated, 11);
    JsonNode corrupt = JSON.readTree(RecordJson.line("t", 0, 8, 0, null, cut));
    assertTrue(corrupt.has("error"), corrupt.toString());
  }

  /**
   * consume names Confluent Schema Registry framing and a plain Example body without a header in
   * the error line, where it used to say only that the C3 01 header is missing.
   */
  @Test
  void foreignFramingsAreNamedInTheErrorLine() throws Exception {
    Example e = Example.newBuilder().setExampleId("e").setEventTime(T)
        .setFeatures(List.of(new Feature("country", "DE", null, 1f))).build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    org.apache.avro.io.BinaryEncoder enc =
        org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
    new org.apache.avro.specific.SpecificDatumWriter<>(Example.class).write(e, enc);
    enc.flush();
    byte[] body = out.toByteArray();
    byte[] confluent = ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(42).put(body)
        .array();
    String framed = JSON.readTree(RecordJson.line("examples", 0, 1, 0, null, confluent))
        .get("error").asText();
    assertTrue(framed.startsWith("not an Avro single-object record (no C3 01 header): the value"
        + " starts with Confluent Schema Registry framing (magic byte 0, schema id 42, then an"
        + " Example body)"), framed);
    assertTrue(framed.endsWith("see README 'Your own producer'"), framed);
    String plain = JSON.readTree(RecordJson.line("examples", 0, 2, 0, null, body))
        .get("error").asText();
    assertTrue(plain.contains("a plain Avro binary Example body without a header"), plain);
  }

  @Test
  void anArrayLengthBombIsAnErrorLineNotAnOutOfMemoryError() throws Exception {
    byte[] bomb;
    try (var in = RecordJsonTest.class.getResourceAsStream(
        "/cases/kafka-avro-array-length-bomb.bin")) {
      bomb = in.readAllBytes();
    }
    JsonNode n = JSON.readTree(RecordJson.line("examples", 0, 3, 0, null, bomb));
    assertEquals("corrupt Example body: dense declares 2147483638 items but the record has 0"
        + " bytes left", n.get("error").asText(), n.toString());
    assertEquals(Base64.getEncoder().encodeToString(bomb), n.get("value").get("base64").asText());
  }

  @Test
  void aTruncatedDeadLetterShowsTheMarkAndTheOriginalSizes() throws Exception {
    JsonNode d = line(DeadLetterRecord.newBuilder().setReason("NON_FINITE_VALUE").setDetail("x")
        .setSourceTopic("examples").setSourcePartition(0).setSourceOffset(9)
        .setSourceTimestamp(T).setKey(null).setValue(ByteBuffer.wrap(new byte[] {1}))
        .setTruncated(true).setValueSize(600_046).build()).get("value");
    assertTrue(d.get("truncated").asBoolean());
    assertEquals(600_046, d.get("value_size").asInt());
    assertTrue(d.get("key_size").isNull());
  }

  @Test
  void theLeaderboardSortsByTheLatestLogLoss() {
    ConsumeCommand.Leaderboard board = new ConsumeCommand.Leaderboard();
    board.add(report("m#sgd", 0.60, 100));
    board.add(report("m#adam", 0.70, 100));
    board.add(report("m#adam", 0.40, 100));
    board.add(report("m#ftrl", 0.50, 200));
    String table = board.table();
    String[] lines = table.split("\n");
    assertTrue(lines[0].contains("log loss"), table);
    assertTrue(lines[1].contains("m#adam") && lines[1].contains("0.4000")
        && lines[1].contains("0.5500"), table);
    assertTrue(lines[2].contains("m#ftrl"), table);
    assertTrue(lines[3].contains("m#sgd"), table);
  }

  private static MetricsReport report(String key, double logLoss, long count) {
    return MetricsReport.newBuilder().setModelKey(key).setWindowStart(T).setWindowEnd(T)
        .setCount(count).setLogLoss(logLoss).setAuc(0.7).setRmse(0.4).setCalibration(1.0)
        .setModelStep(count).setDriftEvents(new ArrayList<>()).build();
  }
}
