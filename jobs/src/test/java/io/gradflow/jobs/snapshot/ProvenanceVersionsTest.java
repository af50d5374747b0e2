package io.gradflow.jobs.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.flink.ModelMeta;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.state.PageFormat;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit record's versions without a cluster. Version 2 ({@link Provenance#of}): every kind
 * of setting typed in the configuration (numbers, integers, booleans, choices, lists, pairs, maps,
 * durations, positions, periods, a nested schedule, an optional setting without a value), the
 * defaults marked, derived defaults resolved, the loss as its name with its description beside
 * it, the dense backend {@code auto} chose, the trainer's Flink and Java versions, secrets masked;
 * export and inspect carry them. Version 1: the provenance a job of main wrote before the version
 * existed ({@code provenance-v1.json}, made by {@code MakeProvenanceV1.java} beside it from main's
 * classes) exports and inspects as version 1, and a snapshot file of schema version 4 (main's
 * {@code ModelSnapshot.avsc}) reads as audit version 1.
 */
class ProvenanceVersionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "s3cr3t-jaas-value";
  private static final String YAML = String.join("\n",
      "job: {name: audit-test, parallelism: 2}",
      "kafka:",
      "  bootstrap_servers: localhost:9092",
      "  starting_offsets: {offsets: {\"clicks:0\": 1500}}",
      "  properties: {security.protocol: SASL_SSL, sasl.jaas.config: '" + SECRET + "',"
          + " ssl.truststore.password: '" + SECRET + "'}",
      "model: {type: mlp, inputs: 4, hidden: [8, 4]}",
      "optimizer: {name: Adam, lr: 0.05, betas: [0.9, 0.999], amsgrad: true}",
      "schedule: {type: warmup, warmup: 100, then: {type: step, step_size: 1000, gamma: 0.5}}",
      "drift: {detector: adwin, actions: [restart_schedule, reset_slots]}",
      "checkpoints: {interval: 30s}",
      "");

  /** The stored provenance of a job of main before the audit version (a46c2b1). */
  static Map<String, String> storedVersion1() throws Exception {
    try (InputStream in = ProvenanceVersionsTest.class.getResourceAsStream(
        "provenance-v1.json")) {
      return JSON.readValue(in, new TypeReference<LinkedHashMap<String, String>>() {});
    }
  }

  private static Map<String, String> version2() throws Exception {
    return TrainerOperator.withRuntime(of(YAML));
  }

  /** The provenance of a job file, as the train job makes it. */
  static Map<String, String> of(String yaml) throws Exception {
    TrainConfig config = TrainConfig.fromYaml(yaml);
    return Provenance.of(config, TrainJob.checkpointDirectory(config));
  }

  private static SavepointModels.Read read(Map<String, String> provenance) {
    ModelMeta meta = new ModelMeta();
    meta.step = 5;
    ModelState m = new ModelState("m", meta, new long[] {PageFormat.BOOK_PAGE},
        new float[][] {new float[] {1, 2}});
    return new SavepointModels.Read(Map.of("m", m), Map.of("race", "none"), provenance,
        Map.of("examples-source.v1", Map.of("clicks:0", 1500L)));
  }

  @Test
  void version2TypesEveryKindOfSetting() throws Exception {
    Map<String, String> p = version2();
    assertEquals(String.valueOf(Provenance.CURRENT_AUDIT_VERSION), p.get(Provenance.AUDIT_VERSION));
    JsonNode c = JSON.readTree(p.get(Provenance.CONFIGURATION));
    JsonNode optimizer = c.path("optimizer");
    assertTrue(optimizer.path("lr").isDouble(), c.toString());
    assertEquals(0.05, optimizer.path("lr").doubleValue());
    assertTrue(optimizer.path("betas").isArray(), c.toString());
    assertEquals(0.999, optimizer.path("betas").get(1).doubleValue());
    assertTrue(optimizer.path("amsgrad").isBoolean(), c.toString());
    assertTrue(optimizer.path("amsgrad").booleanValue());
    assertTrue(optimizer.path("maximize").isBoolean(), c.toString());
    assertEquals("Adam", optimizer.path("name").textValue());
    assertEquals(2, c.path("job").path("parallelism").intValue());
    assertTrue(c.path("job").path("parallelism").isIntegralNumber(), c.toString());
    assertTrue(c.path("model").path("hash_bits").isIntegralNumber(), c.toString());
    assertEquals(JSON.readTree("[8, 4]"), c.path("model").path("hidden"));
    // The loss as its name; its description beside it.
    assertEquals("logistic", c.path("model").path("loss").textValue(), c.toString());
    JsonNode notes = JSON.readTree(p.get(Provenance.CONFIGURATION_NOTES));
    assertEquals("logistic (labels in [0, 1])", notes.path("model.loss").textValue(),
        notes.toString());
    // Lists of choices, durations, positions, maps, nested schedules, values without one.
    assertEquals(JSON.readTree("[\"restart_schedule\", \"reset_slots\"]"),
        c.path("drift").path("actions"));
    assertEquals("30s", c.path("checkpoints").path("interval").textValue());
    assertEquals(JSON.readTree("{\"offsets\": {\"clicks:0\": 1500}}"),
        c.path("kafka").path("starting_offsets"));
    assertEquals("committed", JSON.readTree(of("kafka: {bootstrap_servers: x}\n")
        .get(Provenance.CONFIGURATION)).path("kafka").path("starting_offsets").textValue());
    assertTrue(c.path("kafka").path("properties").isObject(), c.toString());
    assertEquals("SASL_SSL", c.path("kafka").path("properties").path("security.protocol")
        .textValue());
    assertTrue(c.path("kafka").has("bounded") && c.path("kafka").path("bounded").isNull(),
        c.toString());
    assertEquals("none", notes.path("kafka.bounded").textValue(), notes.toString());
    assertFalse(notes.has("optimizer.lr") || notes.has("rows.expire_after"), notes.toString());
    assertEquals(100, c.path("schedule").path("warmup").longValue());
    assertTrue(c.path("schedule").path("warmup").isIntegralNumber(), c.toString());
    assertEquals("step", c.path("schedule").path("then").path("type").textValue(), c.toString());
    assertEquals(1000, c.path("schedule").path("then").path("step_size").longValue());
    assertEquals(0.5, c.path("schedule").path("then").path("gamma").doubleValue());
    // Derived defaults resolved: the transactional id prefix, the checkpoint directory.
    assertEquals("gradflow", c.path("kafka").path("transactional_id_prefix").textValue());
    String directory = c.path("checkpoints").path("directory").textValue();
    assertTrue(directory.startsWith("file:") && directory.contains("gradflow-checkpoints")
        && directory.contains("audit-test"), directory);
    assertEquals("$TMPDIR/gradflow-checkpoints/<job name>",
        notes.path("checkpoints.directory").textValue());
    // No value stays text that is not text.
    List<String> texts = new ArrayList<>();
    collectTexts("", c, texts);
    for (String t : texts) {
      assertFalse(t.matches(".*=(-?[0-9.E-]+|true|false|\\[.*|\\{.*)"),
          "a typed value as text: " + t);
    }
  }

  private static void collectTexts(String at, JsonNode n, List<String> out) {
    if (n.isObject()) {
      n.fields().forEachRemaining(e -> collectTexts(at + "." + e.getKey(), e.getValue(), out));
    } else if (n.isArray()) {
      n.forEach(x -> collectTexts(at + "[]", x, out));
    } else if (n.isTextual()) {
      out.add(at + "=" + n.textValue());
    }
  }

  @Test
  void version2MarksTheDefaults() throws Exception {
    JsonNode defaults = JSON.readTree(version2().get(Provenance.CONFIGURATION_DEFAULTS));
    List<String> keys = new ArrayList<>();
    defaults.forEach(k -> keys.add(k.textValue()));
    for (String left : List.of("optimizer.eps", "optimizer.weight_decay", "model.loss",
        "kafka.group_id", "schedule.clock", "schedule.start_factor", "checkpoints.directory",
        "kafka.bounded", "state.backend")) {
      assertTrue(keys.contains(left), left + " is a default: " + keys);
    }
    for (String set : List.of("optimizer.lr", "optimizer.betas", "optimizer.amsgrad",
        "optimizer.name", "job.parallelism", "model.type", "model.hidden", "schedule.type",
        "schedule.then.step_size", "kafka.properties", "checkpoints.interval", "drift.actions")) {
      assertFalse(keys.contains(set), set + " is set by the job file: " + keys);
    }
  }

  @Test
  void version2RecordsWhatWasResolvedAndTheRuntime() throws Exception {
    Map<String, String> p = version2();
    JsonNode learner = JSON.readTree(p.get(Provenance.LEARNERS)).path("");
    assertEquals("java", learner.path("resolved").path("dense_backend").textValue(),
        learner.toString());
    assertEquals("step", learner.path("schedule").path("parameters").path("clock").textValue(),
        "the job file's spelling, as in the configuration");
    assertEquals(System.getProperty("java.version"), p.get("runtime.java_version"));
    assertEquals(System.getProperty("java.vendor"), p.get("runtime.java_vendor"));
    assertTrue(p.get("runtime.flink_version").startsWith("2."), p.toString());

    ModelSnapshot s = ExportCommand.snapshots(read(p), "sp", true).get(0);
    assertEquals(Provenance.CURRENT_AUDIT_VERSION, s.getAuditVersion());
    assertEquals(List.of(), s.getMissing());
    assertEquals("java", s.getRuntime().get("dense_backend"));
    assertEquals(p.get("runtime.flink_version"), s.getRuntime().get("flink_version"));
    assertEquals(System.getProperty("java.version"), s.getRuntime().get("java_version"));
    assertEquals(System.getProperty("java.vendor"), s.getRuntime().get("java_vendor"));
    assertTrue(s.getConfigurationDefaults().contains("optimizer.eps"));
    assertEquals("logistic (labels in [0, 1])", s.getConfigurationNotes().get("model.loss"));

    JsonNode m = JSON.readTree(JSON.writeValueAsString(InspectCommand.describe(s, 0)));
    assertEquals(Provenance.CURRENT_AUDIT_VERSION, m.path("audit_version").intValue());
    assertEquals(0.05, m.path("configuration").path("optimizer").path("lr").doubleValue());
    assertTrue(m.path("configuration").path("optimizer").path("lr").isNumber(), m.toString());
    assertTrue(m.path("configuration").path("optimizer").path("amsgrad").isBoolean());
    assertTrue(m.path("configuration").path("optimizer").path("betas").isArray());
    assertTrue(m.path("configuration").path("kafka").path("properties").isObject());
    assertEquals("logistic", m.path("configuration").path("model").path("loss").textValue());
    assertEquals("java", m.path("runtime").path("dense_backend").textValue());
    assertEquals(System.getProperty("java.version"), m.path("runtime").path("java_version")
        .textValue());
    assertTrue(m.path("runtime").has("flink_version"), m.toString());
    assertTrue(m.path("configuration_defaults").isArray(), m.toString());
    assertEquals("logistic (labels in [0, 1])", m.path("configuration_notes").path("model.loss")
        .textValue());
  }

  @Test
  void version2MasksSecrets() throws Exception {
    Map<String, String> p = version2();
    p.forEach((k, v) -> assertFalse(v.contains(SECRET), k + " shows the secret: " + v));
    JsonNode properties = JSON.readTree(p.get(Provenance.CONFIGURATION)).path("kafka")
        .path("properties");
    assertEquals("****", properties.path("sasl.jaas.config").textValue(), properties.toString());
    assertEquals("****", properties.path("ssl.truststore.password").textValue());
    ModelSnapshot s = ExportCommand.snapshots(read(p), "sp", true).get(0);
    String inspected = JSON.writeValueAsString(InspectCommand.describe(s, 0));
    assertFalse(inspected.contains(SECRET), inspected);
    assertFalse(s.toString().contains(SECRET));
  }

  /** A job of main before the audit version: its record exports and inspects as version 1. */
  @Test
  void version1ProvenanceExportsAsVersion1() throws Exception {
    Map<String, String> v1 = storedVersion1();
    assertFalse(v1.containsKey(Provenance.AUDIT_VERSION));
    ModelSnapshot s = ExportCommand.snapshots(read(v1), "sp", true).get(0);
    assertEquals(1, s.getAuditVersion());
    assertEquals(List.of(), s.getConfigurationDefaults());
    assertEquals(Map.of(), s.getRuntime());
    assertEquals("git a46c2b1", s.getCodeVersion());
    assertEquals(1, s.getMissing().size(), s.getMissing().toString());
    assertTrue(s.getMissing().get(0).contains("audit version 1"), s.getMissing().toString());
    assertEquals("0.05", s.getOptimizer().getParameters().get("lr"));

    JsonNode m = JSON.readTree(JSON.writeValueAsString(InspectCommand.describe(s, 0)));
    assertEquals(1, m.path("audit_version").intValue());
    assertEquals("0.05", m.path("configuration").path("optimizer").path("lr").textValue(),
        "version 1's configuration, as it was recorded");
    assertEquals(0.05, m.path("optimizer").path("parameters").path("lr").doubleValue());
    assertFalse(m.has("configuration_defaults") || m.has("runtime"), m.toString());
    assertEquals("'****'}", m.path("configuration").path("kafka").path("properties")
        .textValue().replaceAll(".*sasl.jaas.config: ", ""));
  }

  /** A snapshot file of schema version 4 (before audit_version) reads as audit version 1. */
  @Test
  void aSnapshotOfSchemaVersion4ReadsAsAuditVersion1(@TempDir Path temp) throws Exception {
    Schema old = Codecs.historicalSchema("ModelSnapshot.v4.avsc");
    assertTrue(old.getField("audit_version") == null);
    GenericRecord component = new GenericData.Record(old.getField("optimizer").schema());
    component.put("name", "Adam");
    component.put("parameters", Map.of("lr", "0.05"));
    GenericRecord r = new GenericData.Record(old);
    for (Schema.Field f : old.getFields()) {
      if (f.hasDefaultValue()) {
        r.put(f.name(), GenericData.get().getDefaultValue(f));
      }
    }
    r.put("model_key", "m");
    r.put("created_at", 0L);
    r.put("schema_version", 4);
    r.put("model", component);
    r.put("optimizer", component);
    r.put("configuration", "{\"optimizer\":{\"lr\":\"0.05\"}}");
    Path file = temp.resolve("v4.avro");
    try (DataFileWriter<GenericRecord> w = new DataFileWriter<>(new GenericDatumWriter<>(old))) {
      w.setMeta(SnapshotFiles.MODELS_META, 1);
      w.create(old, file.toFile());
      w.append(r);
    }
    ModelSnapshot s = SnapshotFiles.read("snapshot", file).get(0);
    assertEquals(1, s.getAuditVersion());
    assertEquals(4, s.getSchemaVersion());
    JsonNode m = JSON.readTree(JSON.writeValueAsString(InspectCommand.describe(s, 0)));
    assertEquals(1, m.path("audit_version").intValue());
    assertEquals("0.05", m.path("configuration").path("optimizer").path("lr").textValue());
  }

  /**
   * The kinds the main example does not write: a position by timestamp, {@code latest}, an
   * explicit {@code bounded: none} (null, as when left out), an event-time period, a zero
   * duration ({@code "0s"} in the configuration and in the rows policy's parameters alike).
   */
  @Test
  void version2TypesEveryOtherKind() throws Exception {
    Map<String, String> p = of(String.join("\n",
        "kafka: {bootstrap_servers: x, starting_offsets: {timestamp: 1700000000000},"
            + " bounded: latest}",
        "schedule: {type: step, clock: event_time, step_size: 6h, gamma: 0.5}",
        "rows: {expire_after: 0s}",
        ""));
    JsonNode c = JSON.readTree(p.get(Provenance.CONFIGURATION));
    assertEquals(JSON.readTree("{\"timestamp\": 1700000000000}"),
        c.path("kafka").path("starting_offsets"), c.toString());
    assertEquals("latest", c.path("kafka").path("bounded").textValue(), c.toString());
    assertEquals("event_time", c.path("schedule").path("clock").textValue());
    assertEquals("6h", c.path("schedule").path("step_size").textValue(), c.toString());
    assertEquals("0s", c.path("rows").path("expire_after").textValue(), c.toString());
    assertEquals("0s", JSON.readTree(p.get(Provenance.ROWS)).path("expire_after").textValue(),
        "spelled as in the configuration: " + p.get(Provenance.ROWS));
    JsonNode schedule = JSON.readTree(p.get(Provenance.LEARNERS)).path("").path("schedule");
    assertEquals("event_time", schedule.path("parameters").path("clock").textValue());

    // bounded: none written out is the same as left out: null, with "none" as its note.
    JsonNode none = JSON.readTree(of("kafka: {bootstrap_servers: x, bounded: none}\n")
        .get(Provenance.CONFIGURATION)).path("kafka");
    JsonNode omitted = JSON.readTree(of("kafka: {bootstrap_servers: x}\n")
        .get(Provenance.CONFIGURATION)).path("kafka");
    assertTrue(none.has("bounded") && none.path("bounded").isNull(), none.toString());
    assertEquals(omitted.path("bounded"), none.path("bounded"));
    Map<String, String> explicit = of("kafka: {bootstrap_servers: x, bounded: none}\n");
    assertEquals("none", JSON.readTree(explicit.get(Provenance.CONFIGURATION_NOTES))
        .path("kafka.bounded").textValue());
    assertFalse(JSON.readTree(explicit.get(Provenance.CONFIGURATION_DEFAULTS)).toString()
        .contains("kafka.bounded"), "written by the job file, so no default");
  }

  /** Every snapshot layout before the current one is kept for the evolution test. */
  @Test
  void everyEarlierSnapshotLayoutIsInTheSchemaHistory() {
    for (int v = 1; v < SnapshotFiles.SCHEMA_VERSION; v++) {
      assertTrue(Codecs.HISTORY.contains("ModelSnapshot.v" + v + ".avsc"),
          "schema_version " + v + " is missing from " + Codecs.HISTORY);
      assertEquals("ModelSnapshot", Codecs.historicalSchema("ModelSnapshot.v" + v + ".avsc")
          .getName());
    }
  }

  /**
   * The trainer's subtasks each keep a copy (union state): their run-time entries may differ,
   * and then all their values are kept, in one order whatever order the copies come in.
   */
  @Test
  void subtasksRunTimeValuesThatDifferAreAllKept() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(Provenance.AUDIT_VERSION, "2");
    a.put("runtime.java_version", "21.0.2");
    a.put("runtime.java_vendor", "Eclipse Adoptium");
    a.put(Provenance.CONFIGURATION, "{\"job\":{}}");
    Map<String, String> b = new LinkedHashMap<>(a);
    b.put("runtime.java_version", "17.0.9");
    Map<String, String> c = new LinkedHashMap<>(a);
    for (List<Map<String, String>> order : List.of(List.of(a, b, c), List.of(b, c, a),
        List.of(c, a, b))) {
      Map<String, String> merged = Provenance.merge(order);
      assertEquals("17.0.9, 21.0.2", merged.get("runtime.java_version"), order.toString());
      assertEquals("Eclipse Adoptium", merged.get("runtime.java_vendor"));
      assertEquals("{\"job\":{}}", merged.get(Provenance.CONFIGURATION));
      assertEquals(List.of(Provenance.AUDIT_VERSION, "runtime.java_version",
          "runtime.java_vendor", Provenance.CONFIGURATION), new ArrayList<>(merged.keySet()));
    }
    assertEquals(a, Provenance.merge(List.of(a, c)));
    assertEquals(Map.of(), Provenance.merge(List.of()));
  }

  /**
   * A snapshot of version 2 bootstrapped: the savepoint's provenance keeps its notes and defaults
   * as they were (no key masked for looking like a secret's name) and each race candidate's own
   * dense backend, which export gives back per candidate; the components are listed as missing.
   */
  @Test
  void bootstrapKeepsNotesAndEachCandidatesDenseBackend() throws Exception {
    Map<String, String> notes = new LinkedHashMap<>();
    notes.put("model.loss", "logistic (labels in [0, 1])");
    notes.put("kafka.ssl_key_token", "a note, not a secret");
    ModelSnapshot a = snapshot("m#a", "a", notes, Map.of("java_version", "17.0.9",
        "dense_backend", "java"));
    ModelSnapshot b = snapshot("m#b", "b", notes, Map.of("java_version", "17.0.9",
        "dense_backend", "nd4j"));
    Map<String, String> p = new LinkedHashMap<>(Provenance.version2Entries(a));
    assertEquals(JSON.writeValueAsString(notes), p.get(Provenance.CONFIGURATION_NOTES));
    assertEquals("[\"optimizer.eps\",\"kafka.api_key\"]",
        p.get(Provenance.CONFIGURATION_DEFAULTS));
    assertFalse(p.containsKey("runtime.dense_backend"), p.toString());
    p.put(Provenance.LEARNERS, Provenance.bootstrappedLearners(List.of(a, b)));
    assertEquals("{\"a\":{\"resolved\":{\"dense_backend\":\"java\"}},"
        + "\"b\":{\"resolved\":{\"dense_backend\":\"nd4j\"}}}", p.get(Provenance.LEARNERS));

    ModelMeta meta = new ModelMeta();
    Map<String, ModelState> models = new LinkedHashMap<>();
    for (String key : List.of("m#a", "m#b")) {
      models.put(key, new ModelState(key, meta, new long[] {PageFormat.BOOK_PAGE},
          new float[][] {new float[] {1, 2}}));
    }
    List<ModelSnapshot> out = ExportCommand.snapshots(new SavepointModels.Read(models,
        Map.of("race", "a, b"), p, Map.of()), "sp", true);
    assertEquals("java", out.get(0).getRuntime().get("dense_backend"), out.get(0).toString());
    assertEquals("nd4j", out.get(1).getRuntime().get("dense_backend"));
    assertEquals("17.0.9", out.get(1).getRuntime().get("java_version"));
    assertEquals("a note, not a secret", out.get(0).getConfigurationNotes()
        .get("kafka.ssl_key_token"));
    assertEquals(List.of("optimizer.eps", "kafka.api_key"), out.get(0).getConfigurationDefaults());
    assertTrue(out.get(0).getMissing().stream().anyMatch(m -> m.contains("learners")),
        out.get(0).getMissing().toString());
    // A snapshot of version 1 gives no learners entry: nothing was resolved then.
    assertEquals(null, Provenance.bootstrappedLearners(List.of(ModelSnapshot.newBuilder(a)
        .setAuditVersion(1).setRuntime(Map.of()).build())));
  }

  private static ModelSnapshot snapshot(String key, String candidate, Map<String, String> notes,
      Map<String, String> runtime) {
    return ModelSnapshot.newBuilder()
        .setModelKey(key).setCandidate(candidate).setCreatedAt(java.time.Instant.EPOCH)
        .setSchemaVersion(SnapshotFiles.SCHEMA_VERSION).setAuditVersion(2)
        .setModel(new io.gradflow.schema.Component("mlp", Map.of()))
        .setOptimizer(new io.gradflow.schema.Component("Adam", Map.of()))
        .setConfiguration("{}")
        .setConfigurationDefaults(List.of("optimizer.eps", "kafka.api_key"))
        .setConfigurationNotes(notes).setRuntime(runtime).build();
  }
}
