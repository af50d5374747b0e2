package io.gradflow.jobs.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.flink.ModelMeta;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.state.PageFormat;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The audit record's history of configurations (audit version 3) without a cluster: how a
 * restored record is carried ({@link Provenance#carry}), each model key's steps per segment
 * ({@link Provenance#history}), its bound, a record from before the history, bootstrap's way
 * back ({@link Provenance#historyEntries}), the start-up line's words, and {@code evaluate}'s
 * source record.
 */
class ConfigurationHistoryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant AT = Instant.parse("2026-12-02T16:00:00Z");
  private static final String BASE = String.join("\n",
      "job: {name: history-test, parallelism: 1}",
      "kafka: {bootstrap_servers: localhost:9092, topics: {examples: fraud},"
          + " properties: {sasl.jaas.config: 's3cr3t'}}",
      "");

  private static Map<String, String> record(String optimizer, int parallelism) throws Exception {
    TrainConfig config = TrainConfig.fromYaml(BASE.replace("parallelism: 1",
        "parallelism: " + parallelism) + optimizer + "\n");
    return TrainerOperator.withRuntime(Provenance.of(config,
        TrainJob.checkpointDirectory(config)));
  }

  private static final String SLOW = "optimizer: {name: Adam, lr: 0.001, betas: [0.9, 0.99]}";
  private static final String FAST = "optimizer: {name: Adam, lr: 0.01}";

  /** A restored record whose configuration differs becomes the history's newest entry. */
  @Test
  void aChangedSettingKeepsTheEarlierConfigurationWithItsSteps() throws Exception {
    Map<String, String> first = record(SLOW, 1);
    assertFalse(first.containsKey(Provenance.CONFIGURATION_HISTORY), "no change yet");
    assertEquals(first, Provenance.carry(List.of(), first, null, AT), "nothing restored");

    Map<String, String> second = Provenance.carry(List.of(first), record(FAST, 2), "/sp/1", AT);
    assertEquals("1", second.get(TrainerOperator.SEGMENT_ENTRY));
    JsonNode history = JSON.readTree(second.get(Provenance.CONFIGURATION_HISTORY));
    assertEquals(1, history.size());
    assertEquals(0, history.get(0).path("segment").intValue());
    assertEquals(0.001, history.get(0).path("configuration").path("optimizer").path("lr")
        .doubleValue());
    assertEquals(1, history.get(0).path("configuration").path("job").path("parallelism")
        .intValue());
    assertEquals("fraud", history.get(0).path("source").path("topics").path("examples")
        .textValue());
    JsonNode began = JSON.readTree(second.get(Provenance.SEGMENT_BEGAN));
    assertEquals("/sp/1", began.path("savepoint").textValue());
    assertEquals(AT.toString(), began.path("restored_at").textValue());
    assertEquals(0.001, began.path("changed").path("optimizer.lr").path("before").doubleValue());
    assertEquals(0.01, began.path("changed").path("optimizer.lr").path("after").doubleValue());
    assertEquals(JSON.readTree("[0.9, 0.99]"),
        began.path("changed").path("optimizer.betas").path("before"));
    assertEquals(2, began.path("changed").path("job.parallelism").path("after").intValue());
    assertFalse(began.path("changed").has("kafka.properties"), "secrets compare masked");

    // Key a was loaded 700 steps in and trained on to 1000; key b never came back.
    Map<String, String> kept = new LinkedHashMap<>(second);
    kept.put(TrainerOperator.SEGMENT_STEP_PREFIX + "1.a", "700");
    JsonNode a = Provenance.history(kept, "a", 1000);
    assertEquals(2, a.size(), a.toString());
    assertSteps(a.get(0), 0, 700);
    assertSteps(a.get(1), 700, 1000);
    assertEquals(0.01, a.get(1).path("configuration").path("optimizer").path("lr")
        .doubleValue());
    assertEquals("/sp/1", a.get(1).path("began").path("savepoint").textValue());
    JsonNode b = Provenance.history(kept, "b", 400);
    assertSteps(b.get(0), 0, 400);
    assertSteps(b.get(1), 400, 400);

    // A restore without a change goes on in the same segment, keeping the recorded steps.
    Map<String, String> third = Provenance.carry(List.of(kept), record(FAST, 2), "/sp/2", AT);
    assertEquals("1", third.get(TrainerOperator.SEGMENT_ENTRY));
    assertEquals("700", third.get(TrainerOperator.SEGMENT_STEP_PREFIX + "1.a"));
    assertEquals(kept.get(Provenance.CONFIGURATION_HISTORY),
        third.get(Provenance.CONFIGURATION_HISTORY));
    assertEquals(kept.get(Provenance.SEGMENT_BEGAN), third.get(Provenance.SEGMENT_BEGAN));
  }

  private static void assertSteps(JsonNode segment, long from, long to) {
    assertEquals(from, segment.path("from_step").longValue(), segment.toString());
    assertEquals(to, segment.path("to_step").longValue(), segment.toString());
  }

  /** The start-up line names each changed setting with both values. */
  @Test
  void theStartUpLineNamesEveryChange() throws Exception {
    List<Provenance.Change> changes = Provenance.changes(record(SLOW, 1), record(FAST, 1));
    assertEquals("restored with changed settings: optimizer.lr 0.001 -> 0.01, optimizer.betas"
        + " [0.9, 0.99] -> [0.9, 0.999] (the audit record keeps both)",
        io.gradflow.jobs.train.TrainCommand.changedSettings(changes));
    assertEquals(List.of(), Provenance.changes(record(SLOW, 1), record(SLOW, 1)));
  }

  /**
   * A race's candidates are the list {@code race}, as in the job file (audit version 4), and a
   * candidate's changed setting is named {@code race[1].optimizer.lr}, also against a record of
   * version 3, whose candidates were keys {@code race[0]}, {@code race[1]}.
   */
  @Test
  void aRaceIsTheJobFilesList() throws Exception {
    String race = "race: [{name: slow, optimizer: {name: Adam, lr: 0.001}},"
        + " {name: fast, optimizer: {name: Adagrad, lr: %s}}]";
    Map<String, String> before = record(race.formatted("0.1"), 1);
    JsonNode configured = JSON.readTree(before.get(Provenance.CONFIGURATION));
    JsonNode candidates = configured.path("race");
    assertTrue(candidates.isArray(), configured.toString());
    assertEquals(2, candidates.size(), candidates.toString());
    assertEquals("fast", candidates.get(1).path("name").textValue());
    assertEquals(0.1, candidates.get(1).path("optimizer").path("lr").doubleValue());
    assertFalse(configured.has("race[0]"), configured.toString());

    List<Provenance.Change> changes = Provenance.changes(before,
        record(race.formatted("0.5"), 1));
    assertEquals("restored with changed settings: race[1].optimizer.lr 0.1 -> 0.5 (the audit"
        + " record keeps both)", io.gradflow.jobs.train.TrainCommand.changedSettings(changes));

    // Version 3 wrote each candidate under its own key: the same settings, the same names.
    com.fasterxml.jackson.databind.node.ObjectNode v3 = configured.deepCopy();
    v3.remove("race");
    for (int i = 0; i < candidates.size(); i++) {
      v3.set("race[" + i + "]", candidates.get(i));
    }
    Map<String, String> old = new LinkedHashMap<>(before);
    old.put(Provenance.AUDIT_VERSION, "3");
    old.put(Provenance.CONFIGURATION, v3.toString());
    assertEquals(List.of(), Provenance.changes(old, before));
  }

  /**
   * A savepoint of an older release lacks the settings added since: one at its default is no
   * changed setting (no start-up line), and the release's change is a segment of its own; one
   * set by the job file is a changed setting.
   */
  @Test
  void aSettingAddedSinceAtItsDefaultIsNoChange() throws Exception {
    Map<String, String> now = record(SLOW, 1);
    JsonNode defaults = JSON.readTree(now.get(Provenance.CONFIGURATION_DEFAULTS));
    assertTrue(defaults.toString().contains("\"optimizer.eps\""), defaults.toString());
    Map<String, String> older = new LinkedHashMap<>(now);
    com.fasterxml.jackson.databind.node.ObjectNode configured =
        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(
            now.get(Provenance.CONFIGURATION));
    ((com.fasterxml.jackson.databind.node.ObjectNode) configured.get("optimizer")).remove("eps");
    older.put(Provenance.CONFIGURATION, configured.toString());
    com.fasterxml.jackson.databind.node.ArrayNode olderDefaults = JSON.createArrayNode();
    defaults.forEach(k -> {
      if (!k.asText().equals("optimizer.eps")) {
        olderDefaults.add(k);
      }
    });
    older.put(Provenance.CONFIGURATION_DEFAULTS, olderDefaults.toString());
    assertEquals(List.of(), Provenance.changes(older, now), "added since, at its default");
    assertEquals(List.of(), Provenance.changes(now, older), "retired since, at its default");
    assertFalse(Provenance.carry(List.of(older), now, "/sp/1", AT)
        .containsKey(Provenance.CONFIGURATION_HISTORY), "no new segment");
    // Written by another release, the savepoint's steps are a segment of their own, with no
    // changed setting: the history says which release trained which steps.
    older.put(Provenance.CODE_VERSION, "git 0123456 (an older release)");
    Map<String, String> upgraded = Provenance.carry(List.of(older), now, "/sp/1", AT);
    JsonNode history = JSON.readTree(upgraded.get(Provenance.CONFIGURATION_HISTORY));
    assertEquals(1, history.size(), history.toString());
    assertEquals("git 0123456 (an older release)", history.get(0).path("code_version")
        .textValue(), history.toString());
    assertEquals("{}", JSON.readTree(upgraded.get(Provenance.SEGMENT_BEGAN)).path("changed")
        .toString());

    // Set by the job file (not a default), its absence before is a change.
    ((com.fasterxml.jackson.databind.node.ObjectNode) configured.get("optimizer")).remove("lr");
    older.put(Provenance.CONFIGURATION, configured.toString());
    List<Provenance.Change> changes = Provenance.changes(older, now);
    assertEquals(1, changes.size(), changes.toString());
    assertEquals("optimizer.lr", changes.get(0).key());
  }

  /** At most {@value Provenance#MAX_HISTORY} earlier configurations are kept, the newest. */
  @Test
  void theHistoryIsBounded() throws Exception {
    Map<String, String> p = record("optimizer: {name: Adam, lr: 0.5}", 1);
    for (int i = 1; i <= Provenance.MAX_HISTORY + 5; i++) {
      p = new LinkedHashMap<>(Provenance.carry(List.of(p),
          record("optimizer: {name: Adam, lr: " + (0.5 + i) + "}", 1), null, AT));
      p.put(TrainerOperator.SEGMENT_STEP_PREFIX + i + ".m", Integer.toString(10 * i));
    }
    JsonNode history = JSON.readTree(p.get(Provenance.CONFIGURATION_HISTORY));
    assertEquals(Provenance.MAX_HISTORY, history.size());
    assertEquals(5, history.get(0).path("segment").intValue());
    assertFalse(p.containsKey(TrainerOperator.SEGMENT_STEP_PREFIX + "4.m"), "dropped with 4");
    JsonNode m = Provenance.history(p, "m", 2000);
    assertSteps(m.get(0), 50, 60);
    assertSteps(m.get(m.size() - 1), 1050, 2000);
  }

  /** A record from before the history (audit version 2) starts one at its first change. */
  @Test
  void aRecordWithoutHistoryStartsOne() throws Exception {
    Map<String, String> v2 = record(SLOW, 1);
    v2.put(Provenance.AUDIT_VERSION, "2");
    v2.remove(Provenance.SOURCE);
    Map<String, String> now = Provenance.carry(List.of(v2, v2), record(FAST, 1), null, AT);
    JsonNode history = JSON.readTree(now.get(Provenance.CONFIGURATION_HISTORY));
    assertEquals(2, history.get(0).path("audit_version").intValue());
    assertEquals("fraud", history.get(0).path("source").path("topics").path("examples")
        .textValue(), "from the record's topics");
    // And a record of version 1 (values as text) compares by text.
    Map<String, String> v1 = ProvenanceVersionsTest.storedVersion1();
    assertTrue(Provenance.changes(v1, v1).isEmpty());
  }

  /** Export writes each key's history, and bootstrap's savepoint gives the same back. */
  @Test
  void exportAndBootstrapKeepTheHistory() throws Exception {
    Map<String, String> p = new LinkedHashMap<>(Provenance.carry(List.of(record(SLOW, 1)),
        record(FAST, 1), "/sp/1", AT));
    p.put(TrainerOperator.SEGMENT_STEP_PREFIX + "1.m", "30");
    ModelMeta meta = new ModelMeta();
    meta.step = 50;
    ModelState m = new ModelState("m", meta, new long[] {PageFormat.BOOK_PAGE},
        new float[][] {new float[] {1, 2}});
    ModelSnapshot s = ExportCommand.snapshots(new SavepointModels.Read(Map.of("m", m),
        Map.of("race", "none"), p, Map.of()), "sp", true).get(0);
    JsonNode history = JSON.readTree(s.getConfigurationHistory());
    assertSteps(history.get(0), 0, 30);
    assertSteps(history.get(1), 30, 50);
    JsonNode doc = InspectCommand.describe(s, 0);
    assertEquals(history, doc.path("configuration_history"));
    assertEquals("train", doc.path("source").path("command").textValue());

    Map<String, String> back = new LinkedHashMap<>(p);
    back.keySet().removeIf(k -> k.startsWith(TrainerOperator.SEGMENT_STEP_PREFIX)
        || k.equals(Provenance.CONFIGURATION_HISTORY) || k.equals(Provenance.SEGMENT_BEGAN)
        || k.equals(TrainerOperator.SEGMENT_ENTRY));
    back.putAll(Provenance.historyEntries(List.of(s)));
    assertEquals(history, JSON.readTree(Provenance.history(back, "m", 50).toString()));
  }

  /**
   * {@code evaluate}'s record names the file and its flags, and records checkpoints and the
   * job's parallelism, which it ignores, as not in force.
   */
  @Test
  void evaluateRecordsTheFileAndNotWhatItIgnores() throws Exception {
    TrainConfig config = TrainConfig.fromYaml(BASE + "checkpoints: {interval: 10s}\n");
    Map<String, String> p = Provenance.of(config, TrainJob.checkpointDirectory(config),
        Provenance.evaluateSource("fraud.csv", "csv", Map.of("csv-label", "is_fraud",
            "label-threshold", "0.5"), 70_000L));
    JsonNode source = JSON.readTree(p.get(Provenance.SOURCE));
    assertEquals("evaluate", source.path("command").textValue());
    assertEquals("fraud.csv", source.path("file").textValue());
    // Trial L9: the absolute path beside the name as given; no size for a file not there.
    assertEquals(java.nio.file.Path.of("fraud.csv").toAbsolutePath().toString(),
        source.path("path").textValue());
    assertTrue(source.path("size_bytes").isNull(), source.toString());
    java.nio.file.Path file = java.nio.file.Files.createTempFile("history", ".csv");
    try {
      java.nio.file.Files.writeString(file, "y,x\n1,2\n");
      JsonNode there = Provenance.evaluateSource(file.toString(), "csv", Map.of(), null);
      assertEquals(8, there.path("size_bytes").longValue(), there.toString());
    } finally {
      java.nio.file.Files.delete(file);
    }
    JsonNode stdin = Provenance.evaluateSource("-", "csv", Map.of(), null);
    assertTrue(stdin.path("path").isNull() && stdin.path("size_bytes").isNull(),
        stdin.toString());
    assertEquals("is_fraud", source.path("flags").path("csv-label").textValue());
    assertEquals(70_000, source.path("count").longValue());
    JsonNode c = JSON.readTree(p.get(Provenance.CONFIGURATION));
    assertTrue(c.path("checkpoints").path("interval").isNull(), c.toString());
    assertTrue(c.path("job").path("parallelism").isNull(), c.toString());
    JsonNode notes = JSON.readTree(p.get(Provenance.CONFIGURATION_NOTES));
    assertTrue(notes.path("checkpoints.interval").textValue()
        .startsWith("not in force: evaluate ignores it"), notes.toString());
    assertNull(JSON.readTree(Provenance.of(config, TrainJob.checkpointDirectory(config))
        .get(Provenance.CONFIGURATION_NOTES)).get("checkpoints.interval"));
    assertEquals("train", JSON.readTree(Provenance.of(config,
        TrainJob.checkpointDirectory(config)).get(Provenance.SOURCE)).path("command").textValue());
  }
}
