package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

class CodecsTest {
  static final Instant T = Instant.ofEpochMilli(1_700_000_000_123L);

  static Example example() {
    return Example.newBuilder().setExampleId("e1").setEventTime(T).setModelKey("m")
        .setEntities(List.of(new Entity("user", "u7")))
        .setFeatures(List.of(new Feature("country", "DE", null, 1f),
            new Feature("ad", null, 123456789L, 0.5f)))
        .setDense(List.of(0.25f, -1f)).setLabel(1f).setWeight(2f).build();
  }

  /** One record of every type, with non-default values where there is a choice. */
  static List<SpecificRecord> oneOfEach() {
    Component adam = new Component("Adam", Map.of("lr", "0.001", "betas", "[0.9, 0.999]"));
    return List.of(example(),
        new Label("e1", T, 1f, "m"),
        new Prediction("e1", "m", 42L, 0.73, T, null),
        MetricsReport.newBuilder().setModelKey("m").setWindowStart(T).setWindowEnd(T.plusSeconds(60))
            .setCount(100).setLogLoss(0.4).setAuc(0.8).setRmse(null).setMeanPrediction(0.2)
            .setMeanLabel(0.21).setCalibration(0.2 / 0.21).setModelStep(1000)
            .setDriftEvents(List.of("adwin at 2023-11-14T22:13:20Z: schedule restarted"))
            .setExpectedCalibrationError(0.015)
            .setCalibrationBins(List.of(new ReliabilityBin(0.0, 0.5, 90.0, 0.1, 0.12),
                new ReliabilityBin(0.5, 1.0, 0.0, null, null))).build(),
        new RowUpdate("m", FeatureHashing.entityRow("user", "u7"), List.of(0.1f, 0.2f), 7L, T),
        ModelSnapshot.newBuilder().setModelKey("m").setCreatedAt(T).setCodeVersion("0.1.0")
            .setModel(new Component("logistic", Map.of("bits", "24"))).setOptimizer(adam)
            .setSchedule(new Component("constant", Map.of())).setRowLayout("[w, m, v, step]")
            .setDataOffsets(List.of(new TopicPartitionOffset("examples", 0, 99L)))
            .setRows(List.of(new SnapshotRow(5L, List.of(1f, 2f, 3f, 4f), 0f))).build(),
        new DeadLetterRecord("UNDECODABLE", "bad header", "examples", 0, 7L, T, null,
            ByteBuffer.wrap(new byte[] {1, 2, 3}), true, null, 300_000));
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void everyTypeRoundTrips() {
    List<SpecificRecord> records = oneOfEach();
    assertEquals(Codecs.RECORD_TYPES.size(), records.size());
    for (SpecificRecord r : records) {
      RecordCodec codec = Codecs.codec(r.getClass());
      byte[] bytes = codec.encode(r);
      assertEquals((byte) 0xC3, bytes[0]);
      assertEquals((byte) 0x01, bytes[1]);
      assertEquals(r, codec.decode(bytes), r.getClass().getSimpleName());
    }
  }

  @Test
  void defaultsMakeAMinimalExample() {
    Example e = Example.newBuilder().setExampleId("x").setEventTime(T).build();
    assertNull(e.getModelKey());
    assertTrue(e.getFeatures().isEmpty());
    assertEquals(1f, e.getWeight());
    assertNull(e.getLabel());
  }

  @Test
  void oldWriterIsReadByNewReader() throws IOException {
    Schema v1 = Codecs.historicalSchema("Example.v1.avsc");
    Schema featureV1 = v1.getField("features").schema().getElementType();
    GenericRecord f = new GenericData.Record(featureV1);
    f.put("namespace", "country");
    f.put("name", "DE");
    f.put("index", null);
    f.put("value", 2f);
    GenericRecord old = new GenericData.Record(v1);
    old.put("example_id", "old-1");
    old.put("event_time", T.toEpochMilli());
    old.put("model_key", null);
    old.put("features", List.of(f));
    old.put("dense", List.of(0.5f));
    old.put("label", 0f);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old, out);

    Example read = Codecs.codec(Example.class).decode(out.toByteArray());
    assertEquals("old-1", read.getExampleId());
    assertEquals(T, read.getEventTime());
    assertEquals(List.of(new Feature("country", "DE", null, 2f)), read.getFeatures());
    assertEquals(List.of(0.5f), read.getDense());
    assertEquals(0f, read.getLabel());
    assertEquals(1f, read.getWeight(), "v2 default");
    assertTrue(read.getEntities().isEmpty(), "v2 default");
  }

  @Test
  void aVersion1DeadLetterIsReadAsNotTruncatedWithUnknownSizes() throws IOException {
    Schema v1 = Codecs.historicalSchema("DeadLetterRecord.v1.avsc");
    GenericRecord old = new GenericData.Record(v1);
    old.put("reason", "NO_FEATURES");
    old.put("detail", "example e has no features");
    old.put("source_topic", "examples");
    old.put("source_partition", 2);
    old.put("source_offset", 40L);
    old.put("source_timestamp", T.toEpochMilli());
    old.put("key", null);
    old.put("value", ByteBuffer.wrap(new byte[] {9}));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old, out);

    DeadLetterRecord read = Codecs.codec(DeadLetterRecord.class).decode(out.toByteArray());
    assertEquals("NO_FEATURES", read.getReason());
    assertEquals(40L, read.getSourceOffset());
    assertEquals(ByteBuffer.wrap(new byte[] {9}), read.getValue());
    assertEquals(false, read.getTruncated(), "v2 default");
    assertNull(read.getKeySize(), "v2 default");
    assertNull(read.getValueSize(), "v2 default");
  }

  /** A report written before the reliability diagram (v2) reads with no bins and a null ECE. */
  @Test
  void aMetricsReportWithoutBinsIsReadByTheNewReader() throws IOException {
    Schema v2 = Codecs.historicalSchema("MetricsReport.v2.avsc");
    GenericRecord old = new GenericData.Record(v2);
    old.put("model_key", "m");
    old.put("window_start", T.toEpochMilli());
    old.put("window_end", T.toEpochMilli() + 60_000);
    old.put("count", 100L);
    old.put("log_loss", 0.4);
    old.put("auc", null);
    old.put("rmse", null);
    old.put("mean_prediction", 0.2);
    old.put("mean_label", 0.25);
    old.put("calibration", 0.8);
    old.put("model_step", 1000L);
    old.put("rows", 7L);
    old.put("rows_expired", 0L);
    old.put("rows_refused", 0L);
    old.put("drift_events", List.of());
    old.put("drifts", List.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(old, out);

    MetricsReport read = Codecs.codec(MetricsReport.class).decode(out.toByteArray());
    assertEquals(0.8, read.getCalibration());
    assertEquals(7L, read.getRows());
    assertNull(read.getExpectedCalibrationError(), "v3 default");
    assertTrue(read.getCalibrationBins().isEmpty(), "v3 default");
  }

  /** v2 is kept and differs from the current MetricsReport by exactly the calibration fields. */
  @Test
  void theHistoryKeepsMetricsReportVersion2BeforeTheBins() {
    Schema v2 = Codecs.historicalSchema("MetricsReport.v2.avsc");
    Schema current = MetricsReport.getClassSchema();
    Set<String> added = current.getFields().stream().map(Schema.Field::name)
        .filter(n -> v2.getField(n) == null).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(List.of("calibration_bins", "expected_calibration_error")), added);
    assertTrue(v2.getFields().stream().allMatch(f -> current.getField(f.name()) != null));
    added.forEach(n -> assertTrue(current.getField(n).hasDefaultValue(), n));
  }

  @Test
  void everyHistoricalSchemaIsCompatibleBothWays() {
    for (String file : Codecs.HISTORY) {
      Schema old = Codecs.historicalSchema(file);
      Schema current = Codecs.RECORD_TYPES.stream()
          .map(t -> org.apache.avro.specific.SpecificData.get().getSchema(t))
          .filter(s -> s.getFullName().equals(old.getFullName())).findFirst().orElseThrow();
      assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE,
          SchemaCompatibility.checkReaderWriterCompatibility(current, old).getType(),
          "new reader, " + file + " writer");
      assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE,
          SchemaCompatibility.checkReaderWriterCompatibility(old, current).getType(),
          file + " reader, new writer");
    }
  }

  /**
   * The evolution test covers the last step of the snapshot layout, version 5 (the audit record's
   * version) to 6 (its configuration history and source, audit version 3): v5 is kept and differs
   * from the current schema by exactly the fields version 6 added, each with a default. (Version
   * 4 to 5 added the audit fields.)
   */
  @Test
  void theHistoryKeepsModelSnapshotVersion5BeforeTheConfigurationHistory() {
    assertTrue(Codecs.HISTORY.contains("ModelSnapshot.v5.avsc"), Codecs.HISTORY.toString());
    Schema v5 = Codecs.historicalSchema("ModelSnapshot.v5.avsc");
    Schema v4 = Codecs.historicalSchema("ModelSnapshot.v4.avsc");
    Schema current = ModelSnapshot.getClassSchema();
    Set<String> added = current.getFields().stream().map(Schema.Field::name)
        .filter(n -> v5.getField(n) == null).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(List.of("configuration_history", "source")), added);
    assertTrue(v5.getFields().stream().allMatch(f -> current.getField(f.name()) != null));
    added.forEach(n -> assertTrue(current.getField(n).hasDefaultValue(), n));
    Set<String> audit = v5.getFields().stream().map(Schema.Field::name)
        .filter(n -> v4.getField(n) == null).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(List.of("audit_version", "configuration_defaults",
        "configuration_notes", "runtime")), audit);
    assertTrue(v4.getField("session").schema().getTypes().get(1).getField("batch") != null,
        "v4 is the layout with the batch in flight");
  }

  @Test
  void historyListMatchesTheDirectory() throws IOException {
    Path dir = Path.of("src/main/avro-history");
    try (Stream<Path> files = Files.list(dir)) {
      Set<String> onDisk = files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".avsc")).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(onDisk, new TreeSet<>(Codecs.HISTORY));
    }
  }

  @Test
  void everyFieldIsDocumentedAndAddableFieldsHaveDefaults() {
    for (Class<? extends SpecificRecord> t : Codecs.RECORD_TYPES) {
      Schema s = org.apache.avro.specific.SpecificData.get().getSchema(t);
      assertTrue(s.getDoc() != null && !s.getDoc().isBlank(), s.getName());
      for (Schema.Field field : s.getFields()) {
        boolean documented = field.doc() != null && !field.doc().isBlank();
        boolean nested = s.getName().equals("ModelSnapshot") || s.getName().equals("Example");
        assertTrue(documented || nested, s.getName() + "." + field.name() + " has no doc");
      }
    }
  }

  @Test
  void aFingerprintIsNamedAsTheHeaderBytesAProducerWrites() {
    // README "Your own producer" lists this header: a producer compares its bytes with it.
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    byte[] bytes = codec.encode(example());
    assertEquals(codec.fingerprint(), Codecs.headerFingerprint(bytes));
    assertEquals(String.format("%016x (header bytes C3 01 35 F8 8C D1 AD 46 3D 0B)",
        codec.fingerprint()), Codecs.fingerprintText(bytes));
  }

  @Test
  void garbageAndUnknownSchemasAreReportedNotThrownRaw() {
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    CodecException bad = assertThrows(CodecException.class,
        () -> codec.decode("hello world".getBytes()));
    assertTrue(bad.getMessage().startsWith("not a single-object-encoded Avro record"),
        bad.getMessage());
    byte[] unknown = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0};
    CodecException missing = assertThrows(CodecException.class, () -> codec.decode(unknown));
    assertTrue(missing.getMessage().startsWith("unknown writer schema for Example: no schema"
        + " this Gradflow knows has the fingerprint 0807060504030201 (header bytes C3 01 01 02 03"
        + " 04 05 06 07 08) (written with a changed copy"
        + " of Example.avsc"), missing.getMessage());
    byte[] good = codec.encode(example());
    byte[] truncated = java.util.Arrays.copyOf(good, 14);
    CodecException corrupt = assertThrows(CodecException.class, () -> codec.decode(truncated));
    assertTrue(corrupt.getMessage().startsWith("corrupt Example body"), corrupt.getMessage());
    assertThrows(CodecException.class, () -> codec.decode(null));
    // A Label is not an Example: its fingerprint is not an Example schema.
    byte[] label = Codecs.codec(Label.class).encode(new Label("e", T, 1f, null));
    CodecException wrongType = assertThrows(CodecException.class, () -> codec.decode(label));
    assertEquals("a Label record where Example was expected", wrongType.getMessage());
    assertArrayEquals(good, codec.encode(codec.decode(good)));
  }
}
