package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.jobs.snapshot.Provenance;
import io.gradflow.jobs.snapshot.SnapshotFiles;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SnapshotRow;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow export} and {@code inspect} on a real savepoint of the train job (a MiniCluster
 * reading an in-process Kafka broker, stopped with a savepoint after 3000 examples): the State
 * Processor API 2.2.0 reads the 2.2.1 job's state. The exported weights equal the last value of
 * every row the job published on its changelog topic (an independent path: Kafka records written
 * by the trainer as it learned), the offsets are the input topic's 3000 records, and the audit
 * record holds the optimizer's hyper-parameters under their configuration names with the values
 * of the job file.
 */
class ExportITCase extends TrainJobITCase {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void exportReadsTheJobsStateAndItsProvenance() throws Exception {
    String examples = "export-examples";
    kafka.createTopics(1, examples, "export-labels");
    produce(examples, 21, 0, 3000, "a", "b");
    Run run = Run.create(examples, "export-labels");
    String yaml = run.yaml("optimizer: {name: Adam, lr: 0.02, betas: [0.8, 0.99]}\n"
        + "gradient: {clip_value: 5}\n", false);
    String savepoint = runUntil(config(yaml, temp.resolve("checkpoints")), run.predictions(),
        3000, null, temp.resolve("savepoints"));

    Path file = temp.resolve("model.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint, "--out", file.toString(),
        "--with-slots"), both());
    List<ModelSnapshot> models = SnapshotFiles.read("--out", file);
    assertEquals(List.of("a", "b"), models.stream().map(ModelSnapshot::getModelKey).toList());

    Map<String, List<Float>> changelog = finalRows(run.changelog());
    assertFalse(changelog.isEmpty());
    Map<String, List<Float>> exported = new HashMap<>();
    for (ModelSnapshot m : models) {
      assertEquals(1500, m.getModelStep());
      assertEquals(List.of(), m.getMissing());
      assertEquals(1, m.getDataOffsets().size());
      assertEquals(examples, m.getDataOffsets().get(0).getTopic());
      assertEquals(3000, m.getDataOffsets().get(0).getOffset());
      assertEquals("Adam", m.getOptimizer().getName());
      assertEquals("0.02", m.getOptimizer().getParameters().get("lr"));
      assertEquals("[0.8,0.99]", m.getOptimizer().getParameters().get("betas"));
      int stride = 1 + 2; // Adam: two slots after each weight
      int width = m.getWeightsPerRow();
      for (SnapshotRow r : m.getRows()) {
        List<Float> weights = new java.util.ArrayList<>();
        for (int i = 0; i < width; i++) {
          weights.add(r.getValues().get(i * stride));
        }
        exported.put(m.getModelKey() + "/" + r.getRowId(), weights);
      }
    }
    int compared = 0;
    for (Map.Entry<String, List<Float>> e : changelog.entrySet()) {
      assertEquals(e.getValue(), exported.get(e.getKey()), "row " + e.getKey());
      compared++;
    }
    assertTrue(compared > 10, "rows compared: " + compared);

    out.reset();
    assertEquals(0, gradflow("inspect", file.toString(), "--rows", "3"), both());
    JsonNode doc = JSON.readTree(out());
    JsonNode a = doc.path("models").get(0);
    assertEquals(0.02, a.path("optimizer").path("parameters").path("lr").asDouble());
    assertEquals(0.8, a.path("optimizer").path("parameters").path("betas").get(0).asDouble());
    assertEquals(5.0, a.path("other_components").path("gradient").path("parameters")
        .path("clip_value").asDouble());
    assertEquals("logistic", a.path("other_components").path("loss").path("parameters")
        .path("loss").asText());
    assertEquals("none", a.path("other_components").path("drift").path("parameters")
        .path("detector").asText());
    assertEquals(3000, a.path("data_offsets").get(0).path("offset").asLong());
    assertEquals(examples, a.path("configuration").path("kafka").path("topics")
        .path("examples").asText());
    // The linear model as configured: the job's loss is logistic.
    assertEquals("logistic_regression", a.path("model").path("name").asText());
    // The configuration under the job file's keys, defaults included, typed.
    assertEquals(Provenance.CURRENT_AUDIT_VERSION, a.path("audit_version").intValue(),
        a.toString());
    JsonNode configured = a.path("configuration");
    assertEquals("Adam", configured.path("optimizer").path("name").asText(), configured.toString());
    assertTrue(configured.path("optimizer").path("lr").isNumber(), configured.toString());
    assertEquals(0.02, configured.path("optimizer").path("lr").doubleValue());
    assertEquals(1e-8, configured.path("optimizer").path("eps").doubleValue(),
        configured.toString());
    assertEquals(JSON.readTree("[0.8, 0.99]"), configured.path("optimizer").path("betas"));
    assertEquals(5.0, configured.path("gradient").path("clip_value").doubleValue(),
        configured.toString());
    assertEquals("logistic", configured.path("model").path("loss").textValue());
    List<String> defaults = new java.util.ArrayList<>();
    a.path("configuration_defaults").forEach(k -> defaults.add(k.textValue()));
    assertTrue(defaults.contains("optimizer.eps") && !defaults.contains("optimizer.lr"),
        defaults.toString());
    // Where it ran: the trainer's Flink and Java.
    assertEquals(org.apache.flink.runtime.util.EnvironmentInformation.getVersion(),
        a.path("runtime").path("flink_version").textValue(), a.toString());
    assertEquals(System.getProperty("java.version"), a.path("runtime").path("java_version")
        .textValue());
    assertTrue(a.path("code_version").asText().startsWith("git ")
        || a.path("code_version").asText().equals("unknown"), a.toString());
    assertEquals(3, a.path("first_rows").size());
  }

  /**
   * With {@code rows.expire_after}, the changelog tells of expired rows: applying the topic's
   * records in order to a map (a record puts its row, a tombstone removes it), as a consumer of
   * the compacted topic does, ends with exactly the model's live rows and their weights, as
   * exported from the job's savepoint. Two runs, the second restored from the first's savepoint;
   * 6,000 examples 10 s apart (16.7 h of event time), so rare ids expire after an hour and some
   * come back.
   */
  @Test
  void theChangelogAppliedEndsWithExactlyTheLiveRows() throws Exception {
    String examples = "expiry-examples";
    kafka.createTopics(1, examples, "expiry-labels");
    produceSpaced(examples, 0, 3000);
    Run run = Run.create(examples, "expiry-labels");
    String yaml = run.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
        + "rows: {expire_after: 1h}\n", false);
    io.gradflow.jobs.config.TrainConfig config = config(yaml, temp.resolve("checkpoints"));
    String first = runUntil(config, run.predictions(), 3000, null, temp.resolve("savepoints"));
    produceSpaced(examples, 3000, 3000);
    String second = runUntil(config, run.predictions(), 6000, first,
        temp.resolve("savepoints"));

    Path file = temp.resolve("expiry.avro");
    assertEquals(0, gradflow("export", "--savepoint", second, "--out", file.toString(),
        "--with-slots"), both());
    Map<String, List<Float>> live = new HashMap<>();
    for (ModelSnapshot m : SnapshotFiles.read("--out", file)) {
      assertEquals(2, m.getPageFormat());
      int stride = 1 + 1; // Adagrad: one slot after each weight
      for (SnapshotRow r : m.getRows()) {
        if (r.getStamp() == 0f) {
          continue; // not live: never learned, or expired (a direct page keeps its place)
        }
        List<Float> weights = new java.util.ArrayList<>();
        for (int i = 0; i < m.getWeightsPerRow(); i++) {
          weights.add(r.getValues().get(i * stride));
        }
        live.put(m.getModelKey() + "/" + r.getRowId(), weights);
      }
    }
    assertTrue(live.size() > 100, "live rows: " + live.size());

    // The records themselves: a tombstone per expiry, and rows that came back after one.
    Map<String, Boolean> removed = new HashMap<>();
    int tombstones = 0;
    int back = 0;
    for (var r : io.gradflow.jobs.kafka.KafkaTestSupport.readAll(kafka, run.changelog(),
        Integer.MAX_VALUE, java.time.Duration.ofSeconds(3))) {
      String key = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
      if (r.value() == null) {
        tombstones++;
        removed.put(key, true);
      } else if (removed.put(key, false) == Boolean.TRUE) {
        back++;
      }
    }
    assertSameEntries(live, finalRows(run.changelog()), "the changelog applied, against the"
        + " model's live rows");
    assertTrue(tombstones > 100, "tombstones: " + tombstones);
    assertTrue(back > 0, "rows updated again after they expired: " + back);
    System.out.printf("ExportITCase expiry: %d live rows, %d tombstones, %d rows back after"
        + " one%n", live.size(), tombstones, back);
  }

  /**
   * Writes examples {@code from} to {@code from + count} of a click-through stream whose examples
   * are 10 s apart in event time, alternately for models a and b.
   */
  private static void produceSpaced(String topic, int from, int count) {
    io.gradflow.jobs.produce.ClickThroughGenerator generator =
        new io.gradflow.jobs.produce.ClickThroughGenerator(
            new io.gradflow.jobs.produce.ClickThroughGenerator.Spec(31, 10, 1000, 1.05, 0.6, -1.4,
                io.gradflow.jobs.produce.DriftSpec.NONE, null, 1_700_000_000_000L, 10_000));
    try (io.gradflow.jobs.produce.GradflowProducer producer =
             io.gradflow.jobs.produce.GradflowProducer.builder(kafka.bootstrapServers())
                 .examplesTopic(topic).build()) {
      for (int i = 0; i < from + count; i++) {
        io.gradflow.schema.Example example = generator.next().example();
        if (i >= from) {
          producer.send(io.gradflow.schema.Example.newBuilder(example).setExampleId("x" + i)
              .setModelKey(i % 2 == 0 ? "a" : "b").build());
        }
      }
      producer.flush();
    }
  }

  /**
   * A savepoint of a race of a linear and a deep candidate ({@code race[i].model}): export and
   * inspect give each candidate its own model (name and parameters), its row layout and its
   * rows; the linear candidate's exported weights equal its changelog, the deep one's dense
   * layers are exported with their slots and the linear one has none.
   */
  @Test
  void exportAndInspectAMixedRace() throws Exception {
    String examples = "export-race-examples";
    kafka.createTopics(1, "export-race-labels");
    int count = 2000;
    DeepModelITCase.produceTabular(examples, count);
    Run run = Run.create(examples, "export-race-labels");
    String yaml = run.yaml("model: {hash_bits: 18}\nrace:\n"
        + "  - {name: linear, optimizer: {name: Adagrad, lr: 0.1}}\n"
        + "  - {name: deep, optimizer: {name: Adam, lr: 0.01}, model: {type: mlp, inputs: "
        + DeepModelITCase.INPUTS + ", hidden: [8]}}\n", false);
    io.gradflow.jobs.config.TrainConfig config = config(yaml, temp.resolve("checkpoints"));
    String savepoint = runUntil(config, run.predictions(), 2 * count, null,
        temp.resolve("savepoints"));

    Path file = temp.resolve("race.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint, "--out", file.toString(),
        "--with-slots"), both());
    Map<String, ModelSnapshot> models = new HashMap<>();
    for (ModelSnapshot m : SnapshotFiles.read("--out", file)) {
      models.put(m.getModelKey(), m);
    }
    assertEquals(java.util.Set.of("default#linear", "default#deep"), models.keySet());
    ModelSnapshot linear = models.get("default#linear");
    ModelSnapshot deep = models.get("default#deep");
    assertEquals("linear", linear.getCandidate());
    assertEquals("deep", deep.getCandidate());
    assertEquals("logistic_regression", linear.getModel().getName());
    assertEquals("mlp", deep.getModel().getName());
    assertEquals("[8]", deep.getModel().getParameters().get("hidden"));
    assertEquals("Adagrad", linear.getOptimizer().getName());
    assertEquals("Adam", deep.getOptimizer().getName());
    assertEquals(count, linear.getModelStep());
    assertEquals(count, deep.getModelStep());
    assertTrue(linear.getDense().isEmpty(), "a linear model has no dense layers");
    // The deep candidate's blocks, in its own layout (Adam's two slots beside each weight).
    int denseFloats = 0;
    for (float[] block : new io.gradflow.learn.ExampleLearner(config.candidates().get("deep"))
        .newDenseBlocks()) {
      denseFloats += block.length;
    }
    assertTrue(denseFloats > 0);
    assertEquals(denseFloats, deep.getDense().size());

    Map<String, List<Float>> changelog = finalRows(run.changelog());
    int compared = 0;
    int stride = 1 + 1; // Adagrad: one slot after each weight
    for (SnapshotRow r : linear.getRows()) {
      List<Float> expected = changelog.get("default#linear/" + r.getRowId());
      if (expected != null) {
        List<Float> weights = new java.util.ArrayList<>();
        for (int i = 0; i < linear.getWeightsPerRow(); i++) {
          weights.add(r.getValues().get(i * stride));
        }
        assertEquals(expected, weights, "row " + r.getRowId());
        compared++;
      }
    }
    assertTrue(compared > 10, "rows compared: " + compared);

    out.reset();
    assertEquals(0, gradflow("inspect", file.toString(), "--rows", "2"), both());
    Map<String, JsonNode> inspected = new HashMap<>();
    new ObjectMapper().readTree(out()).path("models")
        .forEach(m -> inspected.put(m.path("candidate").asText(), m));
    assertEquals("logistic_regression", inspected.get("linear").path("model").path("name")
        .asText(), out());
    assertEquals("mlp", inspected.get("deep").path("model").path("name").asText(), out());
    assertEquals("mlp", inspected.get("deep").path("configuration").path("race").path(1)
        .path("model").path("type").asText(), out());
    // What model.dense_backend: auto chose, for the deep candidate only.
    assertEquals("java", inspected.get("deep").path("runtime").path("dense_backend").asText(),
        out());
    assertFalse(inspected.get("linear").path("runtime").has("dense_backend"), out());
  }
}
